#!/usr/bin/env bash
# A PostgreSQL 15 cluster of its own for run.sh's figure (f), the peer: Debian's PostgreSQL
# (tools/setup.sh --with-bench), initdb'd into DIR/data, listening on 127.0.0.1 only, with
# the settings a durable event store runs with (fsync, synchronous_commit=on, full page
# writes: the defaults, stated), the schema and function of pg_register.sql in database
# `bench`, and a PgBouncer in transaction mode in front of it (a pool of 16 server
# connections).
#
#   tools/bench/postgres.sh start DIR   DIR must be empty; writes DIR/port (PostgreSQL),
#                                       DIR/pool_port (PgBouncer), DIR/pid (the postmaster),
#                                       DIR/pool_pid (PgBouncer)
#   tools/bench/postgres.sh stop DIR
#
# BENCH_PG_CPU: a CPU list the postmaster (and so its backends) and PgBouncer run on
# (taskset -c); empty: not pinned. PostgreSQL and PgBouncer refuse to run as root: as root,
# they run as Debian's `postgres` user (DIR is handed to it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pg_bin=${BENCH_PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  getent passwd postgres >/dev/null || { echo "postgres.sh: no user postgres to run PostgreSQL as (tools/setup.sh --with-bench)" >&2; exit 1; }
  as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
cpu=()
[ -n "${BENCH_PG_CPU:-}" ] && cpu=(taskset -c "$BENCH_PG_CPU")

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
  start)
    for tool in "$pg_bin/initdb" "$pg_bin/pg_ctl" "$pg_bin/psql" /usr/sbin/pgbouncer; do
      [ -x "$tool" ] || { echo "postgres.sh: $tool is missing (tools/setup.sh --with-bench)" >&2; exit 1; }
    done
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || { echo "postgres.sh: $dir is not empty" >&2; exit 1; }
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    cd "$dir"
    "${as_owner[@]}" "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale \
      -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    cat >>"$dir/data/postgresql.conf" <<EOF
# tools/bench/postgres.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
max_connections = 200
fsync = on
synchronous_commit = on
full_page_writes = on
EOF
    "${as_owner[@]}" "${cpu[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      start >/dev/null || { cat "$dir/postgres.log" >&2; exit 1; }
    head -1 "$dir/data/postmaster.pid" >"$dir/pid"
    echo "$port" >"$dir/port"
    psql=("$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
    "${psql[@]}" -d postgres -c "CREATE DATABASE bench" >/dev/null
    "${psql[@]}" -d bench -f "$here/pg_register.sql" >/dev/null

    pool_port=$(free_port)
    echo '"postgres" ""' >"$dir/userlist.txt"
    cat >"$dir/pgbouncer.ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$port dbname=bench user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $pool_port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 16
max_db_connections = 16
max_client_conn = 1000
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"/*
    "${as_owner[@]}" "${cpu[@]}" /usr/sbin/pgbouncer -d -q "$dir/pgbouncer.ini" ||
      { cat "$dir/pgbouncer.log" >&2 2>/dev/null; exit 1; }
    for _ in $(seq 1 100); do
      [ -s "$dir/pgbouncer.pid" ] && "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pool_port" -d bench && break
      sleep 0.1
    done
    [ -s "$dir/pgbouncer.pid" ] || { cat "$dir/pgbouncer.log" >&2; exit 1; }
    cp "$dir/pgbouncer.pid" "$dir/pool_pid"
    echo "$pool_port" >"$dir/pool_port"
    ;;
  stop)
    if [ -s "$dir/pool_pid" ]; then kill "$(cat "$dir/pool_pid")" 2>/dev/null || true; fi
    if [ -f "$dir/data/postmaster.pid" ]; then
      "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
