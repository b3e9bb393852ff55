# Part of tests/e2e/up.sh (sourced): nobody else on the host gets in. The
# services run as their own system user, not root; another local user
# reaches neither the database nor the certificates' secrets; the database
# wants each role's password; a service's role reads no other's schema.

pg_as() {       # pg_as ROLE PASSFILE SQL: a statement as ROLE, through the socket
    PGPASSFILE=$2 psql -w -X -q -tA -h "$VAR/pg/run" -p "$(cat "$VAR/pg/port")" -U "$1" -d snodo -c "$3"
}
refused_with() {    # refused_with NAME PATTERN COMMAND...: fails, saying PATTERN
    local name=$1 pattern=$2; shift 2
    if "$@" >"$VAR/out.txt" 2>&1; then
        failed=$((failed + 1)); echo "FAILED: $name: it succeeded"; cat "$VAR/out.txt"
    elif grep -Eq "$pattern" "$VAR/out.txt"; then
        passed=$((passed + 1)); echo "ok: $name"
    else
        failed=$((failed + 1)); echo "FAILED: $name: no /$pattern/"; cat "$VAR/out.txt"
    fi
}

refused_with "without its password, a role is refused" "password authentication failed|no password" \
    pg_as registry /dev/null "SELECT 1"
check_out "with it, the role gets in" "^1$" pg_as registry "$VAR/keys/pgpass" "SELECT 1"
refused_with "a service's role does not read another's schema" "permission denied" \
    pg_as monitoring "$VAR/keys/pgpass" "SELECT count (*) FROM registry.person"
refused_with "nor write it" "permission denied" \
    pg_as matching "$VAR/keys/pgpass" "DELETE FROM monitoring.pathway"

if [ "$(id -u)" = 0 ]; then
    for s in $services; do
        check_out "$s runs as the system user snodo, not root" "^snodo$" ps -o user= -p "$(cat "$VAR/run/$s.pid")"
    done
    as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
    refused_with "another local user cannot reach the database's socket" \
        "Permission denied|could not connect|No such file" \
        as_nobody psql -w -X -h "$VAR/pg/run" -p "$(cat "$VAR/pg/port")" -U registry -d snodo -c "SELECT 1"
    refused_with "nor read a service's certificate secret" "Permission denied" \
        as_nobody cat "$VAR/certs/registry.cert_secret"
    refused_with "nor the operator's" "Permission denied" as_nobody cat "$VAR/certs/members/admin.cert_secret"
    refused_with "nor the database passwords" "Permission denied" as_nobody cat "$VAR/keys/pgpass"
    refused_with "the services' user does not read the superuser's password" "Permission denied" \
        setpriv --reuid snodo --regid snodo --clear-groups cat "$VAR/keys/admin.pgpass"
    superuser_apart() { ! grep -q '^\*:\*:\*:snodo:' "$VAR/keys/pgpass" && grep -q '^\*:\*:\*:snodo:' "$VAR/keys/admin.pgpass"; }
    check "nor finds it among the services' passwords" superuser_apart
    refused_with "nor an audit key" "Permission denied" as_nobody cat "$VAR/keys/registry-audit.key"
else
    echo "skipped: the checks as another local user need root (deploy/snodo test as root runs them)"
fi
loose_secrets() {   # prints the secret files that others may read; fails if any
    local loose
    loose=$(find "$VAR/keys" "$VAR/certs" -type f \( -name '*_secret' -o -path "$VAR/keys/*" \) ! -perm 600)
    [ -z "$loose" ] || { echo "$loose"; return 1; }
    find "$VAR/keys" "$VAR/certs" -type f \( -name '*_secret' -o -path "$VAR/keys/*" \) | wc -l
}
check_out "every secret in var/ is its owner's alone (0600)" "^[1-9][0-9]*$" loose_secrets
