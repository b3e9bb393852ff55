#!/usr/bin/env bash
# End to end: deploy/snodo up on a throwaway var/ with the binaries of one
# build (plain or sanitized), every service in its own process as deployed;
# snodoctl through the config that up wrote; up again is harmless; down
# stops everything. Usage: tests/e2e/up.sh BUILD_DIR
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:?usage: up.sh BUILD_DIR}
VAR=$(mktemp -d /tmp/snodo-e2e.XXXXXX)
chmod 755 "$VAR"
export SNODO_VAR=$VAR SNODO_BUILD=$BUILD SNODO_SKIP_BUILD=1
passed=0 failed=0

. "$ROOT/tests/lib/ports.sh"
free_base
export SNODO_PORT_BASE=$base

finish() {
    "$ROOT/deploy/snodo" down >/dev/null 2>&1
    if [ "$failed" -ne 0 ]; then
        for log in "$VAR"/log/*.log; do echo "--- $log"; tail -n 30 "$log"; done
    fi
    rm -rf "$VAR"
}
trap finish EXIT

check() {       # check NAME COMMAND...: the command must succeed
    local name=$1; shift
    if "$@" >"$VAR/out.txt" 2>"$VAR/err.txt"; then
        passed=$((passed + 1)); echo "ok: $name"
    else
        failed=$((failed + 1)); echo "FAILED: $name (exit $?)"; cat "$VAR/out.txt" "$VAR/err.txt"
    fi
}
check_out() {   # check_out NAME PATTERN COMMAND...: succeeds and prints PATTERN
    local name=$1 pattern=$2; shift 2
    if "$@" >"$VAR/out.txt" 2>"$VAR/err.txt" && grep -Eq "$pattern" "$VAR/out.txt"; then
        passed=$((passed + 1)); echo "ok: $name"
    else
        failed=$((failed + 1)); echo "FAILED: $name: no /$pattern/"; cat "$VAR/out.txt" "$VAR/err.txt"
    fi
}
refused() {     # refused NAME EXIT COMMAND...: the command exits with EXIT
    local name=$1 want=$2; shift 2
    "$@" >"$VAR/out.txt" 2>"$VAR/err.txt"
    local got=$?
    if [ "$got" = "$want" ]; then
        passed=$((passed + 1)); echo "ok: $name"
    else
        failed=$((failed + 1)); echo "FAILED: $name: exit $got, expected $want"; cat "$VAR/out.txt" "$VAR/err.txt"
    fi
}
ctl() { "$BUILD/cli/snodoctl" -c "$VAR/snodo.cfg" "$@"; }

check_out "up starts everything and loads the demo" "demo: 300 persons created" "$ROOT/deploy/snodo" up
cp "$VAR/out.txt" "$VAR/up.out"     # what the first up said, for the parts below
services=$(sed -n 's/^SERVICES="\(.*\)"/\1/p' "$ROOT/deploy/snodo")
for s in $services; do
    check_out "status: $s runs" "$s: running" "$ROOT/deploy/snodo" status
    check_out "status: $s answers and reaches its database" "^snodo:   $s: up since .* database reachable" \
        "$ROOT/deploy/snodo" status
    check "the operator reaches $s" ctl --service "$s" call journal.ListAudit '{"limit": 1}'
done
for s in $services; do
    [ "$s" = registry ] && continue
    kind=SERVICE
    [ "$s" = bridge ] && kind=BRIDGE        # refers for the SSC, sees only what it referred
    check_out "$s is a member of kind $kind" "$kind" ctl members get "$s"
done
check_out "members: the demo network" "ass6-sil" ctl members list
check_out "the demo's contacts of the employment office with companies" "De Marchi" \
    ctl --as cpi-pordenone companies contacts --member cpi-pordenone
check "the demo: 5 contacts, 6 notes" grep -q "demo: 5 contacts of the employment office with companies, 6 notes" \
    "$VAR/up.out"
check_out "a referring service lists its persons" "\(([1-9][0-9]*)\)" ctl --as ass6-sil persons list
check "the audit trail of the registry verifies" ctl audit verify

# up again: nothing reloaded, nothing restarted
pids=$(cat "$VAR"/run/*.pid | sort | tr '\n' ' ')
check "up a second time" "$ROOT/deploy/snodo" up
if grep -q "loading the demo" "$VAR/out.txt"; then
    failed=$((failed + 1)); echo "FAILED: the second up loaded the demo again"
else
    passed=$((passed + 1)); echo "ok: the second up left the demo alone"
fi
if [ "$(cat "$VAR"/run/*.pid | sort | tr '\n' ' ')" = "$pids" ]; then
    passed=$((passed + 1)); echo "ok: the second up restarted nothing"
else
    failed=$((failed + 1)); echo "FAILED: the second up restarted services"
fi
# the demo loaded by hand again (after the bridge's sample added persons of
# the SSCs): the same network is found, nothing is added, nothing fails
check_out "a second demo load finds the same persons" "demo: 0 persons created \(300 were there already\)" \
    ctl demo load
for found in "0 pathways in every state \(24 were there already\)" "0 proposals made by the SIL, 0 accepted" \
             "0 contacts of the employment office with companies, 0 notes" \
             "the closed pathways of 2021-2025 for the reports were there already"; do
    if grep -Eq "$found" "$VAR/out.txt" && [ ! -s "$VAR/err.txt" ]; then
        passed=$((passed + 1)); echo "ok: the second demo load: $found"
    else
        failed=$((failed + 1)); echo "FAILED: the second demo load: no /$found/, or it complained"
        cat "$VAR/out.txt" "$VAR/err.txt"
    fi
done

# every other service's own checks, with the same helpers
for extra in "$ROOT"/tests/e2e/*.part.sh; do
    [ -f "$extra" ] && . "$extra"
done

# the audit trail's tail, witnessed by the services that follow the
# registry: once a seal of it is witnessed, cutting the last batch with its
# entries shows on verify (alone, the trail would still look intact)
psql_var() { PGPASSFILE="$VAR/keys/admin.pgpass" psql -X -q -tA -h "$VAR/pg/run" -p "$(cat "$VAR/pg/port")" -U snodo -d snodo "$@"; }
witnessed() {
    local i
    for i in $(seq 1 50); do
        ctl audit verify 2>/dev/null | grep -Eq "; [1-9][0-9]* seals witnessed" && return 0
        sleep 0.2
    done
    return 1
}
check "a seal of the registry's trail is witnessed by the other services" witnessed
last_witnessed() {      # the registry's last batch, once monitoring witnessed it
    local i last seen
    for i in $(seq 1 50); do
        last=$(psql_var -c "SELECT coalesce (max (batch), 0) FROM registry.audit_batch")
        seen=$(psql_var -c "SELECT coalesce (max (batch), 0) FROM monitoring.witness WHERE source = 'registry'")
        [ -n "$last" ] && [ "$last" = "$seen" ] && [ "$last" != 0 ] && return 0
        sleep 0.2
    done
    echo "last batch $last, witnessed $seen"
    return 1
}
check "monitoring witnessed the registry's last batch" last_witnessed
check_out "audit list names each sealed entry's batch" '"batch": "[1-9]' ctl --json audit list --limit 1
cut_tail() {
    psql_var -c "WITH last AS (SELECT xid_from, xid_to FROM registry.audit_batch ORDER BY batch DESC LIMIT 1)
                 DELETE FROM registry.audit a USING last WHERE a.xid >= last.xid_from AND a.xid < last.xid_to" &&
    psql_var -c "DELETE FROM registry.audit_batch WHERE batch = (SELECT max (batch) FROM registry.audit_batch)"
}
check "the registry's last sealed batch is deleted with its entries" cut_tail
refused "audit verify: the cut tail shows (exit 1)" 1 ctl audit verify
if grep -Eq "missing|written again" "$VAR/out.txt"; then
    passed=$((passed + 1)); echo "ok: verify says the tail was cut"
else
    failed=$((failed + 1)); echo "FAILED: verify did not say the tail was cut"; cat "$VAR/out.txt"
fi

# the database stopped under running services: health answers, and says so
pg_ctl_stop() { "$ROOT/deploy/pgcluster" stop "$VAR/pg" >/dev/null 2>&1; }
check "the database stops under the services" pg_ctl_stop
health_down() { ctl --timeout 3000 --service registry service health; [ $? -eq 3 ]; }
check_out "health: the registry answers that its database is not reachable (exit 3)" \
    "registry: up since .* database NOT REACHABLE" health_down

check "down" "$ROOT/deploy/snodo" down
refused "after down the registry does not answer" 3 ctl --timeout 500 whoami

echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
