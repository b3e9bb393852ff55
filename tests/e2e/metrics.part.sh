# The metrics endpoints as deployed (sourced by up.sh, with its helpers):
# each service's answers on loopback, in the Prometheus text format, with
# its database reachable and the requests the demo made counted; status
# shows each subscriber's lag and the failed events.
metrics_address() { sed -n "/^$1\$/,/^[a-z]/s/^ *metrics = \"\\(.*\\)\".*/\\1/p" "$VAR/snodo.cfg" | head -1; }
metrics_get() {         # metrics_get SERVICE: the endpoint's answer, headers and all
    local address; address=$(metrics_address "$1")
    [ -n "$address" ] || return 1
    exec 3<>"/dev/tcp/${address%:*}/${address##*:}" || return 1
    printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    cat <&3
    exec 3<&-
}
metrics_answers() {     # 200, the 0.0.4 text format, the database up, a Health call counted
    ctl --timeout 3000 --service "$1" service health >/dev/null || return 1
    local out; out=$(metrics_get "$1") || return 1
    # here-strings, not pipes: under pipefail a grep -q that stops early
    # fails the pipe when the text is larger than a pipe's buffer
    [[ ${out%%$'\n'*} == *" 200 "* ]] || { echo "status: ${out%%$'\n'*}"; return 1; }
    grep -qi '^content-type: text/plain; version=0.0.4' <<<"$out" || { echo "content type"; return 1; }
    grep -q '^snodo_database_up 1' <<<"$out" || { echo "database not up"; return 1; }
    grep -q '^# TYPE snodo_requests_total counter' <<<"$out" || { echo "no TYPE"; return 1; }
    grep -q '^snodo_requests_total{method="journal.Health",code="OK"} [1-9]' <<<"$out" \
        || { echo "Health not counted"; return 1; }
}
for s in $services; do
    check_out "metrics: $s listens on loopback" '^127\.0\.0\.1:[0-9]+$' metrics_address "$s"
    check "metrics: $s answers in the text format with its database up" metrics_answers "$s"
done
metrics_lag_registry() {
    local out; out=$(metrics_get monitoring) || return 1
    grep -q '^snodo_subscriber_lag_events{source="registry"} [0-9]' <<<"$out"
}
check "metrics: monitoring shows its lag behind the registry" metrics_lag_registry
check_out "metrics: status shows the subscribers' lag and failed events" \
    "monitoring: subscriber lag: registry [0-9]+.*failed events: 0" "$ROOT/deploy/snodo" status
# A var/ made before the metrics endpoints: up puts the setting back in the
# section that lacks it, and the service serves it once restarted.
sed -i '/^matching$/,/^[a-z]/{/^    metrics = /d}' "$VAR/snodo.cfg"
check "metrics: a config without them still comes up" "$ROOT/deploy/snodo" up
check_out "metrics: up adds the missing setting" '^127\.0\.0\.1:[0-9]+$' metrics_address matching
check "metrics: restarted, matching serves it" "$ROOT/deploy/snodo" restart matching
metrics_answers_soon() {
    local i
    for i in $(seq 1 50); do metrics_answers "$1" && return 0; sleep 0.2; done
    return 1
}
check "metrics: matching answers after the restart" metrics_answers_soon matching
