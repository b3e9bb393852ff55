# Sourced by up.sh (its helpers: check, check_out, refused, ctl; $VAR).
# Seed 000 as the operators live it, through snodoctl alone: one pathway
# from taking in charge (the CPI) to hiring, and what each member may see
# after each step, the dates kept, the post's places and the company's law
# 68/1999 quota after the hire; another from intake back to the social
# services, and the SSC of the person's ambito seeing the person after it.

# o_denied NAME COMMAND...: refused with PERMISSION_DENIED (not for another reason)
o_denied() {
    local name=$1; shift
    if ! "$@" >"$VAR/out.txt" 2>"$VAR/err.txt" && grep -q PERMISSION_DENIED "$VAR/err.txt"; then
        passed=$((passed + 1)); echo "ok: $name"
    else
        failed=$((failed + 1)); echo "FAILED: $name: not PERMISSION_DENIED"; cat "$VAR/out.txt" "$VAR/err.txt"
    fi
}
# o_eventually NAME PATTERN COMMAND...: within 10 s COMMAND prints PATTERN
o_eventually() {
    local name=$1 pattern=$2 i; shift 2
    for i in $(seq 1 50); do
        if "$@" >"$VAR/out.txt" 2>"$VAR/err.txt" && grep -Eq "$pattern" "$VAR/out.txt"; then
            passed=$((passed + 1)); echo "ok: $name"; return 0
        fi
        sleep 0.2
    done
    failed=$((failed + 1)); echo "FAILED: $name: no /$pattern/"; cat "$VAR/out.txt" "$VAR/err.txt"
}
# o_json ARGS...: snodoctl --json ARGS on one line (patterns may span fields)
o_json() { ctl --json "$@" | tr -d '\n' | tr -s ' '; }
o_field() { grep -o "\"$1\": *\"[^\"]*\"" "$VAR/out.txt" | head -n 1 | sed 's/.*: *"\(.*\)"/\1/'; }
today=$(TZ=Europe/Rome date +%F)

# --- to hiring: taken in charge by the CPI ------------------------------------------------
cat > "$VAR/o-person.json" <<'JSON'
{"codiceFiscale": "VRDLGU75C12G888J", "surname": "Verdi", "name": "Luigi", "municipality": "Pordenone",
 "ambito": "urbano", "categories": ["PHYSICAL_DISABILITY"], "invalidityPercent": 67}
JSON
check "seed 000: the SIL registers the person" ctl --json --as ass6-sil persons create "$VAR/o-person.json"
hired_person=$(o_field id)
o_eventually "seed 000: the SIL refers the person" '"id"' ctl --json --as ass6-sil pathways refer "$hired_person" internship
hired=$(o_field id)
o_denied "seed 000: referred, not taken in charge: the CPI may not see the person" \
    ctl --as cpi-pordenone persons get VRDLGU75C12G888J
check_out "seed 000: the CPI takes the person in charge (presa in carico)" "REFERRED -> INTAKE, $today" \
    ctl --as cpi-pordenone pathways intake "$hired" "$today"
o_eventually "seed 000: the CPI that took the person in charge sees the person" "VRDLGU75C12G888J" \
    ctl --as cpi-pordenone persons get VRDLGU75C12G888J
o_denied "seed 000: a cooperative outside the pathway still does not" ctl --as coop-il-ponte persons get VRDLGU75C12G888J
o_denied "seed 000: nor an SSC" ctl --as ssc-urbano persons get VRDLGU75C12G888J
check_out "seed 000: the team names the office that took it in charge" "cpi-pordenone +PROVINCE_OFFICE" \
    ctl --as ass6-sil team list "$hired"
check "seed 000: assessment" ctl --as cpi-pordenone pathways assess "$hired" "$today"
check "seed 000: matching" ctl --as cpi-pordenone pathways match "$hired" "$today"

# a company with a quota of 2 (40 employees), none covered, and a post of one place
cat > "$VAR/o-company.json" <<'JSON'
{"partitaIva": "01114601006", "name": "Mobili Verdi S.r.l.", "ateco": "31.09", "employees": 40,
 "municipality": "Pordenone", "ambito": "urbano"}
JSON
check "seed 000: the Province registers the company" ctl --json --as provincia-pn companies create "$VAR/o-company.json"
company=$(o_field id)
check_out "seed 000: its law 68/1999 quota: 2, uncovered 2" '"uncovered": 2' ctl --json companies get "$company"
cat > "$VAR/o-post.json" <<JSON
{"employerId": "$company", "title": "Addetto al montaggio", "weeklyHours": 25, "places": 1, "ambito": "urbano"}
JSON
check "seed 000: and its post of one place" ctl --json --as provincia-pn posts create "$VAR/o-post.json"
post=$(o_field id)
o_eventually "seed 000: the project on the post (once monitoring knows it)" "MATCHING -> PROJECT" \
    ctl --as cpi-pordenone pathways project "$hired" "$post" "$company"
