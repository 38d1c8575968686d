#!/usr/bin/env bash
# Set up a fresh machine for stance: system packages, a virtual environment in .venv, the CPU build of
# torch (pinned first, so nothing pulls a multi-GB CUDA build), then the project with its extras.
#   scripts/bootstrap.sh            # library, demo, service
#   scripts/bootstrap.sh --dev      # + test tools and Debian's Chromium for the browser tests
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: please install with your package manager: ${missing[*]}" >&2
    return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if ! "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "bootstrap: stance needs Python 3.11 or newer (found $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  apt_install python3-venv
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
"${PIP[@]}" --upgrade pip
# The pin comes first; pyproject.toml only asks for torch>=2.4, which this satisfies.
"${PIP[@]}" "torch==2.13.0"
if [ "$dev" -eq 1 ]; then
  "${PIP[@]}" -e ".[demo,serve,tune,dev]"
  apt_install chromium
else
  "${PIP[@]}" -e ".[demo,serve,tune]"
fi
echo "bootstrap: ready (.venv)" >&2
