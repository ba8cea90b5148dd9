#!/usr/bin/env bash
# Set up grid_app on a Debian machine and run it: `scripts/dev.sh demo` serves the demo district,
# `scripts/dev.sh test` runs the test suite. Installs only what is missing, so a warm run is fast.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${GRID_APP_VENV:-$ROOT/.venv}
PY=${PYTHON:-python3}
export FLASK_APP=grid_app

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

system_packages() {
  local wanted=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting python3-venv)
  [ "${1:-}" = test ] && wanted+=(chromium fonts-noto-cjk)
  local missing=()
  for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing system packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

python_env() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv $VENV"
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.grid_app-installed"
  if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
    log "installing Python packages"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q -e ".[test]"
    touch "$stamp"
  fi
}

database() {
  # With DATABASE_URL set, that server is used as it is; otherwise the app's cluster under instance/pg
  # (durable: fsync and synchronous_commit on, as PostgreSQL ships).
  if [ -z "${DATABASE_URL:-}" ]; then
    log "starting the local PostgreSQL cluster"
    "$VENV/bin/python" -m grid_app.platform.localdb start grid_app >/dev/null
  fi
}

test_database() {
  # With TEST_DATABASE_URL set, the tests use that database; otherwise their own throw-away cluster
  # under instance/pg-test (another port, so a demo can run alongside), the only one not durable.
  if [ -z "${TEST_DATABASE_URL:-}" ]; then
    log "starting the tests' PostgreSQL cluster"
    "$VENV/bin/python" -m grid_app.platform.localdb --test start grid_app_test >/dev/null
  fi
}

case "${1:-demo}" in
  demo)
    system_packages demo
    python_env
    database
    log "loading the demo district"
    "$VENV/bin/flask" grid load-demo
    log "serving http://127.0.0.1:${PORT:-5000} (Ctrl-C to stop)"
    exec "$VENV/bin/flask" run --host 127.0.0.1 --port "${PORT:-5000}"
    ;;
  test)
    shift || true
    system_packages test
    python_env
    test_database
    log "running the tests"
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: scripts/dev.sh [demo|test [pytest args]]" >&2
    exit 2
    ;;
esac