cat > "$VAR/o-agreement.json" <<JSON
{"hostId": "$company", "postId": "$post", "objectives": "montaggio in autonomia", "startDate": "$today",
 "weeklyHours": 25, "parties": ["persona", "$company", "ass6-sil", "cpi-pordenone"]}
JSON
check "seed 000: the agreement" ctl --as cpi-pordenone agreement set "$hired" "$VAR/o-agreement.json"
check "seed 000: signed" ctl --as cpi-pordenone pathways sign "$hired" "$today"
check "seed 000: the internship starts" ctl --as cpi-pordenone pathways activate "$hired" "$today"
check "seed 000: a day of attendance" ctl --as ass6-sil attendance record "$hired" "$today" PRESENT 5
refused "seed 000: no hiring before the team's evaluation" 1 ctl --as ass6-sil pathways close "$hired" \
    --outcome.kind HIRED --outcome.contract-type PERMANENT --outcome.weekly-hours 25
check_out "seed 000: the evaluation sums up the attendance" '"presentDays": 1' \
    ctl --json --as ass6-sil evaluations record "$hired" READY_TO_HIRE "$today" --note "autonomo nel montaggio"
check_out "seed 000: hired" "ACTIVE -> CLOSED" ctl --as ass6-sil pathways close "$hired" \
    --outcome.kind HIRED --outcome.contract-type PERMANENT --outcome.weekly-hours 25
check_out "seed 000: the dates kept: taken in charge by the CPI today" \
    "\"PATHWAY_STATE_INTAKE\", *\"date\": \"$today\", *\"memberId\": \"cpi-pordenone\"" \
    o_json --as ass6-sil pathways get "$hired"
check_out "seed 000: the dates kept: hired today, by the SIL" \
    "\"PATHWAY_STATE_CLOSED\", *\"date\": \"$today\", *\"memberId\": \"ass6-sil\"" \
    o_json --as ass6-sil pathways get "$hired"
o_eventually "seed 000: the hire filled the post's one place: FILLED" \
    '"placesFilled": 1.*"status": "POST_STATUS_FILLED"|"status": "POST_STATUS_FILLED".*"placesFilled": 1' \
    o_json posts get "$post"
o_eventually "seed 000: and counts toward the company's quota: 1 disabled worker, uncovered 1" \
    '"disabledEmployed": 1.*"uncovered": 1' o_json companies get "$company"
check_out "seed 000: the CPI still sees the person it took in charge" "VRDLGU75C12G888J" \
    ctl --as cpi-pordenone persons get VRDLGU75C12G888J

# --- back to the social services ---------------------------------------------------------------
cat > "$VAR/o-person2.json" <<'JSON'
{"codiceFiscale": "BNCGLI82M45G888O", "surname": "Bianchi", "name": "Giulia", "municipality": "Pordenone",
 "ambito": "est", "categories": ["MENTAL_DISABILITY"], "invalidityPercent": 50}
JSON
check "seed 000: the SIL registers another person" ctl --json --as ass6-sil persons create "$VAR/o-person2.json"
returned_person=$(o_field id)
o_eventually "seed 000: the SIL refers her" '"id"' ctl --json --as ass6-sil pathways refer "$returned_person" internship
returned=$(o_field id)
check "seed 000: intake" ctl --as ass6-sil pathways intake "$returned" "$today"
check "seed 000: assessment" ctl --as ass6-sil pathways assess "$returned" "$today"
o_denied "seed 000: before the return the SSC of her ambito may not see her" \
    ctl --as ssc-est persons get BNCGLI82M45G888O
check "seed 000: the team finds her not placeable now" \
    ctl --as ass6-sil evaluations record "$returned" NOT_PLACEABLE_NOW "$today"
check_out "seed 000: returned to the social services" "ASSESSMENT -> CLOSED" ctl --as ass6-sil pathways close \
    "$returned" --outcome.kind RETURNED --outcome.work-capacity NON_PRESENTE \
    --outcome.recommended-measure "centro diurno"
o_eventually "seed 000: the SSC of her ambito sees her, with the commission's outcome" \
    '"workCapacity": "WORK_CAPACITY_NON_PRESENTE"' ctl --json --as ssc-est persons get BNCGLI82M45G888O
check_out "seed 000: and the recommended measure, dated" "\"commissionDate\": \"$today\"" \
    ctl --json --as ssc-est persons get BNCGLI82M45G888O
o_denied "seed 000: another SSC does not" ctl --as ssc-nord persons get BNCGLI82M45G888O
