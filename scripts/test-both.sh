#!/usr/bin/env bash
# `npm test`: the whole suite on SQLite, then again on PostgreSQL (CAPSTAN_TEST_DATABASE=postgres), as
# one command. Arguments go to both tap runs (e.g. --reporter=tap, or test files). PostgreSQL is a
# throwaway cluster of this run (scripts/pg-cluster.sh, own state dir), stopped and removed at the end;
# CAPSTAN_TEST_PG_URL reuses a running server instead. Exit status: non-zero if either run failed.
set -uo pipefail
cd "$(dirname "$0")/.."
TAP=node_modules/.bin/tap

echo "# engine: sqlite"
"$TAP" "$@"
sqlite_status=$?

if [ -z "${CAPSTAN_TEST_PG_URL:-}" ]; then
  own_dir=""
  if [ -z "${CAPSTAN_PG_STATE:-}" ]; then
    own_dir=$(mktemp -d /tmp/capstan-pg-test.XXXXXX)   # never the shared default: other runs may use it
    chmod 0755 "$own_dir"                              # the server runs as postgres when we are root
    export CAPSTAN_PG_STATE="$own_dir/pg"
  fi
  trap 'bash scripts/pg-cluster.sh stop; rm -f "$CAPSTAN_PG_STATE.lock"; [ -n "$own_dir" ] && rm -rf "$own_dir"' EXIT
  CAPSTAN_TEST_PG_URL=$(bash scripts/pg-cluster.sh start | tail -n 1) || { echo "# could not start PostgreSQL" >&2; exit 1; }
  export CAPSTAN_TEST_PG_URL
fi
echo "# engine: postgres"
CAPSTAN_TEST_DATABASE=postgres "$TAP" "$@"
pg_status=$?

echo "# sqlite: exit ${sqlite_status}; postgres: exit ${pg_status}"
[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ]
