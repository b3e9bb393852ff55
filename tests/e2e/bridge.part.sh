# Sourced by up.sh (its helpers: check, check_out, refused, ctl, eventually; $VAR).
# The bridge to the cartella sociale as deployed: the demo's sample file was
# imported by up (its report shown), snodoctl imports another, the pathways
# it referred go out to the outbox, and reconcile names what disagrees.

# bridge_eventually NAME PATTERN COMMAND...: within 10 s, COMMAND prints PATTERN
bridge_eventually() {
    local name=$1 pattern=$2 i; shift 2
    for i in $(seq 1 50); do
        if "$@" >"$VAR/out.txt" 2>"$VAR/err.txt" && grep -Eq "$pattern" "$VAR/out.txt"; then
            passed=$((passed + 1)); echo "ok: $name"; return 0
        fi
        sleep 0.2
    done
    failed=$((failed + 1)); echo "FAILED: $name: no /$pattern/"; cat "$VAR/out.txt" "$VAR/err.txt"
}

check_out "up imported the demo's file of the cartella sociale" "demo-cartella-sociale.xml: processed: 6 records, 6 accepted" \
    cat "$VAR/up.out"
check_out "the demo file's report lies beside it" "^record 1, line 6: referral SSC-URB-2026-0001: accepted" \
    cat "$VAR/bridge/processed/demo-cartella-sociale.xml.report"
check_out "bridge status shows the file processed" "demo-cartella-sociale.xml +PROCESSED +6 +6 +0 +0" ctl bridge status
cat > "$VAR/second.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<inbound xmlns="urn:snodo:cartella-sociale:1" sender="e2e" created="2026-11-21T09:00:00Z">
  <update id="SSC-URB-2026-0001-U3" referral="SSC-URB-2026-0001" date="2026-11-21">
    <contact><email>ottavio.quaglia@example.org</email></contact>
  </update>
  <referral id="SSC-NOR-2026-0009" date="2026-11-21">
    <person><codiceFiscale>QGLTTV77H30Z133X</codiceFiscale><surname>Quaglia</surname><name>Ottavio</name></person>
    <ambito>nord</ambito><socialWorker>Paolo Zanette</socialWorker><reason>codice fiscale sbagliato</reason>
    <objective>9</objective>
    <consent date="2026-11-21"><grant purpose="placement" to="cpi"/></consent>
  </referral>
</inbound>
XML
refused "bridge import: one record refused, exit 1" 1 ctl bridge import "$VAR/second.xml"
cp "$VAR/out.txt" "$VAR/import.out"
check_out "bridge import says in one line what became of each record" \
    "^second.xml: processed: 2 records, 1 accepted, 1 rejected, 0 skipped \(report: .*/processed/second.xml.report\)$" \
    cat "$VAR/import.out"
check_out "the refused record's reason is the registry's" "record 2, line 6: referral SSC-NOR-2026-0009: rejected: registry.CreatePerson: INVALID_ARGUMENT: person.codice_fiscale: check character is 'X'" \
    cat "$VAR/bridge/processed/second.xml.report"
check_out "the SSC of the ambito sees the person the bridge referred" "QGLTTV77H30Z133U" \
    ctl --as ssc-urbano persons find QGLTTV77H30Z133U
bridge_eventually "the pathways the bridge referred go out to the outbox" "snodo-events-0000000001-" ls "$VAR/bridge/outbox"
check_out "reconcile names the referral the hub did not accept" "SSC-NOR-2026-0009 +QGLTTV77H30Z133X +NOT_ACCEPTED" \
    ctl bridge reconcile
check_out "the bridge's audit trail verifies" "intact" ctl --service bridge audit verify
