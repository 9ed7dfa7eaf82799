#!/usr/bin/env bash
# Installs what vrsim needs on a Debian/Ubuntu machine: GNU GSL (libgsl-dev), SQLite headers
# (libsqlite3-dev, for the campaign store), pkg-config, GNU MPFR (libmpfr-dev, the Super Pi
# benchmark), and the testbed's tools (docs/testbed.md): iproute2 (ip, bridge), netsniff-ng
# (trafgen), util-linux (taskset), procps (sysctl), iperf3, iputils-ping, ethtool, bonnie++,
# openssh-client and openssh-server (roles over ssh; the test starts its own sshd in a namespace).
# Runs apt-get only when something is missing; needs root (or sudo) in that case.
set -euo pipefail
missing=()
pkg-config --exists gsl 2>/dev/null || missing+=(libgsl-dev)
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
[ -e /usr/include/mpfr.h ] || missing+=(libmpfr-dev)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v trafgen >/dev/null 2>&1 || missing+=(netsniff-ng)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
command -v sysctl >/dev/null 2>&1 || missing+=(procps)
command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
command -v ethtool >/dev/null 2>&1 || missing+=(ethtool)
command -v bonnie++ >/dev/null 2>&1 || missing+=(bonnie++)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
# Slurm and munge for the single-node Slurm test (Tests/SlurmTests; vrsim slurm submit).
command -v slurmctld >/dev/null 2>&1 || [ -x /usr/sbin/slurmctld ] || missing+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || [ -x /usr/sbin/slurmd ] || missing+=(slurmd)
command -v sbatch >/dev/null 2>&1 || missing+=(slurm-client)
command -v munged >/dev/null 2>&1 || [ -x /usr/sbin/munged ] || missing+=(munge)
if [ ${#missing[@]} -gt 0 ]; then
  echo "vrsim: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
  echo "vrsim: the Swift toolchain (6.1 or later) is not on PATH" >&2
  exit 1
fi
# The notebooks' Python side (vrsim export notebook --execute, vrsim plot, scripts/notebooks.sh):
# a virtual environment at .venv-notebooks with the pinned notebooks-export/requirements.txt,
# (re)made when missing or when the requirements changed; the system Python is not touched.
# python3-venv is installed when `python3 -m venv` does not work.
"$(dirname "$0")/install-notebook-venv.sh"
