#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh machine (the README's second command; CI runs it).
# Installs Chromium from Debian's packages when it can (root and apt-get): the report tests open
# reports in it. Without it those tests are skipped, unless SYMBIOSE_REQUIRE_BROWSER is set (CI).
# Starts PostgreSQL the same way (.ci/postgres.sh) for the registry tests, unless
# SYMBIOSE_TEST_POSTGRES_URL names a server already; without one they run on SQLite only, unless
# SYMBIOSE_REQUIRE_POSTGRES is set (CI), when a server that cannot be started or reached fails the run.
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
if [ -z "${SYMBIOSE_TEST_POSTGRES_URL:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if url=$(bash .ci/postgres.sh); then
      export SYMBIOSE_TEST_POSTGRES_URL="$url"
    elif [ "${SYMBIOSE_REQUIRE_POSTGRES:-}" = 1 ]; then
      echo "error: PostgreSQL could not be started and SYMBIOSE_REQUIRE_POSTGRES is set" >&2
      exit 1
    else
      echo "note: PostgreSQL could not be started; the registry tests run on SQLite only" >&2
    fi
  elif [ "${SYMBIOSE_REQUIRE_POSTGRES:-}" != 1 ]; then
    echo "note: PostgreSQL cannot be started here (not root); the registry tests run on SQLite only" >&2
  fi
fi
python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
exec .venv/bin/python -m pytest "$@"
