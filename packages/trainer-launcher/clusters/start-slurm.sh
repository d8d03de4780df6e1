#!/usr/bin/env bash
# Starts a private single-node Slurm 22.05 cluster on 127.0.0.1 with everything under one state
# directory: slurmctld, slurmd (two fake GPUs over character devices) and slurmrestd (JWT).
#
#   start-slurm.sh <stateDir> [slurmctldPort] [slurmdPort] [slurmrestdPort]
#
# Ports that are not given are picked free. On success it prints, one per line:
#   SLURM_CONF=<stateDir>/etc/slurm.conf
#   SLURM_REST_URL=http://127.0.0.1:<port>
#   SLURM_NODE=<node name>
# The daemons' pids are in <stateDir>/run/*.pid; stop-slurm.sh <stateDir> stops them.
#
# Needs root (slurmd runs jobs as their users) and provision-slurm.sh run once. Facts this relies
# on (Debian 12, Slurm 22.05): gres File= must be a character device; slurmrestd refuses root and
# only accepts JWTs when started with SLURM_JWT=daemon; every daemon needs stdin/stdout/stderr
# redirected or a test runner reading this script's output never sees EOF.
set -euo pipefail

state=${1:?usage: start-slurm.sh <stateDir> [slurmctldPort] [slurmdPort] [slurmrestdPort]}
mkdir -p "$state"
state=$(cd "$state" && pwd)

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
ctld_port=${2:-$(free_port)}
slurmd_port=${3:-$(free_port)}
rest_port=${4:-$(free_port)}

host=$(hostname -s)
rest_user=${SLURM_REST_USER:-slurmrest}
if ! id "$rest_user" >/dev/null 2>&1; then
  echo "start-slurm: user $rest_user is missing; run clusters/provision-slurm.sh as root" >&2
  exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
# Whatever fails below, leave no daemon behind.
trap 'rc=$?; [ $rc -ne 0 ] && "$here/stop-slurm.sh" "$state" >/dev/null 2>&1; exit $rc' EXIT

mkdir -p "$state"/{etc,dev,spool/ctld,spool/d,log,run}
# slurmrestd runs as $rest_user and must read slurm.conf; jobs of other users must reach their files.
chmod 755 "$state" "$state/etc" "$state/dev"

# Fake GPUs: any character device works (this one is /dev/null's major/minor); regular files are refused.
for i in 0 1; do
  [ -c "$state/dev/nvidia$i" ] || mknod "$state/dev/nvidia$i" c 1 3
done

# JWT signing key: 32 random bytes, readable by slurmctld (root) only.
if [ ! -s "$state/etc/jwt.key" ]; then
  (umask 077 && head -c 32 /dev/urandom >"$state/etc/jwt.key")
fi
chmod 600 "$state/etc/jwt.key"

cpus=$(nproc)
mem_mib=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)

cat >"$state/etc/slurm.conf" <<EOF
ClusterName=cncfllmtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
# A requeued job may start again after cred_expire seconds (default 120).
AuthInfo=cred_expire=5
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$state/etc/jwt.key
StateSaveLocation=$state/spool/ctld
SlurmdSpoolDir=$state/spool/d
SlurmctldPidFile=$state/run/slurmctld.pid
SlurmdPidFile=$state/run/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
GresTypes=gpu
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
# Finished jobs stay visible to squeue/scontrol for an hour: long enough for any test.
MinJobAge=3600
# Requeue: batch jobs may be requeued (scontrol requeue, preemption, node failure).
JobRequeue=1
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
KillWait=5
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mib Gres=gpu:fake:2 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=01:00:00 PriorityTier=1 State=UP
PartitionName=gpu Nodes=$host MaxTime=01:00:00 PriorityTier=1 State=UP
EOF

cat >"$state/etc/gres.conf" <<EOF
AutoDetect=off
NodeName=$host Name=gpu Type=fake File=$state/dev/nvidia[0-1]
EOF
chmod 644 "$state/etc/slurm.conf" "$state/etc/gres.conf"

export SLURM_CONF="$state/etc/slurm.conf"

running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# -i: ignore stale state from an earlier run in the same directory.
slurmctld -i -f "$SLURM_CONF" </dev/null >>"$state/log/slurmctld.out" 2>&1
for _ in $(seq 1 100); do running "$state/run/slurmctld.pid" && break; sleep 0.1; done
running "$state/run/slurmctld.pid" || { echo "start-slurm: slurmctld did not start; see $state/log/slurmctld.log" >&2; tail -20 "$state/log/slurmctld.log" >&2 || true; exit 1; }

slurmd -N "$host" -f "$SLURM_CONF" </dev/null >>"$state/log/slurmd.out" 2>&1
for _ in $(seq 1 100); do running "$state/run/slurmd.pid" && break; sleep 0.1; done
running "$state/run/slurmd.pid" || { echo "start-slurm: slurmd did not start; see $state/log/slurmd.log" >&2; tail -20 "$state/log/slurmd.log" >&2 || true; exit 1; }

# slurmrestd stays in the foreground: run it in the background as the unprivileged user.
SLURM_JWT=daemon setsid slurmrestd -f "$SLURM_CONF" -u "$rest_user" -a rest_auth/jwt -s openapi/v0.0.38 \
  "127.0.0.1:$rest_port" </dev/null >>"$state/log/slurmrestd.log" 2>&1 &
echo $! >"$state/run/slurmrestd.pid"

state_now=""
deadline=$((SECONDS + 30))
while [ $SECONDS -lt $deadline ]; do
  running "$state/run/slurmctld.pid" || { echo "start-slurm: slurmctld exited; see $state/log/slurmctld.log" >&2; tail -20 "$state/log/slurmctld.log" >&2 || true; exit 1; }
  state_now=$(timeout 3 sinfo -h -o %T -n "$host" 2>/dev/null | head -1 || true)
  [ "$state_now" = idle ] && break
  sleep 0.2
done
if [ "$state_now" != idle ]; then
  echo "start-slurm: node $host is '${state_now:-unreachable}', not idle; see $state/log/" >&2
  tail -20 "$state/log/slurmd.log" >&2 || true
  exit 1
fi

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$rest_port") 2>/dev/null; then break; fi
  running "$state/run/slurmrestd.pid" || { echo "start-slurm: slurmrestd exited; see $state/log/slurmrestd.log" >&2; tail -20 "$state/log/slurmrestd.log" >&2 || true; exit 1; }
  sleep 0.1
done

echo "SLURM_CONF=$SLURM_CONF"
echo "SLURM_REST_URL=http://127.0.0.1:$rest_port"
echo "SLURM_NODE=$host"
