#!/usr/bin/env bash
# Stops the cluster that start-slurm.sh started in <stateDir>: its jobs' step daemons, slurmrestd,
# slurmd and slurmctld, by the pids recorded there. Never touches another cluster's processes.
#
#   stop-slurm.sh <stateDir> [--remove]
set -uo pipefail

state=${1:?usage: stop-slurm.sh <stateDir> [--remove]}
[ -d "$state" ] || exit 0
state=$(cd "$state" && pwd)
conf="$state/etc/slurm.conf"

pid_of() { [ -s "$state/run/$1.pid" ] && cat "$state/run/$1.pid"; }

# Step daemons (slurmstepd) belong to this cluster when they inherited its SLURM_CONF from our
# slurmd; another cluster's steps carry another path and are left alone.
steps() {
  local pid
  for pid in $(pgrep -x slurmstepd); do
    { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qxF "SLURM_CONF=$conf" && echo "$pid"
  done
}

if [ -n "$(pid_of slurmctld)" ] && kill -0 "$(pid_of slurmctld)" 2>/dev/null; then
  ids=$(SLURM_CONF=$conf timeout 5 squeue -h -o %A 2>/dev/null | sort -u)
  # shellcheck disable=SC2086
  [ -n "$ids" ] && SLURM_CONF=$conf timeout 5 scancel $ids 2>/dev/null
  # Give the steps time to kill their payloads (KillWait) before the daemons go.
  for _ in $(seq 1 80); do [ -z "$(steps)" ] && break; sleep 0.1; done
fi

for pid in $(steps); do kill -TERM -- "$pid" 2>/dev/null; done
# TERM all three at once (each takes 1-2 s to exit), then KILL whatever is left after 5 s.
pids=()
for daemon in slurmrestd slurmd slurmctld; do
  pid=$(pid_of "$daemon") || continue
  kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
done
for _ in $(seq 1 50); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  [ $alive = 0 ] && break
  sleep 0.1
done
for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
# Step daemons that ignored TERM.
for pid in $(steps); do kill -KILL "$pid" 2>/dev/null; done
rm -f "$state"/run/*.pid
if [ "${2:-}" = --remove ]; then rm -rf "$state"; fi
exit 0
