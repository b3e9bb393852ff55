#!/usr/bin/env bash
# Run by packages.sh inside its throwaway root (an overlay of / in a mount
# namespace of its own, chrooted into): installs the packages in /debs with
# dpkg as on a fresh machine and checks what the operations doc says of
# them. Prints ok:/FAILED: lines, then "inroot: done".
# Usage (inside the throwaway root only): inroot.sh "SERVICES" VERSION
set -uo pipefail
SERVICES=$1 VERSION=$2

# never anywhere but in the throwaway root: its marker is in the overlay's
# upper layer only
[ -f /.snodo-throwaway-root ] || { echo "FAILED: inroot.sh runs only in packages.sh's throwaway root"; exit 1; }
export PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive
cd /

ok() { echo "ok: $*"; }
fail() { echo "FAILED: $*"; }
check() {
    local name=$1; shift
    if "$@" >/tmp/out.txt 2>&1; then ok "$name"; else fail "$name"; sed 's/^/    /' /tmp/out.txt; fi
}
mode() { stat -c '%a %U %G' "$1" 2>&1; }
same() {        # same WHAT GOT WANT
    [ "$2" = "$3" ] || { echo "$1: $2, expected $3"; return 1; }
}

# a fresh machine: no snodo user yet (this machine's own may be there, from
# deploy/snodo up; it goes from the throwaway root only)
if getent passwd snodo >/dev/null; then userdel snodo >/dev/null 2>&1 || true; fi
if getent group snodo >/dev/null; then groupdel snodo >/dev/null 2>&1 || true; fi

debs=(/debs/snodo-common_*.deb)
for s in $SERVICES; do debs+=(/debs/snodo-"$s"_*.deb); done
debs+=(/debs/snodoctl_*.deb)
check "dpkg -i installs the seven packages" dpkg -i "${debs[@]}"
check "dpkg says all seven are installed at $VERSION" bash -c '
    for p in snodo-common '"$(for s in $SERVICES; do printf 'snodo-%s ' "$s"; done)"' snodoctl; do
        [ "$(dpkg-query -W -f="\${Status} \${Version}" "$p")" = "install ok installed '"$VERSION"'" ] \
            || { echo "$p: $(dpkg-query -W -f="\${Status} \${Version}" "$p")"; exit 1; }
    done'

user_made() {
    local entry uid home shell
    entry=$(getent passwd snodo) || { echo "no user snodo"; return 1; }
    IFS=: read -r _ _ uid _ _ home shell <<<"$entry"
    getent group snodo >/dev/null || { echo "no group snodo"; return 1; }
    [ "$uid" -lt 1000 ] || { echo "uid $uid is not a system one"; return 1; }
    same "the group of snodo" "$(id -gn snodo)" snodo \
        && same "home" "$home" /var/lib/snodo && same "shell" "$shell" /usr/sbin/nologin
}
check "the postinst made the system user snodo (its group, home /var/lib/snodo, no login shell)" user_made
layout() {
    same /etc/snodo "$(mode /etc/snodo)" "755 root root" \
        && same /etc/snodo/snodo.cfg "$(mode /etc/snodo/snodo.cfg)" "644 root root" \
        && same /etc/snodo/certs "$(mode /etc/snodo/certs)" "700 snodo snodo" \
        && same /etc/snodo/certs/members "$(mode /etc/snodo/certs/members)" "700 snodo snodo" \
        && same /etc/snodo/keys "$(mode /etc/snodo/keys)" "700 snodo snodo" \
        && same /var/lib/snodo "$(mode /var/lib/snodo)" "750 snodo snodo" \
        && same /var/lib/snodo/bridge "$(mode /var/lib/snodo/bridge)" "700 snodo snodo"
}
check "the folders: /etc/snodo/{certs,keys} 0700 and /var/lib/snodo the snodo user's, the spool 0700" layout
check "dpkg keeps /etc/snodo/snodo.cfg as snodo-common's conffile" \
    bash -c "dpkg-query -W -f='\${Conffiles}' snodo-common | grep -q '^ /etc/snodo/snodo.cfg [0-9a-f]\{32\}'"
