#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real (Chromium, Redis, coturn, nginx,
# iproute2) when they are missing. Needs root for apt-get; without it, says what is missing.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v turnserver >/dev/null 2>&1 || need+=(coturn)
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || need+=(nftables)  # the NAT lab
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
fc-list >/dev/null 2>&1 || need+=(fontconfig)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# `swarmcast bench sim --compiled` and tests/bench/test_sim_compiled.py: mypyc builds C
# extensions, so a C compiler and the headers of the Python the venv is made from.
command -v cc >/dev/null 2>&1 || need+=(build-essential)
"${PYTHON:-python3}" -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
  2>/dev/null || need+=(python3-dev)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
