#!/usr/bin/env bash
# Makes .venv-notebooks (the notebooks' Python environment) from notebooks-export/requirements.txt
# when it is missing or was made from other requirements; does nothing otherwise. Needs python3
# (with venv and ensurepip; installs Debian's python3-venv when they are missing) and PyPI.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-notebooks"
req="$root/notebooks-export/requirements.txt"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then exit 0; fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m venv "$probe/v" >/dev/null 2>&1; then
  echo "vrsim: python3 with a working venv module is missing; installing python3-venv" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
echo "vrsim: making $venv from notebooks-export/requirements.txt" >&2
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
echo "$want" >"$stamp"