runs() {
    local s rc
    snodoctl --help >/dev/null || { echo "snodoctl --help failed"; return 1; }
    for s in $SERVICES; do
        rc=0; "/usr/bin/snodo-$s" --no-such-option 2>/dev/null || rc=$?
        same "snodo-$s's exit on a bad option" "$rc" 2 || return 1
    done
}
check "the installed binaries run (their libraries found): snodoctl, each service" runs
check "snodoctl reads /etc/snodo/snodo.cfg by default" \
    bash -c "snodoctl members list 2>&1 | grep -q '/etc/snodo/snodo.cfg'"
verify_installed() {
    local s out rc
    for s in $SERVICES; do
        rc=0; out=$(systemd-analyze verify "/lib/systemd/system/snodo-$s.service" 2>&1) || rc=$?
        [ $rc = 0 ] && ! echo "$out" | grep -q "snodo-$s" || { echo "snodo-$s.service (exit $rc): $out"; return 1; }
    done
}
if command -v systemd-analyze >/dev/null; then
    check "systemd-analyze verify: every unit as installed" verify_installed
else
    echo "skipped: systemd-analyze verify (no systemd-analyze)"
fi

# --- the first start, as docs/operations.md says it ------------------------------------------
# Debian's PostgreSQL (the cluster 15/main this machine has, its copy in the
# throwaway root), the roles and their passwords, the certificates and audit
# keys, the operator's key in the config; then each service as its unit
# runs it (no systemd here: as the user snodo, ExecStart's command line).
SERVICE_PIDS=()
first_start() {
    local s pw kind key i
    mkdir -p /run/postgresql && chown postgres:postgres /run/postgresql
    pg_ctlcluster 15 main start || return 1
    # 1. the database, a role for each service, their passwords in pgpass
    runuser -u postgres -- psql -q -c "CREATE DATABASE snodo" -c "REVOKE ALL ON DATABASE snodo FROM PUBLIC" || return 1
    runuser -u postgres -- psql -q -d snodo -c "REVOKE ALL ON SCHEMA public FROM PUBLIC" || return 1
    (umask 077 && : >/etc/snodo/keys/pgpass)
    for s in $SERVICES; do
        pw=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
        runuser -u postgres -- psql -q -c "CREATE ROLE $s LOGIN PASSWORD '$pw'" \
            -c "GRANT CONNECT, CREATE ON DATABASE snodo TO $s" || return 1
        echo "*:*:*:$s:$pw" >>/etc/snodo/keys/pgpass
    done
    sed -i '/^local *all *all *peer/i local   snodo   registry,monitoring,matching,reporting,bridge   scram-sha-256' \
        /etc/postgresql/15/main/pg_hba.conf
    pg_ctlcluster 15 main reload || return 1
    # 2. the certificates and audit keys, made as the user snodo
    for s in $SERVICES; do
        runuser -u snodo -- snodoctl keygen "/etc/snodo/certs/$s.cert" >/dev/null || return 1
        runuser -u snodo -- sh -c "umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >/etc/snodo/keys/$s-audit.key"
    done
    runuser -u snodo -- snodoctl keygen /etc/snodo/certs/members/admin.cert >/dev/null || return 1
    dpkg-reconfigure snodo-common || return 1
    # 3. the operator's key in the registry's section
    # (as an editor would: a Z85 key may hold '&', which sed's replacement would read as the match)
    key=$(sed -n 's/^ *public-key = "\(.*\)"/\1/p' /etc/snodo/certs/members/admin.cert)
    sed -i -e 's/^    # admin$/    admin/' -e 's/^    #     id = admin$/        id = admin/' \
        -e "s|^    #     key = \"...\"\$|        key = \"$(echo "$key" | sed 's/[&\\|]/\\&/g')\"|" /etc/snodo/snodo.cfg
    grep -qxF "        key = \"$key\"" /etc/snodo/snodo.cfg || { echo "the admin key is not in the config"; return 1; }
    # 4. the registry, the other services registered in it, then them
    runuser -u snodo -- /usr/bin/snodo-registry -c /etc/snodo/snodo.cfg >/tmp/registry.log 2>&1 &
    SERVICE_PIDS+=($!)
    serving registry || return 1
    for s in $SERVICES; do
        [ "$s" = registry ] && continue
        kind=SERVICE
        [ "$s" = bridge ] && kind=BRIDGE
        printf '{"id": "%s", "kind": "%s", "name": "Snodo %s service", "publicKey": "%s"}' "$s" "$kind" "$s" \
            "$(sed -n 's/^ *public-key = "\(.*\)"/\1/p' "/etc/snodo/certs/$s.cert")" \
            | snodoctl members register - >/dev/null || return 1
        runuser -u snodo -- "/usr/bin/snodo-$s" -c /etc/snodo/snodo.cfg >"/tmp/$s.log" 2>&1 &
        SERVICE_PIDS+=($!)
    done
    for s in $SERVICES; do serving "$s" || return 1; done
    # the bridge made its spool where its unit lets it write
    [ -d /var/lib/snodo/bridge/inbox ] || { echo "no spool in /var/lib/snodo/bridge"; return 1; }
    snodoctl directory
}
serving() {     # serving SERVICE: it answers and reaches its database, within 15 s
    local i
    for i in $(seq 1 50); do
        snodoctl --timeout 1000 --service "$1" service health >/dev/null 2>&1 && return 0
        sleep 0.3
    done
    echo "$1 does not answer"; tail -n 5 "/tmp/$1.log"; return 1
}
stop_services() {
    local pid
    for pid in "${SERVICE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${SERVICE_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    pg_ctlcluster 15 main stop >/dev/null 2>&1
}
if [ ! -f /etc/postgresql/15/main/postgresql.conf ] || [ -f /var/lib/postgresql/15/main/postmaster.pid ]; then
    echo "skipped: the first start (no Debian cluster 15/main on this machine, or it runs: its copy would not be consistent)"
