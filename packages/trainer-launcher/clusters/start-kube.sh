#!/usr/bin/env bash
# Starts a private Kubernetes 1.20 control plane on 127.0.0.1 with everything under one state
# directory: etcd, kube-apiserver, kube-controller-manager and kube-scheduler. There is no kubelet:
# tests play it (src/testing/fake-kubelet.ts).
#
#   start-kube.sh <stateDir> [apiserverPort] [etcdClientPort] [etcdPeerPort]
#
# Ports that are not given are picked free. On success it prints, one per line:
#   KUBECONFIG=<stateDir>/kubeconfig                (user admin, system:masters)
#   KUBECONFIG_NOBODY=<stateDir>/kubeconfig-nobody  (an authenticated user without any role)
#   KUBE_SERVER=https://127.0.0.1:<port>
#   KUBE_CA=<stateDir>/pki/ca.crt
#   KUBELET_CERT=<stateDir>/pki/kubelet.crt
#   KUBELET_KEY=<stateDir>/pki/kubelet.key
# The daemons' pids are in <stateDir>/run/*.pid and their output in <stateDir>/log/;
# stop-kube.sh <stateDir> stops them. With KUBE_PARENT_PID set, they are also stopped when that
# process exits.
#
# The binaries come from provision-kube.sh (KUBE_BIN overrides where they are looked for).
# Facts this relies on (Kubernetes 1.20): the node lifecycle controller is left out, or it evicts
# every pod of a node that sends no heartbeats; kube-controller-manager and kube-scheduler would
# otherwise serve on fixed ports (10252/10257, 10251/10259), so both are told not to serve at all;
# ttlSecondsAfterFinished is alpha in 1.20 (dropped unless the TTLAfterFinished gate is on);
# every daemon needs stdin/stdout/stderr redirected, or a test runner reading this script's output
# never sees EOF.
set -euo pipefail

state=${1:?usage: start-kube.sh <stateDir> [apiserverPort] [etcdClientPort] [etcdPeerPort]}
mkdir -p "$state"
state=$(cd "$state" && pwd)

bin=${KUBE_BIN:-${CNCF_LLM_CACHE:-$HOME/.cache/cncf-llm}/kubernetes-1.20/bin}
for b in kube-apiserver kube-controller-manager kube-scheduler; do
  if [ ! -x "$bin/$b" ]; then
    echo "start-kube: $bin/$b is missing; run clusters/provision-kube.sh once (about 5 minutes) or set KUBE_BIN" >&2
    exit 1
  fi
done
command -v etcd >/dev/null || { echo "start-kube: etcd is missing; apt-get install -y etcd-server" >&2; exit 1; }
command -v openssl >/dev/null || { echo "start-kube: openssl is missing; apt-get install -y openssl" >&2; exit 1; }

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
api_port=${2:-$(free_port)}
etcd_port=${3:-$(free_port)}
etcd_peer_port=${4:-$(free_port)}

mkdir -p "$state"/{pki,etcd,log,run}
pki=$state/pki

# --- certificates: one CA for the API server's serving cert, client certs and the fake kubelet ---
if [ ! -s "$pki/ca.crt" ]; then
  (
    cd "$pki"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca.key -out ca.crt \
      -subj "/CN=cncf-llm-test-ca" >/dev/null 2>&1
    sign() { # name subject san
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" >/dev/null 2>&1
      printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile "$1.ext" -out "$1.crt" >/dev/null 2>&1
      rm -f "$1.csr" "$1.ext"
    }
    sign apiserver "/CN=kube-apiserver" \
      "IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1"
    sign kubelet "/CN=fake-kubelet" "IP:127.0.0.1,DNS:localhost"
    openssl genrsa -out sa.key 2048 >/dev/null 2>&1
    openssl rsa -in sa.key -pubout -out sa.pub >/dev/null 2>&1
  )
fi

# --- static tokens (random per cluster; they never leave the state directory): an admin, and a
# user with no role at all (what a 403 looks like) ---
if [ ! -s "$pki/tokens.csv" ]; then
  admin_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  nobody_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077 && printf '%s,admin,admin,system:masters\n%s,nobody,nobody\n' "$admin_token" "$nobody_token" >"$pki/tokens.csv")
fi
token=$(sed -n 1p "$pki/tokens.csv" | cut -d, -f1)

