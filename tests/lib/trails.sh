# Sourced by the tests that run the network as deploy/snodo up does:
# trail_verifies SNODOCTL CONFIG SERVICE OUT: 0 once `snodoctl audit verify`
# of SERVICE says its trail is whole (a service reconnects to PostgreSQL
# within its back-off, at most 5 s: tried for 10 s), else its last answer
# printed and 1.
trail_verifies() {
    local snodoctl=$1 config=$2 service=$3 out=$4 i
    for i in $(seq 1 40); do
        "$snodoctl" -c "$config" --service "$service" audit verify >"$out" 2>&1 && return 0
        sleep 0.25
    done
    cat "$out"
    return 1
}