elif ! ip link set lo up 2>/dev/null; then
    echo "skipped: the first start (no loopback in the throwaway root's network)"
else
    check "the first start as docs/operations.md says: database, roles, keys, config, the five services serve" \
        first_start
    stop_services
fi

# secrets copied in as root: the next configure makes them the snodo user's, 0600
[ -f /etc/snodo/keys/pgpass ] || printf '*:*:*:registry:secret\n' >/etc/snodo/keys/pgpass
chown root:root /etc/snodo/keys/pgpass
chmod 644 /etc/snodo/keys/pgpass
snodoctl keygen /etc/snodo/certs/members/aurora.cert >/dev/null
chmod 644 /etc/snodo/certs/members/aurora.cert_secret
echo "# the operator's own line" >>/etc/snodo/snodo.cfg
check "an upgrade (snodo-common and snodo-registry installed again) succeeds" \
    dpkg -i /debs/snodo-common_*.deb /debs/snodo-registry_*.deb
check "the upgrade kept the operator's edit of the config" grep -qx "# the operator's own line" /etc/snodo/snodo.cfg
secrets() {
    same pgpass "$(mode /etc/snodo/keys/pgpass)" "600 snodo snodo" \
        && same aurora.cert_secret "$(mode /etc/snodo/certs/members/aurora.cert_secret)" "600 snodo snodo" \
        && same aurora.cert "$(stat -c '%U' /etc/snodo/certs/members/aurora.cert)" snodo
}
check "configure made the secrets copied in as root the snodo user's, 0600" secrets

check "dpkg -r snodo-registry removes its binary and unit" bash -c \
    'dpkg -r snodo-registry >/dev/null && [ ! -e /usr/bin/snodo-registry ] && [ ! -e /lib/systemd/system/snodo-registry.service ]'
others=""
for s in $SERVICES; do [ "$s" = registry ] || others="$others snodo-$s"; done
# shellcheck disable=SC2086
check "purging every package succeeds" dpkg -P $others snodo-registry snodoctl snodo-common
purged() {
    [ ! -e /etc/snodo/snodo.cfg ] || { echo "the config is still there"; return 1; }
    [ -f /etc/snodo/keys/pgpass ] && [ -f /etc/snodo/certs/members/aurora.cert_secret ] \
        || { echo "a secret went with the purge"; return 1; }
    getent passwd snodo >/dev/null || { echo "the user went"; return 1; }
}
check "the purge took the config and kept the secrets and the user" purged
echo "inroot: done"
