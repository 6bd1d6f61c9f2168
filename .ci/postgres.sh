#!/usr/bin/env bash
# A PostgreSQL server for the registry tests: installs Debian's postgresql if it is missing, starts
# a cluster with pg_ctlcluster (initdb refuses to run as root; Debian's wrappers run the server as
# the postgres user), makes sure a role that may create databases and a database exist, and prints
# the URL the tests read (SYMBIOSE_TEST_POSTGRES_URL). The tests make a fresh database of their own
# from it for each run and drop it at the end, so runs side by side never meet.
# Needs root (apt-get, the postgres user); exits non-zero, saying why, when it cannot do its job.
set -euo pipefail
# Only the URL goes to stdout (the caller reads it); everything the tools print goes to stderr
# (pg_ctlcluster says "Removed stale pid file." after an unclean stop, for one).
exec 3>&1 1>&2
ROLE=${SYMBIOSE_PG_ROLE:-symbiose_test}
PASSWORD=${SYMBIOSE_PG_PASSWORD:-symbiose-test-only}
DB=${SYMBIOSE_PG_DB:-symbiose_test}

if [ "$(id -u)" != 0 ]; then
  echo "postgres.sh: run as root (it installs and starts Debian's postgresql)" >&2
  exit 1
fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
# the newest cluster there is, else a new one of the newest server installed
cluster=$(pg_lsclusters --no-header 2>/dev/null | sort -k1,1V | tail -n 1 || true)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  pg_createcluster "$version" main >/dev/null
  cluster=$(pg_lsclusters --no-header | sort -k1,1V | tail -n 1)
fi
read -r version name port status _ <<<"$cluster"
if [ "$status" != online ]; then
  # a server killed uncleanly leaves lock files behind; PostgreSQL clears them itself on a second try
  for attempt in 1 2 3; do
    if pg_ctlcluster "$version" "$name" start 3>&-; then break; fi
    if [ "$attempt" = 3 ]; then echo "postgres.sh: cluster $version/$name does not start" >&2; exit 1; fi
    sleep 2
  done
fi
for _ in $(seq 1 30); do
  if runuser -u postgres -- pg_isready -q -p "$port"; then break; fi
  sleep 1
done
runuser -u postgres -- pg_isready -q -p "$port" || { echo "postgres.sh: the server on port $port does not answer" >&2; exit 1; }

psql_admin() { runuser -u postgres -- psql -p "$port" -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_admin -d postgres -v role="$ROLE" -v pw="$PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw') \gexec
SQL
if [ -z "$(psql_admin -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
  runuser -u postgres -- createdb -p "$port" -O "$ROLE" "$DB"
fi
echo "postgresql://$ROLE:$PASSWORD@127.0.0.1:$port/$DB" >&3