server=https://127.0.0.1:$api_port
# write_kubeconfig <file> <user> <token>
write_kubeconfig() {
  (
    umask 077
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cncf-llm-test
  cluster:
    server: $server
    certificate-authority: $pki/ca.crt
users:
- name: $2
  user:
    token: $3
contexts:
- name: cncf-llm-test
  context:
    cluster: cncf-llm-test
    user: $2
    namespace: default
current-context: cncf-llm-test
EOF
  )
}
write_kubeconfig "$state/kubeconfig" admin "$token"
write_kubeconfig "$state/kubeconfig-nobody" nobody "$(sed -n 2p "$pki/tokens.csv" | cut -d, -f1)"

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
fail() {
  echo "start-kube: $1; see $2" >&2
  tail -20 "$2" >&2 || true
  "$(dirname "$0")/stop-kube.sh" "$state" >/dev/null 2>&1 || true
  exit 1
}
# start <name> <cmd...>: a daemon in its own session, output to log/<name>.log, pid to run/<name>.pid.
start() {
  local name=$1
  shift
  setsid "$@" </dev/null >"$state/log/$name.log" 2>&1 &
  echo $! >"$state/run/$name.pid"
}

# --- etcd ---
start etcd etcd --name default --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "default=http://127.0.0.1:$etcd_peer_port" \
  --unsafe-no-fsync --log-level warn
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$etcd_port/health" >/dev/null 2>&1 && break
  running "$state/run/etcd.pid" || fail "etcd exited" "$state/log/etcd.log"
  sleep 0.1
done

# --- kube-apiserver ---
start kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --token-auth-file "$pki/tokens.csv" \
  --service-account-key-file "$pki/sa.pub" \
  --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc \
  --service-cluster-ip-range 10.0.0.0/24 \
  --authorization-mode Node,RBAC \
  --disable-admission-plugins TaintNodesByCondition \
  --kubelet-preferred-address-types InternalIP \
  --cert-dir "$pki/apiserver-generated" \
  --feature-gates TTLAfterFinished=true \
  --profiling=false --v 1

kcfg="$state/kubeconfig"
ready=""
for _ in $(seq 1 300); do
  if curl -fsS --cacert "$pki/ca.crt" -H "Authorization: Bearer $token" "$server/readyz" >/dev/null 2>&1; then
    ready=1
    break
  fi
  running "$state/run/kube-apiserver.pid" || fail "kube-apiserver exited" "$state/log/kube-apiserver.log"
  sleep 0.1
done
[ -n "$ready" ] || fail "kube-apiserver was not ready after 30 s" "$state/log/kube-apiserver.log"

# --- kube-controller-manager: only the controllers a Job needs (no nodelifecycle) ---
start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$kcfg" --leader-elect=false --port 0 --secure-port 0 \
  --controllers job,garbagecollector,namespace,serviceaccount-token,serviceaccount,ttl-after-finished,podgc \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --feature-gates TTLAfterFinished=true \
  --profiling=false --v 1

# --- kube-scheduler ---
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$kcfg" --leader-elect=false --port 0 --secure-port 0 --profiling=false --v 1

sleep 0.3
running "$state/run/kube-controller-manager.pid" || fail "kube-controller-manager exited" "$state/log/kube-controller-manager.log"
running "$state/run/kube-scheduler.pid" || fail "kube-scheduler exited" "$state/log/kube-scheduler.log"

# With KUBE_PARENT_PID (the test runner), a watchdog stops everything if that process dies
# without stopping the cluster (killed, crashed): no daemons are left behind.
if [ -n "${KUBE_PARENT_PID:-}" ]; then
  stop_script="$(cd "$(dirname "$0")" && pwd)/stop-kube.sh"
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; "$2" "$3"' watchdog \
    "$KUBE_PARENT_PID" "$stop_script" "$state" </dev/null >"$state/log/watchdog.log" 2>&1 &
  echo $! >"$state/run/watchdog.pid"
fi

echo "KUBECONFIG=$kcfg"
echo "KUBECONFIG_NOBODY=$state/kubeconfig-nobody"
echo "KUBE_SERVER=$server"
echo "KUBE_CA=$pki/ca.crt"
echo "KUBELET_CERT=$pki/kubelet.crt"
echo "KUBELET_KEY=$pki/kubelet.key"
