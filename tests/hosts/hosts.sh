#!/usr/bin/env bash
# The hosts apart: the services on hosts of their own, as institutions run
# them. Four Linux network namespaces joined by a bridge, addresses from
# 192.0.2.0/24 (the documentation range):
#
#   A 192.0.2.1   PostgreSQL (TCP, scram-sha-256, one pg_hba line a role)
#                 and the registry
#   B 192.0.2.2   monitoring        C 192.0.2.3   matching
#   D 192.0.2.4   an institution's client: snodoctl --connect, its key pair
#                 made on D
#
# Each service starts from its own config: its own section, and the
# registry's endpoints and public key; it finds the others in the directory.
# A SIL on D creates a person in the registry, refers a pathway in
# monitoring, and matching hears of it. Then host B's link is taken down for
# about 5 s while D writes persons to the registry and calls monitoring: the
# calls fail with a clear status, and once the link is back monitoring has
# every event once and in order, and D's streams of the registry and of
# monitoring, followed from a cursor it keeps, have no gap and no repeat.
#
# Needs root (network namespaces): exits 77 (skipped) where they cannot be
# made. Usage: tests/hosts/hosts.sh BUILD_DIR
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:?usage: hosts.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
CTL=$BUILD/cli/snodoctl
PGCLUSTER=$ROOT/deploy/pgcluster
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
MAX_WRITES=${SNODO_HOSTS_WRITES:-300}   # at most this many persons D creates around the outage
LEAD=10             # persons created before the link goes down, and after it is back
OUTAGE_S=${SNODO_HOSTS_OUTAGE_S:-5}     # how long host B is cut off
passed=0 failed=0

