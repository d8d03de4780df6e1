#!/usr/bin/env bash
# Installs (once) Debian's Slurm 22.05 controller, node daemon, client tools and slurmrestd, and
# an unprivileged user for slurmrestd (it refuses to run as root). Nothing is started here:
# start-slurm.sh starts a private single-node cluster per test run.
set -euo pipefail
need=()
# slurm-wlm-jwt-plugin holds auth_jwt.so and rest_auth_jwt.so: without it slurmctld dies on
# AuthAltTypes=auth/jwt. openssh-server/-client drive the ssh transport test through a real sshd.
for p in slurmctld slurmd slurm-client slurmrestd slurm-wlm-jwt-plugin openssh-server openssh-client; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "provision-slurm: ${need[*]} missing; install them as root: apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  echo "provision-slurm: installing ${need[*]}" >&2
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 </dev/null \
    || { apt-get update -qq >&2; apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 </dev/null; }
fi
if ! id slurmrest >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    useradd --system --no-create-home --shell /usr/sbin/nologin slurmrest
  fi
fi
echo ok
