#!/usr/bin/env bash
# Stops the control plane start-kube.sh started in <stateDir>: every daemon by the pid it recorded,
# all at once (TERM, then KILL whatever is left after 5 s), and its watchdog.
#
#   stop-kube.sh <stateDir> [--purge]   (--purge also removes the state directory)
set -uo pipefail
state=${1:?usage: stop-kube.sh <stateDir> [--purge]}
[ -d "$state" ] || exit 0
watchdog=$state/run/watchdog.pid
# When the watchdog runs this script, it is either our parent or (bash execs a last command)
# this very process: leave it alone.
if [ -s "$watchdog" ]; then
  wd=$(cat "$watchdog")
  if [ "$wd" != "$$" ] && [ "$wd" != "$PPID" ]; then kill -TERM "$wd" 2>/dev/null; fi
fi
rm -f "$watchdog"
pids=()
for name in kube-scheduler kube-controller-manager kube-apiserver etcd; do
  pidfile=$state/run/$name.pid
  [ -s "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  rm -f "$pidfile"
  kill -0 "$pid" 2>/dev/null || continue
  kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
done
for _ in $(seq 1 50); do
  alive=()
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
  [ ${#alive[@]} -eq 0 ] && break
  sleep 0.1
done
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; done
if [ "${2:-}" = "--purge" ]; then
  rm -rf "$state"
fi
exit 0
