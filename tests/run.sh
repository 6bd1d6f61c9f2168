#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh machine (the README's second command; CI runs it).
# Installs Chromium from Debian's packages when it can (root and apt-get): the report tests open
# reports in it. Without it those tests are skipped, unless SYMBIOSE_REQUIRE_BROWSER is set (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium is not installed and cannot be installed here; browser tests will be skipped" >&2
  fi
fi
python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
exec .venv/bin/python -m pytest "$@"
