#!/usr/bin/env bash
# Installs what vrsim needs on a Debian/Ubuntu machine: GNU GSL (libgsl-dev), SQLite headers
# (libsqlite3-dev, for the campaign store) and pkg-config.
# Runs apt-get only when something is missing; needs root (or sudo) in that case.
set -euo pipefail
missing=()
pkg-config --exists gsl 2>/dev/null || missing+=(libgsl-dev)
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
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
