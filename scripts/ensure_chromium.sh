#!/usr/bin/env bash
# The browser tests drive Debian's Chromium; install it when missing and we may (root on Debian).
set -euo pipefail
if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing chromium (for the browser tests)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
else
  echo "Chromium not found at ${CHROMIUM_PATH:-/usr/bin/chromium}: install Debian's 'chromium' package (sudo apt-get install chromium) or set CHROMIUM_PATH" >&2
  exit 1
fi
