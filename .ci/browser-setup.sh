#!/bin/sh
# Installs headless Chromium (Debian's `chromium`) for the dashboard browser test
# (test/e2e/dashboard.test.ts). Runs as root; idempotent (re-running only re-checks). Called by .ci/run.
set -eu
if command -v chromium >/dev/null 2>&1; then
  echo "browser-setup: $(chromium --version 2>/dev/null | head -1)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "browser-setup: must run as root (apt-get); or install Debian's chromium yourself" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "browser-setup: $(chromium --version 2>/dev/null | head -1)"
