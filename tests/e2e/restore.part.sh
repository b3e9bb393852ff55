# Part of tests/e2e/up.sh (sourced): deploy/snodo backup of the running
# network, deploy/snodo restore onto a fresh var/ (a new cluster, whose
# transaction counter starts far behind the old one's): every service's
# audit trail verifies there, a new read is audited and sealed, and the
# trail verifies again.

RESTORED=$(mktemp -d /tmp/snodo-restored.XXXXXX)
chmod 755 "$RESTORED"
running_base=$base
free_base "$running_base"
rbase=$base
base=$running_base
restored() { SNODO_VAR=$RESTORED SNODO_PORT_BASE=$rbase "$ROOT/deploy/snodo" "$@"; }
rctl() { "$BUILD/cli/snodoctl" -c "$RESTORED/snodo.cfg" "$@"; }
restored_down() { restored down >/dev/null 2>&1; rm -rf "$RESTORED"; }

check "a read before the backup, audited" ctl --as ass6-sil persons list --limit 1
# a site's setting, changed in the running network's config (the bridge
# reads it at its next start): the restore keeps it
sed -i 's/^    callers = [0-9]*/    callers = 5/' "$VAR/snodo.cfg"
check_out "deploy/snodo backup" "backed up to $VAR/backup" "$ROOT/deploy/snodo" backup "$VAR/backup"
loose_backup() { find "$VAR/backup" -type f ! -perm 600 | grep . && return 1; ls "$VAR/backup" | wc -l; }
check_out "the backup is its owner's alone" "^4$" loose_backup
check_out "deploy/snodo restore onto a fresh var/, with the site's settings" \
    "kept from the backup's config:.* bridge/callers( |$)" restored restore "$VAR/backup"
cfg_value() {           # cfg_value SECTION KEY: its value in the restored config
    awk -v s="$1" -v k="$2" '/^[a-z]/ { on = ($0 == s); next }
        on && $0 ~ "^    " k " *=" { sub (/^[^=]*= */, ""); sub (/ *#.*$/, ""); gsub (/"/, ""); print }' \
        "$RESTORED/snodo.cfg"
}
restored_config() {     # the backup's setting, this host's places
    [ "$(cfg_value bridge callers)" = 5 ] &&
    cfg_value registry db | grep -q "host=$RESTORED/pg/run" &&
    [ "$(cfg_value registry request)" = "tcp://127.0.0.1:$rbase" ] || { cat "$RESTORED/snodo.cfg"; return 1; }
}
check "restored: the config keeps the site's setting and names this host's places" restored_config
persons_before=$(ctl --as ass6-sil persons list --limit 1000 | tail -n 1 | tr -d '()')
check_out "the restored registry has the network's $persons_before persons" "^\\($persons_before\\)$" \
    rctl --as ass6-sil persons list --limit 1000
for s in registry monitoring matching reporting bridge; do
    check_out "restored: $s's audit trail verifies" "intact" rctl --service "$s" audit verify
done
check "restored: a new read, audited" rctl --as ass6-sil persons list --limit 1
sealed_again() {        # the new entries sealed: nothing waits, and it verifies
    local i
    for i in $(seq 1 50); do
        rctl audit verify >"$VAR/verify.txt" 2>&1 && grep -q " 0 awaiting the next seal" "$VAR/verify.txt" && return 0
        sleep 0.2
    done
    cat "$VAR/verify.txt"
    return 1
}
check "restored: new entries are sealed, and the trail verifies" sealed_again
restored_down
