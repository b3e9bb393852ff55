# The reporting service as deployed (sourced by up.sh, with its helpers):
# the demo's history reaches the figures, snodoctl prints them, a member
# without rights is refused, the dashboard asks for a sign-in.
dashboard_port() { sed -n '/^reporting$/,/^[a-z]/s/^ *http = "[0-9.]*:\([0-9]*\)".*/\1/p' "$VAR/snodo.cfg" | head -1; }
history_reached() {     # the demo's five years have reached the figures
    local i
    for i in $(seq 1 150); do
        ctl --as provincia-pn report outcomes --from 2021 --to 2021 --format csv \
            | grep -Eq '^outcomes.mix,.*,2021,2021,total,Totale,[1-9][0-9]*,' && return 0
        sleep 0.2
    done
    return 1
}
check "reporting: the demo's history reaches the figures" history_reached
check_out "reporting: the indicators, by year" "Persone svantaggiate inserite" ctl --as ass6-sil report indicators --from 2021 --to 2025
check_out "reporting: a semicolon CSV for Italian spreadsheets" "^table;title;row" \
    ctl --as ssc-est report network --format csv-semicolon
check_out "reporting: a one-time link to the dashboard" "/auth\?t=[0-9a-f]{64}" ctl --as ass6-sil report link
refused "reporting: a cooperative may not see reports" 1 ctl --as coop-il-ponte report indicators
dashboard_signin() {
    exec 3<>"/dev/tcp/127.0.0.1/$(dashboard_port)" || return 1
    printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    head -1 <&3 | grep -q " 401 "
}
check "reporting: the dashboard answers 401 and the sign-in page without a session" dashboard_signin
check_out "reporting: its audit trail verifies" "audit trail intact" ctl --service reporting audit verify
