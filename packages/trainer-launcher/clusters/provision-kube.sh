#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kube-scheduler 1.20 from Debian 12's own
# `kubernetes` source package (offline: the tree vendors every dependency) and caches the three
# binaries outside the work tree. Idempotent: a cached build returns at once.
#
# Why a source build: no kube-apiserver, kind, k3s or envtest binary is packaged for Debian 12,
# and the test machines reach only the Debian and npm registries.
set -euo pipefail
CACHE="${CNCF_LLM_CACHE:-$HOME/.cache/cncf-llm}"
BIN="$CACHE/kubernetes-1.20/bin"
if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ] && [ -x "$BIN/kube-scheduler" ]; then
  echo "$BIN"; exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "provision-kube: building the Kubernetes control plane needs root (apt-get). Run as root, or put kube-apiserver, kube-controller-manager and kube-scheduler 1.20 in $BIN." >&2
  exit 1
fi
log() { echo "provision-kube: $*" >&2; }
export DEBIAN_FRONTEND=noninteractive
if [ ! -f /etc/apt/sources.list.d/cncf-llm-src.sources ]; then
  log "adding a deb-src entry for Debian 12"
  cat > /etc/apt/sources.list.d/cncf-llm-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq >&2
fi
need=()
for p in golang-go dpkg-dev etcd-server golang-github-modern-go-reflect2-dev openssl rsync make; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 || { apt-get update -qq >&2; apt-get install -y -qq --no-install-recommends "${need[@]}" >&2; }
fi
WORK="$CACHE/kubernetes-src"
rm -rf "$WORK"; mkdir -p "$WORK"
cd "$WORK"
log "fetching the kubernetes source package"
apt-get source -qq --download-only kubernetes >&2
dpkg-source -x --no-check ./kubernetes_*.dsc src >&2
TREE="$WORK/src"
# The vendored reflect2 v1.0.1 segfaults under Go >= 1.18 on the API server's first request:
# use Debian's packaged reflect2 instead.
R2="$TREE/vendor/github.com/modern-go/reflect2"
DEB_R2="$(dpkg -L golang-github-modern-go-reflect2-dev | grep '/reflect2.go$' | head -1 | xargs dirname)"
rm -f "$R2"/*.go "$R2"/*.s
for f in "$DEB_R2"/*.go "$DEB_R2"/*.s; do
  [ -e "$f" ] || continue
  case "$f" in *_test.go) continue ;; esac
  cp "$f" "$R2/"
done
export GOPATH="$WORK/.go" CGO_ENABLED=0 GOPROXY=off GOFLAGS=-mod=vendor GO111MODULE=on
mkdir -p "$GOPATH/src/k8s.io"
ln -sfn "$TREE" "$GOPATH/src/k8s.io/kubernetes"
cd "$GOPATH/src/k8s.io/kubernetes"
log "building (about 5 minutes on 2 cores)"
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler" >&2
mkdir -p "$BIN.tmp"
for b in kube-apiserver kube-controller-manager kube-scheduler; do
  cp "$(find _output -type f -name "$b" | head -1)" "$BIN.tmp/$b"
done
rm -rf "$BIN"; mv "$BIN.tmp" "$BIN"
cd /; rm -rf "$WORK"
log "cached in $BIN"
echo "$BIN"