skip() { echo "hosts: SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "network namespaces need root (run as root, as deploy/snodo test does in CI)"
command -v ip >/dev/null || skip "no ip command (the iproute2 package)"
command -v python3 >/dev/null || skip "no python3 (it reads snodoctl's JSON here)"
[ -x "$PGBIN/initdb" ] || skip "no PostgreSQL 15 in $PGBIN"

# Names of this run's namespaces: the hub with the bridge, and the hosts.
NS=snh$$
HOSTS="a b c d"
declare -A ADDR=([a]=192.0.2.1 [b]=192.0.2.2 [c]=192.0.2.3 [d]=192.0.2.4)
made_ns=()

# What an earlier run left when it was killed outright (SIGKILL, as by a
# ctest timeout): its namespaces, the processes in them, its folder. A run's
# names carry its process id; only runs no longer alive are swept.
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
sweep_stale() {
    local ns pid dir p
    for ns in $(ip netns list 2>/dev/null | sed -n 's/^\(snh[0-9]*-[a-z]*\).*/\1/p'); do
        pid=${ns#snh}; pid=${pid%%-*}
        alive "$pid" && continue
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    for dir in /tmp/snodo-hosts-[0-9]*.*; do
        [ -d "$dir" ] || continue
        pid=${dir#/tmp/snodo-hosts-}; pid=${pid%%.*}
        alive "$pid" || rm -rf "$dir"
    done
}
sweep_stale
T=$(mktemp -d "/tmp/snodo-hosts-$$.XXXXXX")
chmod 755 "$T"
pids=()             # the services and background jobs, for the cleanup

finish() {
    local pid i ns
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for i in $(seq 1 100); do
        local left=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
        [ $left = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
    if [ -f "$T/a/pg/data/PG_VERSION" ]; then
        "$PGCLUSTER" stop "$T/a/pg" >/dev/null 2>&1 || "$PGCLUSTER" kill "$T/a/pg" >/dev/null 2>&1
    fi
    for ns in "${made_ns[@]}"; do
        # whatever is left in this run's namespaces was started by it
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    if [ "$failed" -ne 0 ]; then
        for log in "$T"/log/*.log "$T"/d/*.err; do [ -f "$log" ] && { echo "--- $log"; tail -n 30 "$log"; }; done
    fi
    if [ -n "${SNODO_HOSTS_KEEP:-}" ]; then      # kept, out of the next runs' sweep
        mv "$T" "${T/snodo-hosts-/snodo-hosts-kept-}" && echo "hosts: kept ${T/snodo-hosts-/snodo-hosts-kept-}"
    else
        rm -rf "$T"
    fi
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }
check() {       # check NAME COMMAND...: the command must succeed
    local name=$1; shift
    if "$@" >"$T/out.txt" 2>"$T/err.txt"; then
        ok "$name"
    else
        fail "$name (exit $?)"; cat "$T/out.txt" "$T/err.txt"
    fi
}
check_out() {   # check_out NAME PATTERN COMMAND...: succeeds and prints PATTERN
    local name=$1 pattern=$2; shift 2
    if "$@" >"$T/out.txt" 2>"$T/err.txt" && grep -Eq "$pattern" "$T/out.txt"; then
        ok "$name"
    else
        fail "$name: no /$pattern/"; cat "$T/out.txt" "$T/err.txt"
    fi
}
eventually() {  # eventually NAME SECONDS PATTERN COMMAND...: succeeds (printing PATTERN, if one) within SECONDS
    local name=$1 limit=$2 pattern=$3 start=$SECONDS; shift 3
    while [ $((SECONDS - start)) -lt "$limit" ]; do
        if "$@" >"$T/out.txt" 2>"$T/err.txt" && { [ -z "$pattern" ] || grep -Eq "$pattern" "$T/out.txt"; }; then
            ok "$name ($((SECONDS - start)) s)"; return 0
        fi
        sleep 0.3
    done
    fail "$name: ${pattern:+no /$pattern/, }not within $limit s"; cat "$T/out.txt" "$T/err.txt"
    return 1
}
die() { fail "$*"; exit 1; }

on() { local h=$1; shift; ip netns exec "$NS-$h" "$@"; }
random_hex() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
public_key() { sed -n 's/^ *public-key = "\(.*\)"/\1/p' "$1"; }
json_field() { grep -o "\"$1\": *\"[^\"]*\"" "$T/out.txt" | head -n 1 | sed 's/.*: *"\(.*\)"/\1/'; }

# --- the hosts ------------------------------------------------------------------

ip netns add "$NS-hub" 2>"$T/err.txt" || skip "ip netns add failed: $(cat "$T/err.txt")"
made_ns+=("$NS-hub")
net() {
    local h
    ip -n "$NS-hub" link add br0 type bridge || return 1
    ip -n "$NS-hub" link set br0 up || return 1
    for h in $HOSTS; do
        ip netns add "$NS-$h" || return 1
        made_ns+=("$NS-$h")
        # eth0 on the host; its other end, p<host>, the port of the hub's bridge
        ip link add eth0 netns "$NS-$h" type veth peer name "p$h" netns "$NS-hub" || return 1
        ip -n "$NS-hub" link set "p$h" master br0 up || return 1
        ip -n "$NS-$h" addr add "${ADDR[$h]}/24" dev eth0 || return 1
        ip -n "$NS-$h" link set eth0 up || return 1
        ip -n "$NS-$h" link set lo up || return 1
    done
}
net 2>"$T/err.txt" || skip "could not make the hosts' network: $(cat "$T/err.txt")"
# reachable: a connection to a closed port is refused (no ping here)
reach() {
    local i
    for i in $(seq 1 20); do
        on d timeout 2 bash -c "exec 3<>/dev/tcp/$1/9" >"$T/reach.txt" 2>&1
        grep -q "refused" "$T/reach.txt" && return 0
        sleep 0.1
    done
    cat "$T/reach.txt"
    return 1
}
for h in a b c; do check "host D reaches host ${h^^} (${ADDR[$h]})" reach "${ADDR[$h]}"; done
[ "$failed" = 0 ] || exit 1

# The services run as the system user snodo where there is one (deploy/snodo
# up makes it), from a copy of the programs that user can reach.
RUNAS=()
if getent passwd snodo >/dev/null; then
    RUNAS=(setpriv --reuid snodo --regid snodo --init-groups --)
    SERVICE_USER=snodo
else
    SERVICE_USER=root
    echo "hosts: no system user snodo: the services run as root"
fi
mkdir -p "$T/bin" "$T/log" "$T/a" "$T/b" "$T/c" "$T/d"
chmod 755 "$T/bin" "$T/a" "$T/b" "$T/c" "$T/d"
for s in registry monitoring matching; do install -m 755 "$BUILD/services/$s/snodo-$s" "$T/bin/"; done

# --- host A: the database, over TCP with passwords -------------------------------

PGPORT=5432         # the host's own network: no other cluster listens there
random_hex > "$T/a/pwfile"
chmod 600 "$T/a/pwfile"
PGCLUSTER_PWFILE=$T/a/pwfile "$PGCLUSTER" init "$T/a/pg" "$PGPORT" >"$T/log/pg-init.log" 2>&1 \
    || { cat "$T/log/pg-init.log"; die "pgcluster init"; }
install -m 600 /dev/null "$T/a/super.pgpass"
echo "*:*:*:snodo:$(cat "$T/a/pwfile")" > "$T/a/super.pgpass"
echo "listen_addresses = '${ADDR[a]}'" >> "$T/a/pg/data/postgresql.conf"
for s in registry monitoring matching; do
    echo "host snodo $s 192.0.2.0/24 scram-sha-256" >> "$T/a/pg/data/pg_hba.conf"
done
on a "$PGCLUSTER" start "$T/a/pg" || die "the database did not start on host A"
sql() {         # sql STATEMENT: as the superuser, on host A through the socket (DB=postgres: that database)
    PGPASSFILE=$T/a/super.pgpass on a psql -X -q -tA -v ON_ERROR_STOP=1 -h "$T/a/pg/run" -p $PGPORT -U snodo \
        -d "${DB:-snodo}" -c "$1"
}
DB=postgres sql "CREATE DATABASE snodo" >/dev/null || die "CREATE DATABASE"
sql "REVOKE ALL ON DATABASE snodo FROM PUBLIC; REVOKE ALL ON SCHEMA public FROM PUBLIC" || die "REVOKE"

# --- each service's own files, on its own host -----------------------------------

declare -A HOST_OF=([registry]=a [monitoring]=b [matching]=c)
# service_files SERVICE: its folder on its host: certificate, audit key,
# password file, config (the registry's section; for the others also the
# registry's endpoints and public key)
service_files() {
    local s=$1 h=${HOST_OF[$1]} password
    local dir=$T/${HOST_OF[$1]}/$s
    mkdir -p "$dir"
    on "$h" "$CTL" keygen "$dir/$s.cert" >/dev/null || return 1
    random_hex > "$dir/$s-audit.key"
    password=$(random_hex)
    sql "CREATE ROLE $s LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD '$password';
         GRANT CONNECT, CREATE ON DATABASE snodo TO $s" || return 1
    echo "${ADDR[a]}:$PGPORT:snodo:$s:$password" > "$dir/pgpass"
    {
        if [ "$s" != registry ]; then
            printf 'registry\n    request = "tcp://%s:7401"\n    events = "tcp://%s:7402"\n    public_key = "%s"\n' \
                "${ADDR[a]}" "${ADDR[a]}" "$REGISTRY_KEY"
        fi
        printf '%s\n' "$s"
        printf '    request = "tcp://%s:7401"\n    events = "tcp://%s:7402"\n' "${ADDR[$h]}" "${ADDR[$h]}"
        printf '    db = "host=%s port=%s dbname=snodo user=%s passfile=%s connect_timeout=3"\n' \
            "${ADDR[a]}" "$PGPORT" "$s" "$dir/pgpass"
        printf '    cert = "%s"\n    audit_key = "%s"\n    workers = 2\n' "$dir/$s.cert" "$dir/$s-audit.key"
        if [ "$s" = registry ]; then
            printf '    admin\n        id = admin\n        key = "%s"\n' "$(public_key "$T/a/admin/admin.cert")"
        fi
    } > "$dir/$s.cfg"
    chmod 600 "$dir/$s-audit.key" "$dir/pgpass" "$dir/${s}.cert_secret"
    chown -R "$SERVICE_USER:" "$dir"
    chmod 700 "$dir"
}

# the operator, on host A: its certificate and a config that knows the registry
mkdir -p "$T/a/admin"
chmod 700 "$T/a/admin"
on a "$CTL" keygen "$T/a/admin/admin.cert" >/dev/null || die "keygen admin"
service_files registry || die "the registry's files"
REGISTRY_KEY=$(public_key "$T/a/registry/registry.cert")
cat > "$T/a/admin/admin.cfg" <<CFG
snodoctl
    identity = admin
    certs = "$T/a/admin"
registry
    request = "tcp://${ADDR[a]}:7401"
    events = "tcp://${ADDR[a]}:7402"
    public_key = "$REGISTRY_KEY"
CFG
service_files monitoring || die "monitoring's files"
service_files matching || die "matching's files"
admin() { on a "$CTL" -c "$T/a/admin/admin.cfg" "$@"; }

check "monitoring's config has its own section and the registry's, no other" \
    test "$(grep -c '^[a-z]' "$T/b/monitoring/monitoring.cfg")" = 2
superuser_from_b() {    # the superuser, with its password, from host B: refused
    ! PGPASSWORD=$(cat "$T/a/pwfile") on b psql -w -X -h "${ADDR[a]}" -p $PGPORT -U snodo -d snodo -c "SELECT 1" 2>&1
}
check_out "the superuser does not get in over TCP, even with its password" "no pg_hba.conf entry" superuser_from_b

declare -A PID_OF
start() {       # start SERVICE: on its host, as the services' user, from its config
    local s=$1
    ip netns exec "$NS-${HOST_OF[$s]}" "${RUNAS[@]}" "$T/bin/snodo-$s" -c "$T/${HOST_OF[$s]}/$s/$s.cfg" \
        >>"$T/log/$s.log" 2>&1 &
    pids+=($!)
    PID_OF[$s]=$!
}
healthy() { admin --timeout 2000 --service "$1" service health; }

start registry
eventually "the registry answers on host A and reaches its database over TCP" 30 "database reachable" healthy registry

# the operator registers the services (kind SERVICE) and the SIL, each with the
# public key its host made; the SIL's key pair never leaves D
register() {    # register ID KIND CERT
    printf '{"id": "%s", "kind": "%s", "name": "%s (hosts apart)", "publicKey": "%s"}' \
        "$1" "$2" "$1" "$(public_key "$3")" | admin members register -
}
check "monitoring is registered as a SERVICE" register monitoring SERVICE "$T/b/monitoring/monitoring.cert"
check "matching is registered as a SERVICE" register matching SERVICE "$T/c/matching/matching.cert"
check "D makes its SIL's key pair" on d "$CTL" keygen "$T/d/sil-hosts.cert"
check "the SIL is registered with its public key" register sil-hosts SIL "$T/d/sil-hosts.cert"
check "the operator writes the SIL's connection file" admin members connection-file sil-hosts "$T/d/sil-hosts.json"
check_out "the connection file names the registry on host A" "tcp://${ADDR[a]}:7401" cat "$T/d/sil-hosts.json"
sil() { on d "$CTL" --connect "$T/d/sil-hosts.json" "$@"; }

start monitoring
start matching
eventually "monitoring answers from host B and reaches its database on A" 60 "database reachable" healthy monitoring
eventually "matching answers from host C and reaches its database on A" 60 "database reachable" healthy matching
listed_at() {   # listed_at SERVICE ADDRESS: the directory, as D reads it, lists SERVICE there
    sil --json directory | python3 -c '
import json, sys
service, address = sys.argv[1], sys.argv[2]
ok = any(e.get("service") == service and e.get("request") == "tcp://%s:7401" % address
         and e.get("events") == "tcp://%s:7402" % address
         for m in json.load(sys.stdin).get("members", []) for e in m.get("endpoints", []))
sys.exit(0 if ok else 1)' "$1" "$2"
}
for s in registry monitoring matching; do
    eventually "the directory lists $s at its host's address (${ADDR[${HOST_OF[$s]}]})" 20 "" \
        listed_at "$s" "${ADDR[${HOST_OF[$s]}]}"
done
runs_on() {     # runs_on SERVICE: its process is in its host's namespace, as the services' user
    local pid=${PID_OF[$1]}
    echo "$(ip netns identify "$pid") $(ps -o user= -p "$pid")"
}
for s in registry monitoring matching; do
    check_out "$s runs on host ${HOST_OF[$s]^^}, as $SERVICE_USER" "^$NS-${HOST_OF[$s]} $SERVICE_USER\$" runs_on "$s"
done
[ "$failed" = 0 ] || exit 1

# --- a pathway carried across the hosts ------------------------------------------

# valid codici fiscali, one a number: a surname code from the number, and the
# check character
cat > "$T/tools.py" <<'PY'
import json, sys
ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
               [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11,
                3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]))
def even(c): return int(c) if c.isdigit() else ord(c) - 65
def cf(n):
    letters = ""
    for _ in range(3):
        letters += chr(65 + n % 26); n //= 26
    body = "B" + letters[::-1] + "NN" + "80A01H501"
    s = sum(ODD[c] if i % 2 == 0 else even(c) for i, c in enumerate(body))
    return body + chr(65 + s % 26)
def follow(path):
    """A Follow reply on stdin: its events appended to path, the cursor printed."""
    reply = json.load(sys.stdin)
    with open(path, "a") as out:
        for e in reply.get("events", []):
            out.write("%s %s %s\n" % (e["seq"], e["type"], e.get("subject", "")))
    print(reply.get("nextAfter", "0"), reply.get("lastSeq", "0"))
def persons(folder, n):
    """Persons 0..n of the SIL's, one JSON file each."""
    for i in range(n + 1):
        with open("%s/%d.json" % (folder, i), "w") as out:
            json.dump({"codiceFiscale": cf(i), "surname": "Bianchi", "name": "Anna",
                       "municipality": "Pordenone", "ambito": "urbano", "latitude": 45.956,
                       "longitude": 12.660, "categories": ["PHYSICAL_DISABILITY"],
                       "invalidityPercent": 60}, out)
if sys.argv[1] == "persons":
    persons(sys.argv[2], int(sys.argv[3]))
elif sys.argv[1] == "follow":
    follow(sys.argv[2])
PY
mkdir -p "$T/d/persons"
python3 "$T/tools.py" persons "$T/d/persons" "$MAX_WRITES" || die "the persons' files"
check_out "D's SIL creates a person in the registry on A" '"id"' sil --json persons create "$T/d/persons/0.json"
person=$(json_field id)
echo "$person" > "$T/d/created-0.txt"
# monitoring knows the person once the registry's event reached it (until
# then: FAILED_PRECONDITION, the person unknown)
eventually "and refers a pathway in monitoring on B (once B heard of the person from A)" 30 '"id"' \
    sil --json pathways refer "$person" internship
pathway=$(json_field id)
check "intake (monitoring on B)" sil pathways intake "$pathway"
matching_state() { sql "SELECT state FROM matching.pathway WHERE id = '$pathway'"; }
eventually "matching on C learns of the pathway, in its state after intake (2)" 30 "^2$" matching_state

# D's streams, followed from cursors it keeps: the registry's and monitoring's
follow_once() {     # follow_once SERVICE CURSOR_FILE LOG [TIMEOUT_MS]: one Follow from the cursor
    local s=$1 cursor_file=$2 log=$3 timeout=${4:-5000} out
    out=$(sil --json --timeout "$timeout" --service "$s" events follow "$(cut -d' ' -f1 "$cursor_file")" 200 \
          --wait-ms 500) || return $?
    echo "$out" | python3 "$T/tools.py" follow "$log" > "$cursor_file.new" && mv "$cursor_file.new" "$cursor_file"
}
echo "0 0" > "$T/d/registry.cursor"
echo "0 0" > "$T/d/monitoring.cursor"
check "D follows monitoring's stream (its pathway's events)" follow_once monitoring "$T/d/monitoring.cursor" \
    "$T/d/monitoring.events"
check_out "and sees its referral and intake" "monitoring.pathway.intake $pathway" cat "$T/d/monitoring.events"

# --- host B cut off while D writes ----------------------------------------------

# two writers from D: persons created, each writer's one after another, until
# told to stop (or MAX_WRITES); the ids the registry gave, in created-K.txt
writer() {      # writer K: persons K, K + 2, ...
    local i=$1 out
    while [ "$i" -le "$MAX_WRITES" ] && [ ! -f "$T/d/writers.stop" ] && alive $$; do
        if out=$(sil --json --timeout 10000 persons create "$T/d/persons/$i.json" 2>>"$T/d/writer.err"); then
            echo "$out" | grep -o '"id": *"[^"]*"' | head -1 | sed 's/.*: *"\(.*\)"/\1/' >> "$T/d/created-$1.txt"
        else
            echo "$i" >> "$T/d/writer.failed"
        fi
        i=$((i + 2))
    done
}
# the follower of the registry's stream, until told to stop and caught up
follower() {
    local i cursor last
    for i in $(seq 1 1000); do
        alive $$ || return 0        # this run was killed
        follow_once registry "$T/d/registry.cursor" "$T/d/registry.events" 5000 2>>"$T/d/follower.err"
        if [ -f "$T/d/follower.stop" ]; then
            read -r cursor last < "$T/d/registry.cursor"
            [ "$cursor" -ge "$(cat "$T/d/follower.stop")" ] && return 0
        fi
    done
    echo "the follower gave up" >> "$T/d/follower.err"
}
count() { cat "$T"/d/created-*.txt 2>/dev/null | wc -l; }
writing() { local pid; for pid in "${writers[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
until_created() {   # until_created N SECONDS: waits until D has created N persons, or wrote its last
    local start=$SECONDS
    while [ "$(count)" -lt "$1" ] && writing && [ $((SECONDS - start)) -lt "$2" ]; do sleep 0.2; done
    [ "$(count)" -ge "$1" ] || ! writing
}
writer 1 & pids+=($!)
writer 2 & pids+=($!)
writers=("${pids[@]: -2}")
follower & follower_pid=$!
pids+=($follower_pid)

until_created $((1 + LEAD)) 90 || fail "D's writers did not create $LEAD persons in 90 s"
before=$(count)
seq_at_down=$(sql "SELECT coalesce (max (seq), 0) FROM registry.outbox")
ip -n "$NS-hub" link set pb down
down_at=$SECONDS
echo "hosts: host B's link down after $((before - 1)) writes"
# calls to monitoring meanwhile: they fail, and say why
# (the registry, on A, still answers: the directory says where monitoring is,
# and the call to monitoring itself is the one that fails)
cut_off() {     # cut_off METHOD COMMAND...: exits 3, METHOD's status DEADLINE_EXCEEDED or UNAVAILABLE
    local method=$1 rc; shift
    "$@" >"$T/cut.txt" 2>&1
    rc=$?
    [ $rc = 3 ] && grep -Eq "$method: (DEADLINE_EXCEEDED|UNAVAILABLE)" "$T/cut.txt" && return 0
    echo "exit $rc"; cat "$T/cut.txt"; return 1
}
check "while B is cut off, a call to monitoring fails: exit 3, DEADLINE_EXCEEDED or UNAVAILABLE" \
    cut_off monitoring.GetPathway sil --timeout 2500 pathways get "$pathway"
check "and so does D's following of monitoring's stream, its cursor kept" \
    cut_off journal.Follow follow_once monitoring "$T/d/monitoring.cursor" "$T/d/monitoring.events" 2500
while [ $((SECONDS - down_at)) -lt $OUTAGE_S ]; do sleep 0.2; done
during=$(( $(count) - before ))
ip -n "$NS-hub" link set pb up
up_at=$SECONDS
seq_at_up=$(sql "SELECT coalesce (max (seq), 0) FROM registry.outbox")
echo "hosts: host B's link up again after $((up_at - down_at)) s; $during persons were created meanwhile," \
    "the registry's events up to seq $seq_at_up"
if [ "$during" -gt 0 ]; then ok "the registry took writes while B was cut off ($during)"
else fail "no person was created while B was cut off: the writers were too slow to tell anything"; fi
[ "$during" -ge 3 ] || fail "fewer than three persons to refer later"

applied_through() {     # applied_through SERVICE SEQ: its cursor of the registry is at SEQ or past it
    local cursor
    cursor=$(sql "SELECT last_seq FROM $1.cursor WHERE source = 'registry'")
    echo "$1 at ${cursor:-nothing}"
    [ -n "$cursor" ] && [ "$cursor" -ge "$2" ]
}
eventually "monitoring applies every registry event written while B was cut off" 90 "" \
    applied_through monitoring "$seq_at_up"
eventually "monitoring answers D again" 60 "PATHWAY_STATE_INTAKE" \
    sil --json --timeout 3000 pathways get "$pathway"
until_created $((before + during + LEAD)) 90 || fail "D's writers did not create $LEAD persons more in 90 s"
touch "$T/d/writers.stop"
for _ in $(seq 1 150); do writing || break; sleep 0.2; done
writing && fail "D's writers did not stop in 30 s"
created=$(count)
if [ ! -s "$T/d/writer.failed" ]; then
    ok "D created every person it tried ($created)"
else
    fail "D's writes: $created created, failed: $(tr '\n' ' ' < "$T/d/writer.failed")"
    tail -5 "$T/d/writer.err" 2>/dev/null
fi

# --- once the link is back: everything once, in order -------------------------------

# the registry's last seq, once it stops moving (audit seals follow the writes)
settled_seq() {
    local last now i
    last=$(sql "SELECT coalesce (max (seq), 0) FROM registry.outbox")
    for i in $(seq 1 60); do
        sleep 1
        now=$(sql "SELECT coalesce (max (seq), 0) FROM registry.outbox")
        [ "$now" = "$last" ] && { echo "$now"; return 0; }
        last=$now
    done
    echo "$last"
}
caught_up() {   # caught_up SERVICE: its cursor of the registry is the registry's last seq
    local last cursor
    last=$(sql "SELECT coalesce (max (seq), 0) FROM registry.outbox")
    cursor=$(sql "SELECT last_seq FROM $1.cursor WHERE source = 'registry'")
    echo "registry at $last, $1 at $cursor"
    [ -n "$cursor" ] && [ "$cursor" = "$last" ]
}
settled=$(settled_seq)
echo "$settled" > "$T/d/follower.stop"
eventually "monitoring's cursor of the registry reaches the registry's last seq" 60 "" caught_up monitoring
for _ in $(seq 1 600); do kill -0 "$follower_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$follower_pid" 2>/dev/null && fail "D's follower of the registry did not catch up in 120 s"
check "matching, never cut off, too" caught_up matching

same_persons() {
    local registry monitoring missing extra
    registry=$(sql "SELECT count (*) FROM registry.person")
    monitoring=$(sql "SELECT count (*) FROM monitoring.person")
    missing=$(sql "SELECT count (*) FROM (SELECT id FROM registry.person EXCEPT SELECT id FROM monitoring.person) m")
    extra=$(sql "SELECT count (*) FROM (SELECT id FROM monitoring.person EXCEPT SELECT id FROM registry.person) e")
    echo "registry $registry, monitoring $monitoring, missing $missing, extra $extra, D created $created"
    [ "$registry" = "$created" ] && [ "$monitoring" = "$created" ] && [ "$missing" = 0 ] && [ "$extra" = 0 ]
}
check "monitoring's copy of the persons is the registry's: each person once, none missing" same_persons

# D's stream of the registry: every person.created, as the registry numbered
# them, each once and in order
lines() { wc -l < "$1"; }
stream_is() {   # stream_is EVENTS_FILE SQL TYPE: the file's lines of TYPE are the query's rows, seqs rising
    local file=$1 query=$2
    sql "$query" > "$T/expected.txt"
    grep -F "$3" "$file" > "$T/got.txt"
    if ! diff -q "$T/expected.txt" "$T/got.txt" >/dev/null; then
        echo "expected $(lines "$T/expected.txt") lines, got $(lines "$T/got.txt")"
        diff "$T/expected.txt" "$T/got.txt" | head -10
        return 1
    fi
    sort -n -u -k1,1 "$file" | diff -q - "$file" >/dev/null || { echo "seqs repeated or out of order"; return 1; }
    echo "$(lines "$T/got.txt") events"
}
check_out "D's stream of the registry, followed from its cursor throughout: every person created, no gap, no repeat" \
    "^$created events" stream_is "$T/d/registry.events" \
    "SELECT seq || ' ' || type || ' ' || subject FROM registry.outbox
     WHERE type = 'registry.person.created' ORDER BY seq" "registry.person.created"

# D's stream of monitoring, from the cursor it kept across the outage: the
# pathways it refers now (persons created while B was cut off) come once
refer_later() {
    local id i
    for id in $(sql "SELECT subject FROM registry.outbox WHERE type = 'registry.person.created'
                     AND seq > $seq_at_down AND seq <= $seq_at_up ORDER BY seq LIMIT 3"); do
        for i in $(seq 1 30); do
            sil --json pathways refer "$id" internship >"$T/out.txt" 2>"$T/err.txt" && break
            sleep 0.5
        done
        grep -q '"id"' "$T/out.txt" || return 1
    done
}
check "D refers three persons created while B was cut off" refer_later
follow_monitoring() {
    local i last cursor
    last=$(sql "SELECT coalesce (max (seq), 0) FROM monitoring.outbox")
    for i in $(seq 1 30); do
        follow_once monitoring "$T/d/monitoring.cursor" "$T/d/monitoring.events" 5000 || return 1
        read -r cursor _ < "$T/d/monitoring.cursor"
        [ "$cursor" -ge "$last" ] && return 0
    done
    return 1
}
check "D follows monitoring's stream again from its kept cursor" follow_monitoring
check_out "D's stream of monitoring: every pathway event, no gap, no repeat" "^5 events" \
    stream_is "$T/d/monitoring.events" \
    "SELECT seq || ' ' || type || ' ' || subject FROM monitoring.outbox
     WHERE type LIKE 'monitoring.pathway.%' ORDER BY seq" "monitoring.pathway."

# every service lived through it; under the sanitizers, none reported an error
# (leaks show only at exit, and one shows there at times: OpenSSL's per-thread
# random state of a CZMQ actor thread that libpq's SCRAM used, when the
# process's exit cleans OpenSSL up before that detached thread has ended)
for s in registry monitoring matching; do
    check "$s still runs" alive "${PID_OF[$s]}"
done
check "no sanitizer error in the services' logs" \
    bash -c "! grep -E 'ERROR: AddressSanitizer|runtime error:' $T/log/registry.log $T/log/monitoring.log $T/log/matching.log"

echo "hosts: $passed passed, $failed failed ($SECONDS s)"
[ "$failed" -eq 0 ]
