# Sourced by up.sh (its helpers: check, check_out, refused, ctl; $VAR).
# A pathway carried across the real processes: referred in monitoring, a
# proposal accepted in matching moves it to PROJECT, the team member added in
# monitoring comes to see the person in the registry, then hired.

# denied NAME COMMAND...: refused with PERMISSION_DENIED (not for another reason)
denied() {
    local name=$1; shift
    if ! "$@" >"$VAR/out.txt" 2>"$VAR/err.txt" && grep -q PERMISSION_DENIED "$VAR/err.txt"; then
        passed=$((passed + 1)); echo "ok: $name"
    else
        failed=$((failed + 1)); echo "FAILED: $name: not PERMISSION_DENIED"; cat "$VAR/out.txt" "$VAR/err.txt"
    fi
}

# the services' day (monitoring's time_zone, Europe/Rome by default): a
# referral made at 23:30 UTC in winter is of the next day, and a date of
# UTC's day for its intake would be before it
day=$(TZ=Europe/Rome date +%F)

json_field() { grep -o "\"$1\": *\"[^\"]*\"" "$VAR/out.txt" | head -n 1 | sed 's/.*: *"\(.*\)"/\1/'; }

# waits (10 s at most) until COMMAND... prints PATTERN
eventually() {
    local name=$1 pattern=$2 i; shift 2
    for i in $(seq 1 50); do
        if "$@" >"$VAR/out.txt" 2>"$VAR/err.txt" && grep -Eq "$pattern" "$VAR/out.txt"; then
            passed=$((passed + 1)); echo "ok: $name"; return 0
        fi
        sleep 0.2
    done
    failed=$((failed + 1)); echo "FAILED: $name: no /$pattern/"; cat "$VAR/out.txt" "$VAR/err.txt"
}

cat > "$VAR/person.json" <<'JSON'
{"codiceFiscale": "RSSMRA80A01H501U", "surname": "Rossi", "name": "Mario",
 "municipality": "Pordenone", "ambito": "urbano", "latitude": 45.956, "longitude": 12.660,
 "categories": ["PHYSICAL_DISABILITY"], "invalidityPercent": 60,
 "constraints": {"minWeeklyHours": 10, "maxWeeklyHours": 40, "maxCommuteKm": 60, "ownTransport": true},
 "profile": {"assessedOn": "2026-10-01", "scores": {"workPlanning": 5, "comprehension": 5, "attention": 5,
   "concentration": 5, "learningMemory": 5, "problemSolving": 5, "adaptability": 5, "imagination": 5,
   "assertiveness": 5, "leadership": 5, "contact": 5, "givingCriticism": 5, "takingCriticism": 5,
   "teamwork": 5, "endurance": 5, "selfChecking": 5, "frustrationTolerance": 5, "orderliness": 5,
   "punctuality": 5, "independence": 5, "care": 5, "responsibility": 5, "reactionSpeed": 5,
   "fineMotorSkills": 5, "drive": 5, "reading": 5, "arithmetic": 5, "writing": 5, "speaking": 5}}}
JSON

check "the SIL creates a person" ctl --json --as ass6-sil persons create "$VAR/person.json"
person=$(json_field id)
# monitoring knows the person once the registry's event reached it (refused,
# FAILED_PRECONDITION "try again in a moment", until then)
eventually "the SIL refers the person (registry -> monitoring)" '"id"' \
    ctl --json --as ass6-sil pathways refer "$person" internship
pathway=$(json_field id)
check_out "intake, confirmed in a line with the person's name" \
    "^pathway $pathway of Rossi Mario \(RSSMRA80A01H501U\): REFERRED -> INTAKE, $day$" \
    ctl --as ass6-sil pathways intake "$pathway" "$day"
check_out "the person's pathways found by codice fiscale" "$pathway" \
    ctl --as ass6-sil pathways list --person RSSMRA80A01H501U
