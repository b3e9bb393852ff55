#!/usr/bin/env bash
# sd_notify, as systemd sees a Type=notify unit (deploy/systemd/): the
# registry started with NOTIFY_SOCKET naming a unix datagram socket of the
# test's own (a Python listener standing in for systemd)
#
#   - says READY=1 once, when it serves: a health request right then is
#     answered; STOPPING=1 on SIGTERM, then exits 0;
#   - while its database is away, says so in STATUS and not READY=1; a
#     SIGTERM then stops it (STOPPING=1, exit 0);
#   - with NOTIFY_SOCKET naming a socket no one listens on, serves as ever;
#   - its day and its log's times are those of its time_zone setting, and
#     an unknown zone stops it at start, naming the setting.
#
# The registry's database: the cluster deploy/snodo test started when
# SNODO_TEST_PG* say where, else a throwaway one (deploy/pgcluster).
# Usage: tests/packaging/notify.sh BUILD_DIR
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${1:?usage: notify.sh BUILD_DIR}" && pwd)
REGISTRY=$BUILD/services/registry/snodo-registry
CTL=$BUILD/cli/snodoctl
TMP=$(mktemp -d /tmp/snodo-notify.XXXXXX)
chmod 755 "$TMP"
passed=0 failed=0 started=$(date +%s)
own_cluster="" dbname="" pid="" listener=""

psql_test() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -d postgres "$@"
}
finish() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    [ -n "$listener" ] && kill "$listener" 2>/dev/null
    [ -n "$dbname" ] && psql_test -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1
    [ -n "$own_cluster" ] && "$ROOT/deploy/pgcluster" stop "$TMP/pg" >/dev/null 2>&1
    if [ "$failed" -ne 0 ]; then
        for log in "$TMP"/registry-*.log; do echo "--- $log"; tail -n 20 "$log"; done
    fi
    rm -rf "$TMP"
    echo "sd_notify: $passed passed, $failed failed in $(($(date +%s) - started)) s"
}
trap finish EXIT
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- the database, the certificates, the config -------------------------------------

if [ -n "${SNODO_TEST_PGHOST:-}" ] && [ -n "${SNODO_TEST_PGPORT:-}" ]; then
    PGHOST_=$SNODO_TEST_PGHOST PGPORT_=$SNODO_TEST_PGPORT PGUSER_=${SNODO_TEST_PGUSER:-snodo}
else
    PGHOST_=$TMP/pg/run PGPORT_=$(free_port) PGUSER_=snodo
    own_cluster=1
    "$ROOT/deploy/pgcluster" init "$TMP/pg" "$PGPORT_" >/dev/null && "$ROOT/deploy/pgcluster" start "$TMP/pg" \
        || { fail "a throwaway cluster started"; exit 1; }
fi
dbname=snodo_notify_$$
psql_test -c "CREATE DATABASE $dbname" >/dev/null || { fail "the test's database made"; dbname=""; exit 1; }

mkdir -p "$TMP/certs/members" "$TMP/keys"
"$CTL" keygen "$TMP/certs/registry.cert" >/dev/null
"$CTL" keygen "$TMP/certs/members/admin.cert" >/dev/null
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$TMP/keys/registry-audit.key"
admin_key=$(sed -n 's/^ *public-key = "\(.*\)"/\1/p' "$TMP/certs/members/admin.cert")
port=$(free_port) events=$(free_port)
config() {      # config FILE CONNINFO
    cat >"$1" <<CFG
snodoctl
    identity = admin
    certs = "$TMP/certs/members"
registry
    request = "tcp://127.0.0.1:$port"
    events = "tcp://127.0.0.1:$events"
    db = "$2"
    cert = "$TMP/certs/registry.cert"
    audit_key = "$TMP/keys/registry-audit.key"
    admin
        id = admin
        key = "$admin_key"
CFG
}
config "$TMP/snodo.cfg" "host=$PGHOST_ port=$PGPORT_ dbname=$dbname user=$PGUSER_ connect_timeout=3"
config "$TMP/away.cfg" "host=$TMP/nowhere port=$PGPORT_ dbname=$dbname user=$PGUSER_ connect_timeout=1"

# --- systemd's side: a unix datagram socket, each message a line --------------------------

SOCKET=$TMP/notify.sock
MESSAGES=$TMP/messages.txt
python3 - "$SOCKET" "$MESSAGES" <<'PY' &
import socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
sock.settimeout(120)
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        try:
            data = sock.recv(4096)
        except socket.timeout:
            break
        out.write(data.decode(errors="replace").replace("\n", "|") + "\n")
PY
listener=$!
for _ in $(seq 1 50); do [ -S "$SOCKET" ] && break; sleep 0.1; done
[ -S "$SOCKET" ] || { fail "the listener's socket is there"; exit 1; }
: >"$MESSAGES"

# wait_for PATTERN SECONDS: until a message matches (1), or not (0)
wait_for() {
    local i
    for i in $(seq 1 $(($2 * 10))); do
        grep -Eq "$1" "$MESSAGES" && return 0
        sleep 0.1
    done
    return 1
}
# stop: SIGTERM; rc is the exit code once it is gone (or "killed" after 15 s)
stop() {
    local i
    kill -TERM "$pid"
    for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid"; wait "$pid" 2>/dev/null; rc=killed
    else
        wait "$pid"; rc=$?
    fi
    pid=""
}
health() { "$CTL" -c "$TMP/snodo.cfg" --timeout 3000 --service registry service health; }

