#!/usr/bin/env bash
# Headless Chromium for the report test (issue 7: tests/test_report_browser.py renders
# OUT/report.html and checks that every plot image loaded). Dev-only: users open the report in
# their own browser. Debian's `chromium` package; apt-get update first, quiet, idempotent.
set -euo pipefail
[ "${DEV:-0}" = "1" ] || exit 0
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version >/dev/null
