#!/usr/bin/env bash
# The monthly report's PDF (WeasyPrint) needs Pango and a CJK font to show Chinese; neither comes from PyPI.
# Install them from Debian's packages where missing and where we may (root, or passwordless sudo); otherwise say
# what is missing (the PDF would show boxes for Chinese) and carry on: everything else works without them.
set -u
have_pango() { ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0"; }
have_cjk() { fc-list 2>/dev/null | grep -qi "noto sans cjk"; }
if have_pango && have_cjk; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "ensure_fonts: no root: install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk for the PDF reports" >&2
    exit 0; fi
fi
export DEBIAN_FRONTEND=noninteractive
PKGS="libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk fontconfig"
$SUDO apt-get install -y -q --no-install-recommends $PKGS >/dev/null 2>&1 || {
  $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q --no-install-recommends $PKGS >/dev/null 2>&1; } || \
  echo "ensure_fonts: could not install $PKGS: PDF reports will lack Chinese glyphs" >&2
exit 0
