#!/usr/bin/env bash
# Browser tests drive Debian's chromium through Playwright (Playwright's own browser download needs the internet).
# Install chromium and CJK fonts from Debian's packages where missing and where we may (root, or passwordless sudo).
# Where that is impossible the browser tests skip with a message, except when ZHILI_REQUIRE_BROWSER=1 (CI).
set -u
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "ensure_browser: chromium missing and no root: browser tests will skip" >&2; exit 0; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk >/dev/null 2>&1 || {
  $SUDO apt-get update -q >/dev/null 2>&1 && \
  $SUDO apt-get install -y -q --no-install-recommends chromium fonts-noto-cjk >/dev/null 2>&1; } || \
  echo "ensure_browser: could not install chromium: browser tests will skip" >&2
exit 0