check_out "a person read by codice fiscale" "^id: $person" ctl --as ass6-sil persons get RSSMRA80A01H501U
check "assessment" ctl --as ass6-sil pathways assess "$pathway"
check "matching" ctl --as ass6-sil pathways match "$pathway"
check_out "the best posts for the person" '"postId"' ctl --json --as ass6-sil match posts "$person" --limit 3
post=$(json_field postId)
employer=$(json_field employerId)
# lists name what their ids stand for: the post's employer by its name
employer_name=$( (ctl --json --as ass6-sil companies get "$employer" 2>/dev/null \
                  || ctl --json --as ass6-sil cooperatives get "$employer") | sed -n 's/^  "name": "\(.*\)",$/\1/p')
[ -n "$employer_name" ] || { failed=$((failed + 1)); echo "FAILED: the employer $employer has no name"; }
check_out "the employer's posts listed with its name" "$employer_name" \
    ctl --as ass6-sil posts list --employer "$employer"
check_out "a post named by the start of its id" "\"id\": \"$post\"" ctl --json --as ass6-sil posts get "${post:0:8}"
refused "a start of an id no post has" 1 ctl --as ass6-sil posts get ffffffff-fff
check "the SIL proposes the post" ctl --json --as ass6-sil proposals create "$person" "$post" "$pathway"
proposal=$(json_field id)
check "the proposal is accepted" ctl --as ass6-sil proposals accept "$proposal" "colloquio positivo"
eventually "the accepted proposal moves the pathway to PROJECT (matching -> monitoring)" \
    "PATHWAY_STATE_PROJECT" ctl --json --as ass6-sil pathways get "$pathway"
denied "a cooperative outside the team does not see the person" ctl --as coop-il-ponte persons get "$person"
check "team add" ctl --as ass6-sil team add "$pathway" coop-il-ponte GUIDE_WORKER "Luca Zanin" --referente
eventually "the team member sees the person (monitoring -> registry)" \
    "RSSMRA80A01H501U" ctl --as coop-il-ponte persons get "$person"
denied "a member outside the team, without consent, still does not" ctl --as ssc-nord persons get "$person"
cat > "$VAR/agreement.json" <<JSON
{"hostId": "$employer", "postId": "$post", "objectives": "autonomia nelle mansioni",
 "startDate": "$day", "weeklyHours": 20, "transport": true,
 "parties": ["persona", "$employer", "ass6-sil", "provincia-pn"]}
JSON
check "the agreement is set" ctl --as ass6-sil agreement set "$pathway" "$VAR/agreement.json"
check "the agreement is signed" ctl --as ass6-sil pathways sign "$pathway"
check "the internship starts" ctl --as ass6-sil pathways activate "$pathway"
check "a day of attendance" ctl --as ass6-sil attendance record "$pathway" "$day" PRESENT 6
check "a service delivered" ctl --as ass6-sil services add "$pathway" 3A "$day" 3 \
    --service.operator-name "Anna Bianchi"
check_out "services check: nothing found, exit 0" "WITHIN" ctl --as ass6-sil services check "$pathway"
check "more of it than the standard's range" ctl --as ass6-sil services add "$pathway" 3A "$day" 20 \
    --service.operator-name "Anna Bianchi"
refused "services check: a finding, exit 1" 1 ctl --as ass6-sil services check "$pathway"
refused "a hiring before the team's evaluation is refused" 1 ctl --as ass6-sil pathways close "$pathway" \
    --outcome.kind HIRED --outcome.contract-type PERMANENT --outcome.weekly-hours 30
check "the team evaluates the acquired capacity" ctl --as ass6-sil evaluations record "$pathway" READY_TO_HIRE \
    --note "autonomia raggiunta"
check_out "hired" "ACTIVE -> CLOSED" ctl --as ass6-sil pathways close "$pathway" --outcome.kind HIRED \
    --outcome.contract-type PERMANENT --outcome.weekly-hours 30
for s in monitoring matching; do
    check_out "the audit trail of $s verifies" "intact" ctl --service "$s" audit verify
done
