#!/usr/bin/env bash
# The fault suite: the services as deploy/snodo up starts them, on a
# throwaway var/, under faults, with the load of fault_driver (an outside
# client retrying each request with its own request_id):
#
#   - kill -9 of each service under concurrent writes, restarted at once:
#     nothing acknowledged lost, nothing applied twice;
#   - PostgreSQL stopped at once (as in a crash) under reads and writes:
#     nothing acknowledged lost, no read that carried a person's data
#     without its audit entry;
#   - a subscriber down while events pile up: every event applied once;
#   - the broker fed requests it refuses itself between good ones: no
#     reply held.
#
# Each prints its counts and the seconds to serve again. Usage:
#   tests/faults/faults.sh BUILD_DIR          the short run (deploy/snodo test)
#   SNODO_FAULTS_LONG=1 tests/faults/faults.sh BUILD_DIR   more kills, longer loads
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:?usage: faults.sh BUILD_DIR}
DRIVER=$BUILD/tests/fault_driver
VAR=$(mktemp -d /tmp/snodo-faults.XXXXXX)
chmod 755 "$VAR"
export SNODO_VAR=$VAR SNODO_BUILD=$BUILD SNODO_SKIP_BUILD=1
LONG=${SNODO_FAULTS_LONG:-}
KILLS=$([ -n "$LONG" ] && echo 8 || echo 2)
SECONDS_A_LOAD=$([ -n "$LONG" ] && echo 40 || echo 8)
CLIENTS=$([ -n "$LONG" ] && echo 16 || echo 6)
failed=0

. "$ROOT/tests/lib/ports.sh"
free_base
export SNODO_PORT_BASE=$base

finish() {
    "$ROOT/deploy/snodo" down >/dev/null 2>&1
    if [ "$failed" -ne 0 ]; then
        for log in "$VAR"/log/*.log; do echo "--- $log"; tail -n 40 "$log"; done
    fi
    rm -rf "$VAR"
}
trap finish EXIT

snodo() { "$ROOT/deploy/snodo" "$@"; }
ctl() { "$BUILD/cli/snodoctl" -c "$VAR/snodo.cfg" "$@"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }
now_ms() { date +%s%3N; }

snodo up >"$VAR/up.txt" 2>&1 || { cat "$VAR/up.txt"; fail "deploy/snodo up"; exit 1; }
echo "faults: the network is up (ports from $base); $KILLS kills a service, $SECONDS_A_LOAD s loads, $CLIENTS clients"

# kill -9 SERVICE at moments spread over the load, restarting it at once;
# prints the seconds from each kill to serving again
kill_during_load() {
    local s=$1 i pid t0
    sleep 1
    for i in $(seq 1 "$KILLS"); do
        pid=$(cat "$VAR/run/$s.pid")
        t0=$(now_ms)
        kill -9 "$pid"
        snodo restart "$s" >/dev/null 2>&1 || echo "faults: $s did not restart"
        echo "faults: $s killed (pid $pid), serving again after $(( ($(now_ms) - t0) ))ms"
        sleep $(( SECONDS_A_LOAD / (KILLS + 1) ))
    done
}

ONLY=${SNODO_FAULTS_ONLY:-}     # one scenario: writes, pg, subscriber, broker (for a run by hand)
only() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }

only writes && for s in registry monitoring; do
    "$DRIVER" "$VAR/snodo.cfg" writes "$s" "$SECONDS_A_LOAD" "$CLIENTS" >"$VAR/driver.txt" 2>&1 &
    driver=$!
    kill_during_load "$s"
    wait "$driver" || fail "kill -9 of $s under writes"
    cat "$VAR/driver.txt"
done

# matching has no write a load can repeat at will: it is killed under
# rankings, and must serve again with its index whole
only writes && {
pid=$(cat "$VAR/run/matching.pid")
t0=$(now_ms)
kill -9 "$pid"
snodo restart matching >/dev/null 2>&1 || fail "matching did not restart"
echo "faults: matching killed (pid $pid), serving again after $(( $(now_ms) - t0 ))ms"
ctl --as ass6-sil match companies >/dev/null 2>&1 || fail "matching answers after its kill"
}

# PostgreSQL stopped at once under reads and writes, started again
only pg && {
"$DRIVER" "$VAR/snodo.cfg" reads "$SECONDS_A_LOAD" "$CLIENTS" >"$VAR/driver.txt" 2>&1 &
driver=$!
sleep 2
for i in $(seq 1 "$KILLS"); do
    "$ROOT/deploy/pgcluster" kill "$VAR/pg" || fail "the database did not stop"
    sleep 1
    t0=$(now_ms)
    "$ROOT/deploy/pgcluster" start "$VAR/pg" || fail "the database did not start"
    t1=$(now_ms)
    for _ in $(seq 1 100); do
        ctl --timeout 1000 service health >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "faults: PostgreSQL stopped at once for 1 s, back after $((t1 - t0))ms of recovery; the registry" \
         "serving again $(( $(now_ms) - t1 ))ms after that"
    sleep 1
done
wait "$driver" || fail "PostgreSQL stopped under reads and writes"
cat "$VAR/driver.txt"
}

# a subscriber away while events pile up: monitoring down, persons created
# in the registry, monitoring back: every person applied once
psql_var() { PGPASSFILE="$VAR/keys/admin.pgpass" psql -X -q -tA -h "$VAR/pg/run" -p "$(cat "$VAR/pg/port")" -U snodo -d snodo "$@"; }
only subscriber && {
kill -9 "$(cat "$VAR/run/monitoring.pid")"
"$DRIVER" "$VAR/snodo.cfg" writes registry 3 "$CLIENTS" >"$VAR/driver.txt" 2>&1 || fail "writes while monitoring was down"
t0=$(now_ms)
snodo restart monitoring >/dev/null 2>&1 || fail "monitoring did not restart"
caught_up=0
for _ in $(seq 1 300); do
    last=$(psql_var -c "SELECT max (seq) FROM registry.outbox")
    cursor=$(psql_var -c "SELECT last_seq FROM monitoring.cursor WHERE source = 'registry'")
    [ -n "$last" ] && [ "$cursor" = "$last" ] && { caught_up=1; break; }
    sleep 0.1
done
persons=$(psql_var -c "SELECT count (*) FROM registry.person")
applied=$(psql_var -c "SELECT count (*) FROM monitoring.person")
events=$(psql_var -c "SELECT count (*) FROM registry.outbox WHERE type = 'registry.person.created'")
echo "subscriber: $events persons created in the registry while monitoring was away or up; monitoring has $applied of $persons, its cursor at $cursor of $last, caught up in $(( $(now_ms) - t0 ))ms"
[ "$caught_up" = 1 ] && [ "$applied" = "$persons" ] || fail "monitoring did not apply every registry event once"
}

# the broker fed refused requests between good ones
only broker && { "$DRIVER" "$VAR/snodo.cfg" broker 3 "$CLIENTS" || fail "the broker held replies"; }

# and the trails still verify, each against what the others witnessed
. "$ROOT/tests/lib/trails.sh"
for s in registry monitoring matching; do
    trail_verifies "$BUILD/cli/snodoctl" "$VAR/snodo.cfg" "$s" "$VAR/verify.txt" || fail "the $s trail verifies"
done

echo "faults: $failed failed"
[ "$failed" -eq 0 ]
