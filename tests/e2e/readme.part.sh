# Part of tests/e2e/up.sh (sourced): the README's first session runs as
# written, top to bottom: every `sh` block of "## A first session" up to
# "Carrying a pathway on", each snodoctl line expected to succeed unless its
# comment says PERMISSION_DENIED (then it must be refused, exit 1).

README_DIR="$VAR/readme"
mkdir -p "$README_DIR"
session=$(awk '/^## A first session/ { on = 1 } /^Carrying a pathway on/ { on = 0 }
               on && /^```sh$/ { code = 1; next } on && /^```$/ { code = 0; next } on && code' "$ROOT/README.md")
if [ "$(printf '%s\n' "$session" | grep -c '^snodoctl ')" -lt 20 ]; then
    failed=$((failed + 1)); echo "FAILED: README: the first session was not found (or is short)"
fi
# snodoctl as the alias would have it, against this test's network; a line
# the registry has not yet passed to monitoring ("try again") is retried, as
# a person typing would find it done a moment later
readme_run() {          # readme_run WANT LINE...: runs one snodoctl line
    local want=$1; shift
    local i rc
    for i in $(seq 1 25); do
        (cd "$README_DIR" && "$BUILD/cli/snodoctl" -c "$VAR/snodo.cfg" "$@") >"$VAR/out.txt" 2>"$VAR/err.txt"
        rc=$?
        grep -q "try again" "$VAR/err.txt" || break
        sleep 0.2
    done
    if { [ "$want" = ok ] && [ $rc = 0 ]; } || { [ "$want" = refused ] && [ $rc = 1 ]; }; then
        passed=$((passed + 1)); echo "ok: README: snodoctl $*"
    else
        failed=$((failed + 1)); echo "FAILED: README: snodoctl $* (exit $rc, wanted $want)"
        cat "$VAR/out.txt" "$VAR/err.txt"
    fi
}
script="$README_DIR/session.sh"
printf '%s\n' "$session" | awk '
    /^alias snodoctl=/ { next }
    /^snodoctl / { want = ($0 ~ /# PERMISSION_DENIED/) ? "refused" : "ok"; sub(/^snodoctl /, "readme_run " want " "); }
    { print }' > "$script"
# in this shell, so that the counts add up; the heredoc writes in README_DIR
pushd "$README_DIR" >/dev/null && . "$script"
popd >/dev/null || true
