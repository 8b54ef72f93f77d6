#!/usr/bin/env bash
# PostgreSQL and Redis on loopback for the suites that need them (the multi-node and
# PostgreSQL suites, `./x bench` on PostgreSQL). Idempotent: a service that already answers
# is left running. Data lives under $FRONTDESK_SERVICES_DIR (default: a directory in /tmp).
#
#   eval "$(bash scripts/services.sh start)"   starts both, prints the `export` lines for
#                                             FRONTDESK_PG_URL and FRONTDESK_REDIS_URL
#   bash scripts/services.sh stop              stops both (data is kept)
#
# The packages come from Debian (`postgresql`, `redis-server`); `./x` installs them.
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user the
# Debian package creates.
set -euo pipefail

DIR=${FRONTDESK_SERVICES_DIR:-/tmp/frontdesk-services}
PG_PORT=${FRONTDESK_PG_PORT:-54329}
REDIS_PORT=${FRONTDESK_REDIS_PORT:-63799}
PG_DATA=$DIR/pg
PG_SOCK=$DIR/pgsock

pg_bin() { # the newest installed PostgreSQL's bin directory
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$d" ] || { echo "PostgreSQL is not installed (Debian package postgresql)" >&2; exit 1; }
    echo "$d"
}

as_pg() { # runs a PostgreSQL tool as the user that owns the cluster
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

log() { echo "$*" >&2; }

start_pg() {
    local bin
    bin=$(pg_bin)
    mkdir -p "$DIR"
    chmod 755 "$DIR"
    if [ "$(id -u)" = 0 ]; then
        mkdir -p "$PG_DATA" "$PG_SOCK"
        chown postgres:postgres "$PG_DATA" "$PG_SOCK"
    else
        mkdir -p "$PG_DATA" "$PG_SOCK"
    fi
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
        log "initialising PostgreSQL in $PG_DATA"
        as_pg "$bin/initdb" -D "$PG_DATA" -U frontdesk --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if as_pg "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
        return 0
    fi
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    # Tests create a database each; durability stays on (fsync, synchronous_commit) because
    # the suites check what a commit promises.
    as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w -t 60 start \
        -o "-h 127.0.0.1 -p $PG_PORT -k $PG_SOCK -c max_connections=400 -c shared_buffers=128MB" >/dev/null
}

start_redis() {
    command -v redis-server >/dev/null || { log "Redis is not installed (Debian package redis-server)"; exit 1; }
    mkdir -p "$DIR/redis"
    if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
        return 0
    fi
    log "starting Redis on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DIR/redis" --save '' \
        --appendonly no --daemonize yes --logfile "$DIR/redis.log" --pidfile "$DIR/redis.pid"
    for _ in $(seq 50); do
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    log "Redis did not start; see $DIR/redis.log"
    exit 1
}

case "${1:-}" in
    start)
        start_pg
        start_redis
        echo "export FRONTDESK_PG_URL=postgres://frontdesk@127.0.0.1:$PG_PORT/postgres"
        echo "export FRONTDESK_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/"
        ;;
    stop)
        if [ -f "$PG_DATA/PG_VERSION" ]; then
            as_pg "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
        fi
        redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
        ;;
    *)
        sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac
