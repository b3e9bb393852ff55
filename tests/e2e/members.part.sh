# Part of tests/e2e/up.sh (sourced): the directory lists where every
# service is; a new member joins with a connection file alone, its key pair
# made on its own side; revoked and unknown keys are told UNAUTHENTICATED,
# not left to their deadline.

# every service with its endpoints and its key, as the certificate says
listed() {
    local s=$1 key
    key=$(sed -n 's/^ *public-key = "\(.*\)"/\1/p' "$VAR/certs/$s.cert")
    ctl --json directory | python3 -c '
import json, sys
service, key = sys.argv[1], sys.argv[2]
members = json.load(sys.stdin).get("members", [])
found = [m for m in members if m.get("publicKey") == key
         and any(e.get("service") == service and e.get("request", "").startswith("tcp://")
                 and e.get("events", "").startswith("tcp://") for e in m.get("endpoints", []))]
sys.exit(0 if found else 1)' "$s" "$key"
}
for s in $services; do
    check "the directory lists $s with its endpoints and key" listed "$s"
done

# a cooperative joins: its key pair on its side, the public key to the
# operator, a connection file back; nothing else from this host
REMOTE="$VAR/remote"
mkdir -p "$REMOTE"
check "the new member makes its key pair" "$BUILD/cli/snodoctl" keygen "$REMOTE/coop-e2e.cert"
register_remote() {
    printf '{"id": "coop-e2e", "kind": "COOPERATIVA", "name": "Cooperativa E2E", "publicKey": "%s"}' \
        "$(sed -n 's/^ *public-key = "\(.*\)"/\1/p' "$REMOTE/coop-e2e.cert")" | ctl members register -
}
check "the operator registers its public key" register_remote
check "the operator writes its connection file" ctl members connection-file coop-e2e "$REMOTE/coop-e2e.json"
if grep -q secret "$REMOTE/coop-e2e.json"; then
    failed=$((failed + 1)); echo "FAILED: the connection file holds a secret"
else
    passed=$((passed + 1)); echo "ok: the connection file holds no secret"
fi
remote() { (cd "$REMOTE" && env -u SNODO_CONFIG "$BUILD/cli/snodoctl" --connect coop-e2e.json "$@"); }
check_out "with the connection file alone, the member is itself" '"id": "coop-e2e"' remote --json whoami
check_out "and finds another service through the directory" "Tirocinio" remote services standard

# refused at once with the reason, not at the deadline
check "an unknown key: a certificate of its own" "$BUILD/cli/snodoctl" keygen "$REMOTE/stranger.cert"
refused "an unknown key is refused (exit 1)" 1 remote --timeout 10000 --cert "$REMOTE/stranger.cert" whoami
said=$(cat "$VAR/err.txt")
check_out "and told UNAUTHENTICATED" "UNAUTHENTICATED" echo "$said"
check "the operator revokes the member" ctl members revoke coop-e2e "e2e"
refused "the revoked member is refused (exit 1)" 1 remote --timeout 10000 whoami
said=$(cat "$VAR/err.txt")
check_out "and told UNAUTHENTICATED" "UNAUTHENTICATED" echo "$said"
refused "a connection file of a revoked member is not written" 1 ctl members connection-file coop-e2e
