#!/usr/bin/env bash
# A throwaway PostgreSQL cluster in a folder of the project, for `make run` and the tests.
#
#   local-postgres.sh start DATADIR PORT   create (first time) and start a cluster on 127.0.0.1:PORT
#   local-postgres.sh stop DATADIR         stop it
#   local-postgres.sh createdb PORT NAME   create role and database NAME (owner NAME) if missing
#   local-postgres.sh bindir               print the server binaries' folder (installing them if needed)
#   local-postgres.sh datadir DATADIR      print where the cluster of DATADIR really lives
#
# The cluster trusts connections from loopback only and has no password: it is for
# development and tests, never for production. PostgreSQL refuses to run as root, so when
# we are root the server runs as the unprivileged `postgres` user.
set -euo pipefail

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

bindir() {
  if find_bindir >/dev/null; then find_bindir; return; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "PostgreSQL server not found: installing Debian's postgresql package" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    find_bindir && return
  fi
  echo "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them, e.g. 'apt-get install postgresql'." >&2
  exit 1
}

as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# As root the server runs as `postgres`, which must be able to reach its data folder. A
# checkout under a 0700 folder (a home directory such as /root, or any `mktemp -d`) is out
# of its reach, so the cluster then lives in a folder of its own under /var/lib, named
# after the requested path (the same path always finds the same cluster).
RELOCATED_ROOT=/var/lib/epa-postgres

datadir() {
  local data parent
  data=$(realpath -m "$1")
  [ "$(id -u)" = 0 ] || { echo "$data"; return; }
  parent=$(dirname "$data")
  mkdir -p "$parent"
  as_server_user true
  if runuser -u postgres -- test -x "$parent" 2>/dev/null; then
    echo "$data"
  else
    mkdir -p "$RELOCATED_ROOT"
    chmod 0711 "$RELOCATED_ROOT"
    echo "$RELOCATED_ROOT/$(printf '%s' "$data" | sha256sum | cut -c1-16)"
  fi
}

start() {
  local data port bin
  data=$(datadir "$1"); port=$2; bin=$(bindir)
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && { as_server_user true; chown postgres: "$data"; chmod 700 "$data"; }
  if [ ! -f "$data/PG_VERSION" ]; then
    as_server_user "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_server_user "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    echo "PostgreSQL already running in $data"
  else
    as_server_user "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c fsync=off -c max_connections=200" start >/dev/null
    echo "PostgreSQL started on 127.0.0.1:$port (data in $data)"
  fi
}

stop() {
  local data bin
  data=$(datadir "$1"); bin=$(bindir)
  [ -f "$data/postmaster.pid" ] || return 0
  as_server_user "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
}

createdb() {
  local port=$1 name=$2 bin
  bin=$(bindir)
  "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA \
    -v name="$name" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'name') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name')\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name')\gexec
SQL
}

case "${1:-}" in
  start) start "$2" "$3" ;;
  stop) stop "$2" ;;
  createdb) createdb "$2" "$3" ;;
  bindir) bindir ;;
  datadir) datadir "$2" ;;
  *) echo "usage: $0 start DATADIR PORT | stop DATADIR | createdb PORT NAME | bindir | datadir DATADIR" >&2; exit 2 ;;
esac
