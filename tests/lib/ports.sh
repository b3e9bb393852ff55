# Sourced by the tests that run deploy/snodo up: free_base [AVOID] sets base
# to the first of sixteen free ports in a row (deploy/snodo's setup_var takes
# 16: two a service, the dashboard, five metrics), from a random base below
# the kernel's ephemeral range (32768 on), where an outgoing connection could
# take one between this check and the service's bind; AVOID, another base
# already taken, is kept sixteen ports away.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_base() {
    local avoid=${1:-} p ok
    for _ in $(seq 1 50); do
        base=$((20000 + (RANDOM % 750) * 16))
        ok=1
        for p in $(seq "$base" $((base + 15))); do port_free "$p" || ok=0; done
        [ -n "$avoid" ] && [ "$base" -lt $((avoid + 16)) ] && [ $((base + 16)) -gt "$avoid" ] && ok=0
        [ $ok = 1 ] && return 0
    done
    return 1
}
