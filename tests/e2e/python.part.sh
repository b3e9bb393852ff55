# Part of tests/e2e/up.sh (sourced): the Python example of examples/python,
# as an SSC's own system would run it: its key pair on its side, the
# connection file from the operator, and nothing else. Debian's python3
# (not another on the PATH): python3-zmq and python3-protobuf are its.

PY=/usr/bin/python3
PYDIR="$VAR/python"
mkdir -p "$PYDIR"
example() { (cd "$PYDIR" && "$PY" "$ROOT/examples/python/example.py" "$@" --connect ssc-py.json); }
check "the SSC's system makes its key pair" "$BUILD/cli/snodoctl" keygen "$PYDIR/ssc-py.cert"
register_py() {
    printf '{"id": "ssc-py", "kind": "SSC", "name": "Servizio sociale (Python)", "ambito": "urbano", "publicKey": "%s"}' \
        "$(sed -n 's/^ *public-key = "\(.*\)"/\1/p' "$PYDIR/ssc-py.cert")" | ctl members register -
}
check "the operator registers it" register_py
check "and writes its connection file" ctl members connection-file ssc-py "$PYDIR/ssc-py.json"

example tour --cursor tour.cursor >"$PYDIR/tour.txt" 2>&1
tour_rc=$?
cat "$PYDIR/tour.txt" >"$VAR/out.txt"
said() {        # said NAME PATTERN: the tour printed PATTERN
    if grep -Eq "$2" "$PYDIR/tour.txt"; then
        passed=$((passed + 1)); echo "ok: python: $1"
    else
        failed=$((failed + 1)); echo "FAILED: python: $1: no /$2/"; cat "$PYDIR/tour.txt"
    fi
}
if [ "$tour_rc" = 0 ]; then
    passed=$((passed + 1)); echo "ok: python: the tour ends well"
else
    failed=$((failed + 1)); echo "FAILED: python: the tour exits $tour_rc"; cat "$PYDIR/tour.txt"
fi
said "it is itself, found by its certificate" "^member: Servizio sociale \(Python\) \(ssc-py, MEMBER_KIND_SSC"
for s in $services; do
    said "the directory tells it where $s is" "^directory: $s at tcp://"
done
said "it creates a person" "^created: person [0-9a-f-]{36}"
said "the same request_id again is applied once" "^retried: .*: applied once$"
said "another body under a used request_id is refused" "^reused: .*refused: INVALID_ARGUMENT"
said "it reads the person back" "^read: Esempio Python"
said "a wrong check character is refused, naming the field" \
    "^refused: INVALID_ARGUMENT: person.codice_fiscale: check character"
said "it follows the creation in its own stream" "^followed: 1 of the creation's 1 events"
person=$(sed -n 's/^created: person \([0-9a-f-]*\) .*/\1/p' "$PYDIR/tour.txt")

# from the cursor the tour left: the creation is not told again
example follow --cursor tour.cursor --seconds 2 >"$PYDIR/again.txt" 2>&1
if grep -q "^followed:" "$PYDIR/again.txt" && ! grep -q "person.created $person" "$PYDIR/again.txt"; then
    passed=$((passed + 1)); echo "ok: python: resumed from its cursor, no event comes twice"
else
    failed=$((failed + 1)); echo "FAILED: python: the resumed stream repeats or failed"; cat "$PYDIR/again.txt"
fi

# a follower across a restart of the registry: what was written while it
# was away comes once it is back, once
cp "$PYDIR/tour.cursor" "$PYDIR/away.cursor"
example follow --cursor away.cursor --seconds 40 --until registry.person.created >"$PYDIR/away.txt" 2>&1 &
away=$!
sleep 1
check "the registry restarts under the Python follower" "$ROOT/deploy/snodo" restart registry
example tour --cursor second.cursor >"$PYDIR/second.txt" 2>&1
second=$(sed -n 's/^created: person \([0-9a-f-]*\) .*/\1/p' "$PYDIR/second.txt")
wait "$away"
if [ -n "$second" ] && [ "$(grep -c "person.created $second" "$PYDIR/away.txt")" = 1 ] \
   && ! grep -q "person.created $person" "$PYDIR/away.txt"; then
    passed=$((passed + 1)); echo "ok: python: across the restart the new person's event comes once, no old one again"
else
    failed=$((failed + 1)); echo "FAILED: python: the follower across the restart"
    cat "$PYDIR/second.txt" "$PYDIR/away.txt"
fi