# --- the database away: STATUS, no READY --------------------------------------------------

NOTIFY_SOCKET=$SOCKET "$REGISTRY" -c "$TMP/away.cfg" >"$TMP/registry-away.log" 2>&1 &
pid=$!
if wait_for '^STATUS=waiting for the database' 20; then
    ok "its database away, it says so (STATUS=waiting for the database)"
else
    fail "no STATUS while its database is away: $(cat "$MESSAGES")"
fi
sleep 1
if grep -q 'READY=1' "$MESSAGES"; then fail "READY=1 without its database"; else ok "no READY=1 while its database is away"; fi
stop
if [ "$rc" = 0 ] && grep -q '^STOPPING=1' "$MESSAGES"; then
    ok "SIGTERM while it waits: STOPPING=1, exit 0"
else
    fail "SIGTERM while it waits: exit $rc, messages: $(cat "$MESSAGES")"
fi

# --- serving: READY=1 when it serves, STOPPING=1 on SIGTERM -----------------------------------

: >"$MESSAGES"
t0=$(date +%s%3N)
NOTIFY_SOCKET=$SOCKET "$REGISTRY" -c "$TMP/snodo.cfg" >"$TMP/registry-notify.log" 2>&1 &
pid=$!
if wait_for '^READY=1' 30; then
    ready_ms=$(($(date +%s%3N) - t0))
    # the first request right after READY=1: it serves already
    if health >"$TMP/health.txt" 2>&1; then
        ok "READY=1 $ready_ms ms after the start, and a request right then is answered"
    else
        fail "READY=1, but a request right then is not answered: $(cat "$TMP/health.txt")"
    fi
    grep -q "^READY=1|STATUS=serving on tcp://127.0.0.1:$port$" "$MESSAGES" \
        && ok "READY=1 comes with STATUS=serving on its endpoint" \
        || fail "READY=1 without STATUS=serving on tcp://127.0.0.1:$port: $(cat "$MESSAGES")"
else
    fail "no READY=1 in 30 s: $(cat "$MESSAGES")"
fi
stop
if [ "$rc" = 0 ] && [ "$(grep -c '^READY=1' "$MESSAGES")" = 1 ] && tail -n 1 "$MESSAGES" | grep -q '^STOPPING=1'; then
    ok "SIGTERM: STOPPING=1 last, READY=1 said once, exit 0"
else
    fail "SIGTERM: exit $rc, messages: $(cat "$MESSAGES")"
fi

# --- no one listening: nothing changes -----------------------------------------------------

: >"$MESSAGES"
NOTIFY_SOCKET=$TMP/no-one-listens.sock "$REGISTRY" -c "$TMP/snodo.cfg" >"$TMP/registry-nobody.log" 2>&1 &
pid=$!
served=0
for _ in $(seq 1 30); do health >/dev/null 2>&1 && { served=1; break; }; sleep 0.5; done
[ $served = 1 ] && ok "NOTIFY_SOCKET naming a socket no one listens on: it serves as ever" \
    || fail "with no one listening on NOTIFY_SOCKET it did not serve"
stop
[ "$rc" = 0 ] && ok "and stops with exit 0" || fail "with no one listening: exit $rc"

# --- its time zone: the operators' day, from the config ------------------------------------
# A zone whose date is never UTC's (UTC+14 from noon UTC, UTC-12 before): a
# service that kept UTC would show the wrong day in every line of its log.

if [ "$(date -u +%H)" -ge 12 ]; then zone=Pacific/Kiritimati offset=+14:00; else zone=Etc/GMT+12 offset=-12:00; fi
config "$TMP/zone.cfg" "host=$PGHOST_ port=$PGPORT_ dbname=$dbname user=$PGUSER_ connect_timeout=3"
sed -i "/^registry\$/a\\    time_zone = \"$zone\"" "$TMP/zone.cfg"
"$REGISTRY" -c "$TMP/zone.cfg" >"$TMP/registry-zone.log" 2>&1 &
pid=$!
served=0
for _ in $(seq 1 30); do health >/dev/null 2>&1 && { served=1; break; }; sleep 0.5; done
stop
day=$(TZ=$zone date +%F)
first=$(head -n 1 "$TMP/registry-zone.log" | cut -d' ' -f1)
if [ $served = 1 ] && [[ "$first" == "${day}T"*"$offset" ]] && [ "$day" != "$(date -u +%F)" ]; then
    ok "time_zone = $zone: its log's times are that zone's ($first, that zone's day $day)"
else
    fail "time_zone = $zone: served $served, first log time \"$first\", that zone's day $day"
fi
config "$TMP/nozone.cfg" "host=$PGHOST_ port=$PGPORT_ dbname=$dbname user=$PGUSER_ connect_timeout=3"
sed -i "/^registry\$/a\\    time_zone = \"Mars/Olympus_Mons\"" "$TMP/nozone.cfg"
timeout 20 "$REGISTRY" -c "$TMP/nozone.cfg" >"$TMP/registry-nozone.log" 2>&1
rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q 'registry/time_zone: "Mars/Olympus_Mons" is not a known time zone' "$TMP/registry-nozone.log"; then
    ok "an unknown time zone: it does not start, and says which setting and why (exit $rc)"
else
    fail "an unknown time zone: exit $rc, log: $(cat "$TMP/registry-nozone.log")"
fi

[ "$failed" -eq 0 ]
