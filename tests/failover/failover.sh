#!/usr/bin/env bash
# Failover under write load, on one machine: the database as production runs
# it (deploy/patroni/patroni.yml.in), two PostgreSQL nodes under Patroni with
# etcd as its store, a synchronous standby; the services as deploy/snodo up
# starts them, pointed at both nodes (SNODO_DB_HOSTS: libpq tries each and
# keeps to the one taking writes). Under fault_driver's writes (an outside
# client retrying each request with its own request_id):
#
#   1. the primary's host "crashes" (Patroni and every PostgreSQL process of
#      that node killed at once); Patroni promotes the standby;
#   2. the old primary comes back and rejoins as a standby (pg_rewind);
#   3. the new primary crashes in turn; the first node is promoted again.
#
# Each round prints what was acknowledged, found and lost, and the seconds
# from the crash to the promotion and to the registry serving again. The
# trails verify at the end. Usage: tests/failover/failover.sh BUILD_DIR
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:?usage: failover.sh BUILD_DIR}
DRIVER=$BUILD/tests/fault_driver
for tool in patroni etcd; do
    command -v $tool >/dev/null || { echo "failover: $tool is not installed (deploy/snodo test installs it)"; exit 1; }
done
T=$(mktemp -d /tmp/snodo-failover.XXXXXX)
chmod 755 "$T"
VAR=$T/var
mkdir -p "$VAR/keys" && chmod 700 "$VAR/keys"
SECONDS_A_LOAD=${SNODO_FAILOVER_LOAD:-14}
CLIENTS=4
failed=0
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }
now_ms() { date +%s%3N; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

. "$ROOT/tests/lib/ports.sh"
# six ports of our own: etcd's two, and each node's PostgreSQL and REST API
free_base || { echo "failover: no free ports"; exit 1; }
PORT0=$base
free_base "$PORT0" || { echo "failover: no free ports"; exit 1; }
export SNODO_PORT_BASE=$base
ETCD_CLIENT=$PORT0 ETCD_PEER=$((PORT0 + 1))
declare -A PG_PORT=([a]=$((PORT0 + 2)) [b]=$((PORT0 + 3)))
declare -A REST_PORT=([a]=$((PORT0 + 4)) [b]=$((PORT0 + 5)))
declare -A PID=()

finish() {
    SNODO_VAR=$VAR "$ROOT/deploy/snodo" down >/dev/null 2>&1
    for n in a b; do crash "$n" 2>/dev/null; done
    [ -n "${ETCD_PID:-}" ] && kill "$ETCD_PID" 2>/dev/null
    wait 2>/dev/null
    if [ "$failed" -ne 0 ]; then
        for log in "$T"/*.log "$VAR"/log/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -n 30 "$log"; }; done
    fi
    [ -n "${SNODO_FAILOVER_KEEP:-}" ] && cp -r "$T" "$SNODO_FAILOVER_KEEP"
    rm -rf "$T"
}
trap finish EXIT

random_hex() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
SUPER_PW=$(random_hex)
echo "*:*:*:snodo:$SUPER_PW" > "$VAR/keys/admin.pgpass"
chmod 600 "$VAR/keys/admin.pgpass"

# the store: one etcd member (production runs three, docs/operations.md)
etcd --name failover --data-dir "$T/etcd" \
     --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT" \
     --listen-peer-urls "http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
     --initial-cluster "failover=http://127.0.0.1:$ETCD_PEER" >"$T/etcd.log" 2>&1 &
ETCD_PID=$!

# a node's config from the production template: short leases, so that a
# crash is noticed in seconds (production keeps Patroni's 30 s)
node_config() {
    local n=$1 dir=$T/$1
    mkdir -p "$dir/run" && chmod 700 "$dir" && [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
    sed -e "s|@NAME@|$n|" \
        -e "s|@REST_LISTEN@|127.0.0.1:${REST_PORT[$n]}|; s|@REST_CONNECT@|127.0.0.1:${REST_PORT[$n]}|" \
        -e "s|@ETCD_HOSTS@|127.0.0.1:$ETCD_CLIENT|" \
        -e "s|@TTL@|10|; s|@LOOP_WAIT@|1|; s|@RETRY_TIMEOUT@|3|" \
        -e "s|@PG_LISTEN@|127.0.0.1:${PG_PORT[$n]}|; s|@PG_CONNECT@|127.0.0.1:${PG_PORT[$n]}|" \
        -e "s|@DATA_DIR@|$dir/data|; s|@PGPASS@|$dir/pgpass|; s|@SOCKET_DIR@|$dir/run|" \
        -e "s|@NETWORK@|127.0.0.1/32|" \
        -e "s|@SUPERUSER_PASSWORD@|$SUPER_PW|; s|@REPLICATION_PASSWORD@|$REPL_PW|; s|@REWIND_PASSWORD@|$REWIND_PW|" \
        "$ROOT/deploy/patroni/patroni.yml.in" > "$T/$n.yml"
    [ "$(id -u)" = 0 ] && chown postgres: "$T/$n.yml"
    chmod 600 "$T/$n.yml"
}
REPL_PW=$(random_hex) REWIND_PW=$(random_hex)

# a node's Patroni, in a process group of its own (the crash kills the group)
start_node() {
    if [ "$(id -u)" = 0 ]; then
        setsid runuser -u postgres -- patroni "$T/$1.yml" >>"$T/$1.log" 2>&1 &
    else
        setsid patroni "$T/$1.yml" >>"$T/$1.log" 2>&1 &
    fi
    PID[$1]=$!
    disown "${PID[$1]}"     # its end, at a crash, is no job of this shell to report
}

# A host's crash: its Patroni and every process of its PostgreSQL at once
# (each stopped first, so that none notices the others die and acts)
crash() {
    local n=$1 pm="" kids
    [ -f "$T/$n/data/postmaster.pid" ] && pm=$(head -1 "$T/$n/data/postmaster.pid")
    [ -n "${PID[$n]:-}" ] && kill -STOP -- "-${PID[$n]}" 2>/dev/null
    [ -n "$pm" ] && kill -STOP "$pm" 2>/dev/null
    kids=$([ -n "$pm" ] && pgrep -P "$pm")
    [ -n "${PID[$n]:-}" ] && kill -KILL -- "-${PID[$n]}" 2>/dev/null
    # shellcheck disable=SC2086
    [ -n "$pm" ] && kill -KILL "$pm" $kids 2>/dev/null
    PID[$n]=""
}

# role NODE: what the node's REST API says it is (primary, replica, or down)
role() {
    /usr/bin/python3 - "${REST_PORT[$1]}" <<'PY' 2>/dev/null || echo down
import json, sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/patroni" % sys.argv[1], timeout=1) as r:
    role = json.load(r).get("role", "down")
    print("primary" if role == "master" else role)     # Patroni 3.0 still says master
PY
}
# wait_role NODE ROLE SECONDS: 0 once it is
wait_role() {
    local i
    for i in $(seq 1 $(($3 * 5))); do
        [ "$(role "$1")" = "$2" ] && return 0
        sleep 0.2
    done
    return 1
}
# sync_standby PRIMARY STANDBY SECONDS: 0 once the standby confirms each commit
sync_standby() {
    local i
    for i in $(seq 1 $(($3 * 5))); do
        [ "$(PGPASSFILE=$VAR/keys/admin.pgpass psql -X -tA -h 127.0.0.1 -p "${PG_PORT[$1]}" -U snodo -d postgres \
             -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$2'" 2>/dev/null)" = sync ] && return 0
        sleep 0.2
    done
    return 1
}

node_config a
node_config b
start_node a
wait_role a primary 60 || { fail "node a did not become the primary"; exit 1; }
start_node b
wait_role b replica 90 || { fail "node b did not become a replica"; exit 1; }
sync_standby a b 60 || { fail "node b is not a synchronous standby"; exit 1; }
echo "failover: Patroni runs node a (primary, port ${PG_PORT[a]}) and b (synchronous standby, port ${PG_PORT[b]}), after ${SECONDS} s"

export SNODO_VAR=$VAR SNODO_BUILD=$BUILD SNODO_SKIP_BUILD=1
export SNODO_DB_HOSTS="127.0.0.1:${PG_PORT[a]},127.0.0.1:${PG_PORT[b]}"
"$ROOT/deploy/snodo" up >"$T/up.log" 2>&1 || { cat "$T/up.log"; fail "deploy/snodo up on the replicated database"; exit 1; }
ctl() { "$BUILD/cli/snodoctl" -c "$VAR/snodo.cfg" "$@"; }
grep -q "target_session_attrs=read-write" "$VAR/snodo.cfg" || fail "the services' db settings name both nodes"
echo "failover: the services up on both nodes, after ${SECONDS} s"

# round PRIMARY STANDBY: the primary crashes under writes; the standby must
# be promoted and the registry serve again, nothing acknowledged lost
round() {
    local primary=$1 standby=$2 t0 promoted serving
    "$DRIVER" "$VAR/snodo.cfg" writes registry "$SECONDS_A_LOAD" "$CLIENTS" >"$T/driver.txt" 2>&1 &
    local driver=$!
    sleep 3
    t0=$(now_ms)
    crash "$primary"
    if wait_role "$standby" primary 60; then
        promoted=$(( $(now_ms) - t0 ))
    else
        fail "node $standby was not promoted within 60 s"
        promoted=-1
    fi
    serving=-1
    for _ in $(seq 1 300); do
        if ctl --timeout 1000 --as ass6-sil persons list --limit 1 >/dev/null 2>&1; then
            serving=$(( $(now_ms) - t0 ))
            break
        fi
        sleep 0.1
    done
    [ "$serving" -ge 0 ] || fail "the registry did not serve again within 30 s of the promotion"
    wait "$driver" || fail "writes across the failover from $primary to $standby"
    echo "failover: node $primary crashed under writes; $standby promoted after ${promoted} ms," \
         "the registry serving again after ${serving} ms"
    cat "$T/driver.txt"
}

round a b
# the old primary back: Patroni rewinds it and it follows the new one
start_node a
wait_role a replica 90 || fail "node a did not rejoin as a replica"
sync_standby b a 60 || fail "node a is not the synchronous standby again"
echo "failover: node a rejoined as the synchronous standby"
round b a

verified() {
    local i
    for i in $(seq 1 40); do
        ctl --service "$1" audit verify >"$T/verify.txt" 2>&1 && return 0
        sleep 0.25
    done
    cat "$T/verify.txt"
    return 1
}
for s in registry monitoring matching; do
    verified "$s" || fail "the $s trail verifies after two failovers"
done

if [ "$failed" -ne 0 ]; then echo "failover: $failed FAILED"; exit 1; fi
echo "failover: all passed in ${SECONDS} s"
