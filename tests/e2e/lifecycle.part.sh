# deploy/snodo's own life cycle: build configures a folder once (a second
# configure used to move flags and rebuild everything), restart restarts one
# service without building, down reports a service stopped only once its
# process is gone. Sourced by up.sh, with its helpers.

# a process that lives (a zombie, dead but not reaped, does not)
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# a build that is up to date builds nothing
build_twice() {
    SNODO_BUILD=$BUILD "$ROOT/deploy/snodo" build >/dev/null 2>&1 || return 1
    SNODO_BUILD=$BUILD "$ROOT/deploy/snodo" build 2>&1 | grep -E "Building|Linking" && return 1
    return 0
}
check "build again: nothing is compiled" build_twice

# restart one service: a new process, answering, the others untouched
old_registry=$(cat "$VAR/run/registry.pid")
old_monitoring=$(cat "$VAR/run/monitoring.pid")
check_out "restart registry" "registry: running" "$ROOT/deploy/snodo" restart registry
if [ "$(cat "$VAR/run/registry.pid")" != "$old_registry" ] && ! alive "$old_registry" \
   && [ "$(cat "$VAR/run/monitoring.pid")" = "$old_monitoring" ]; then
    passed=$((passed + 1)); echo "ok: restart replaced the registry's process alone"
else
    failed=$((failed + 1)); echo "FAILED: restart registry: pids $old_registry -> $(cat "$VAR/run/registry.pid")"
fi
check "the restarted registry answers" ctl whoami
refused "restart of a service that does not exist" 1 "$ROOT/deploy/snodo" restart nosuch

# a service that does not stop by itself (stopped with SIGSTOP): down's
# stop kills it, says so, and says "stopped" only once it is gone
stuck=$(cat "$VAR/run/matching.pid")
kill -STOP "$stuck"
stop_stuck() { SNODO_STOP_TIMEOUT=1 "$ROOT/deploy/snodo" restart matching; }
check_out "a stuck service is killed and said so" "did not stop in 1 s: killing it" stop_stuck
if alive "$stuck"; then
    failed=$((failed + 1)); echo "FAILED: the stuck matching process $stuck still runs"
else
    passed=$((passed + 1)); echo "ok: the stuck process is gone"
fi
check "the restarted matching service answers" ctl --service matching service health
