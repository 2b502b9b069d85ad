#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine and runs
# the whole suite: Python packages, Debian's chromium for the browser tests and
# Debian's PostgreSQL, started on 127.0.0.1 with a throwaway data directory so
# the store tests also run against a real server. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q -o DPkg::Lock::Timeout=600 "${need[@]}"
fi
python3 -m pip install -q -r requirements-test.txt

# A throwaway PostgreSQL server for the store tests.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_DIR=$(mktemp -d /tmp/bcma-pg.XXXXXX)
# A free port unless one is given, so that two runs (or a local server) do not collide.
PG_PORT=${BCMA_TEST_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
PG_USER=postgres
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi; }
if [ "$(id -u)" -eq 0 ]; then chown "$PG_USER" "$PG_DIR"; else PG_USER=$(id -un); fi
stop_pg() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$PG_DIR"; }
trap stop_pg EXIT
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_USER" --auth=trust >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_DIR" start >/dev/null
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" bcma_test
export BCMA_SYNTH_TEST_PG_URL="postgresql+psycopg://$PG_USER@127.0.0.1:$PG_PORT/bcma_test"

python3 -m pytest "$@"
