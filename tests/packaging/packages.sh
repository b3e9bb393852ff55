#!/usr/bin/env bash
# The Debian packages and the systemd units (docs/operations.md, "Installing
# from packages"), made by cpack from one build into a throwaway folder:
#
#   - the packages made are the seven expected (and a -dbgsym for each binary);
#   - each holds exactly its files, with their modes (dpkg-deb -c against the
#     lists below and the tree's sql/ and docs/): a file missing or one not
#     expected fails;
#   - the control fields: every service depends on snodo-common of its own
#     version and on the package of every library its binary links;
#     snodo-common holds the conffile and a postinst that makes the user;
#   - the packaged config is the installed layout's and names the bridge's
#     spool the unit lets it write;
#   - each unit has the settings the operations doc promises, and systemd
#     reads it (systemd-analyze verify, with the binary it names present);
#   - the packages installed with dpkg into a throwaway root (an overlay of /
#     in a mount namespace of the test's own: nothing reaches this machine's
#     root): the snodo user, the folders and their modes, the binaries run,
#     the units as installed verify; the first start as docs/operations.md
#     says it (Debian's PostgreSQL, roles, pgpass, keys, the operator's key,
#     the five services serving as their units run them); an edited config
#     kept across an upgrade, the secrets' modes made right again, removal
#     and purge (inroot.sh).
#
# Usage: tests/packaging/packages.sh BUILD_DIR
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$(cd "${1:?usage: packages.sh BUILD_DIR}" && pwd)
TMP=$(mktemp -d /tmp/snodo-packages.XXXXXX)
SERVICES="registry monitoring matching reporting bridge"
passed=0 failed=0 started=$(date +%s)

finish() {
    rm -rf "$TMP"
    echo "packages: $passed passed, $failed failed in $(($(date +%s) - started)) s"
}
trap finish EXIT

ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*"; }
# check NAME COMMAND...: the command must succeed (its output shown if not)
check() {
    local name=$1; shift
    if "$@" >"$TMP/out.txt" 2>&1; then ok "$name"; else fail "$name"; sed 's/^/    /' "$TMP/out.txt"; fi
}

if grep -q '^SNODO_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
    echo "packages: skipped in the sanitized build (packages are made from the plain one)"
    exit 0
fi
for tool in cpack dpkg-deb dpkg-shlibdeps readelf; do
    command -v "$tool" >/dev/null || { fail "$tool is needed (apt-get install cmake dpkg-dev binutils)"; exit 1; }
done

# --- the packages -------------------------------------------------------------------

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$BUILD/CPackConfig.cmake")
release=$(sed -n 's/^set(CPACK_DEBIAN_PACKAGE_RELEASE "\(.*\)")$/\1/p' "$BUILD/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
full=$version-$release
PKG=$TMP/packages
if ! (cd "$BUILD" && cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$PKG") >"$TMP/cpack.txt" 2>&1; then
    fail "cpack made the packages"; tail -n 30 "$TMP/cpack.txt"; exit 1
fi
ok "cpack made the packages in $(($(date +%s) - started)) s"

deb() {     # deb NAME: the package's file
    case "$1" in
    snodo-common) echo "$PKG/$1_${full}_all.deb" ;;
    *-dbgsym) echo "$PKG/$1_${full}_$arch.ddeb" ;;
    *) echo "$PKG/$1_${full}_$arch.deb" ;;
    esac
}
binaries="snodoctl"
for s in $SERVICES; do binaries="$binaries snodo-$s"; done
expected_files() {
    deb snodo-common
    for b in $binaries; do deb "$b"; deb "$b-dbgsym"; done
}
diff <(expected_files | sort) <(ls "$PKG"/*.deb "$PKG"/*.ddeb 2>/dev/null | sort) >"$TMP/out.txt" \
    && ok "the packages made: snodo-common, the five services, snodoctl, each binary's -dbgsym" \
    || { fail "the packages made (< expected, > made)"; sed 's/^/    /' "$TMP/out.txt"; }

# --- what each holds --------------------------------------------------------------------

# contents DEB: "MODE OWNER PATH" of each file (not folders), sorted
contents() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print $1, $2, $6 }' | sort; }
# the list a package must hold, from the tree where it follows the tree
expected_common() {
    echo "-rw-r--r-- root/root ./etc/snodo/snodo.cfg"
    local f s
    for f in "$ROOT"/common/sql/*.sql; do echo "-rw-r--r-- root/root ./usr/share/snodo/sql/journal/${f##*/}"; done
    for s in $SERVICES; do
        for f in "$ROOT"/services/"$s"/sql/*.sql; do echo "-rw-r--r-- root/root ./usr/share/snodo/sql/$s/${f##*/}"; done
    done
    for f in "$ROOT"/README.md "$ROOT"/docs/*.md "$ROOT"/docs/bridge.xsd; do
        echo "-rw-r--r-- root/root ./usr/share/doc/snodo-common/${f##*/}"
    done
    for f in "$ROOT"/docs/examples/*; do echo "-rw-r--r-- root/root ./usr/share/doc/snodo-common/examples/${f##*/}"; done
}
expected_contents() {
    case "$1" in
    snodo-common) expected_common ;;
    snodoctl) echo "-rwxr-xr-x root/root ./usr/bin/snodoctl" ;;
    snodo-*)
        echo "-rwxr-xr-x root/root ./usr/bin/$1"
        echo "-rw-r--r-- root/root ./lib/systemd/system/$1.service" ;;
    esac
}
same_contents() {       # same_contents NAME
    diff <(expected_contents "$1" | sort) <(contents "$(deb "$1")")
}
for name in snodo-common $binaries; do
    if same_contents "$name" >"$TMP/out.txt"; then
        ok "$name holds its files, no other (modes and owners too)"
    else
        fail "$name's files (< expected, > in the package)"; sed 's/^/    /' "$TMP/out.txt"
    fi
done

X=$TMP/extracted            # every package unpacked, for the checks below
mkdir -p "$X"
for f in "$PKG"/*.deb "$PKG"/*.ddeb; do dpkg-deb -x "$f" "$X"; done

# the binaries stripped; their symbols in the -dbgsym, under their build id
dbgsym_matches() {
    local bin=$X/usr/bin/$1 id
    ! readelf -S "$bin" | grep -q '\.debug_info' || { echo "$bin is not stripped"; return 1; }
    id=$(readelf -n "$bin" | sed -n 's/^ *Build ID: *//p')
    [ -n "$id" ] || { echo "$bin has no build id"; return 1; }
    contents "$(deb "$1-dbgsym")" | grep -q "\./usr/lib/debug/\.build-id/${id:0:2}/${id:2}\.debug$" \
        || { echo "$1-dbgsym has no ${id:0:2}/${id:2}.debug"; contents "$(deb "$1-dbgsym")"; return 1; }
}
for b in $binaries; do
    check "$b is stripped and $b-dbgsym holds its symbols (build id)" dbgsym_matches "$b"
done

# --- control fields ---------------------------------------------------------------------

field() { dpkg-deb -f "$(deb "$1")" "$2"; }
# the package of each library the binaries link ("SONAME PACKAGE" lines),
# from one dpkg -S (each reads dpkg's whole database)
libraries_packages() {
    local lib path paths=() real
    for lib in $(for b in $binaries; do readelf -d "$X/usr/bin/$b"; done \
                 | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
        path=$(ldconfig -p | awk -v l="$lib" '$1 == l && $NF ~ /^\// { print $NF; exit }')
        real=$(readlink -f "$path")
        echo "$lib $path $real" >>"$TMP/libraries.txt"
        paths+=("$path" "$real")
    done
    dpkg -S "${paths[@]}" 2>/dev/null | sed 's/^\([^:]*\)\(:[^:]*\)\?: /\1 /' >"$TMP/owners.txt"
    while read -r lib path real; do
        echo "$lib $(awk -v p="$path" -v r="$real" '$2 == p || $2 == r { print $1; exit }' "$TMP/owners.txt")"
    done <"$TMP/libraries.txt"
}
libraries_packages >"$TMP/library-packages.txt"
# every library the binary links, by the package that holds it, in Depends
depends_on_its_libraries() {
    local name=$1 depends lib pkg missing=0
    depends=$(field "$name" Depends)
    for lib in $(readelf -d "$X/usr/bin/$name" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        pkg=$(awk -v l="$lib" '$1 == l { print $2 }' "$TMP/library-packages.txt")
        if [ -z "$pkg" ] || ! echo ", $depends" | grep -Eq "(^|, )$pkg( |,|$)"; then
            echo "$name links $lib (package ${pkg:-unknown}) but Depends: $depends"
            missing=1
        fi
    done
    return $missing
}
for s in $SERVICES; do
    name=snodo-$s
    check "$name depends on snodo-common ($full)" \
        grep -q "snodo-common (= $full)" <(field "$name" Depends)
    check "$name depends on the package of every library it links (libsystemd0 too)" \
        depends_on_its_libraries "$name"
    check "$name is built for $arch" test "$(field "$name" Architecture)" = "$arch"
done
check "snodoctl depends on the package of every library it links" depends_on_its_libraries snodoctl
check "snodo-common is for every architecture and depends on adduser" \
    test "$(field snodo-common Architecture) $(field snodo-common Depends)" = "all adduser"

control() {     # control NAME FILE: a file of the package's control part
    dpkg-deb --ctrl-tarfile "$(deb "$1")" | tar -xOf - "./$2" 2>/dev/null
}
check "snodo-common's conffile is /etc/snodo/snodo.cfg" test "$(control snodo-common conffiles)" = /etc/snodo/snodo.cfg
postinst_makes_user() {
    local script; script=$(control snodo-common postinst)
    echo "$script" | grep -q 'adduser --system --group --home /var/lib/snodo' \
        && echo "$script" | grep -q -- '--shell /usr/sbin/nologin' \
        && echo "$script" | grep -q 'install -d -o snodo -g snodo -m 0700 /etc/snodo/certs' \
        && echo "$script" | grep -q "chmod 0600"
}
check "snodo-common's postinst makes the user snodo (system, no shell, home /var/lib/snodo) and the folders" \
    postinst_makes_user
scripts_parse() {
    local name script body
    for name in snodo-common $binaries; do
        for script in postinst prerm postrm; do
            body=$(control "$name" "$script") || continue
            [ -n "$body" ] || continue
            sh -n <(echo "$body") || { echo "$name $script does not parse"; return 1; }
            if [ "$name" != snodo-common ] && [ "$script" != postrm ] && ! echo "$body" | grep -q "$name\.service"; then
                echo "$name $script does not name $name.service"; return 1
            fi
        done
    done
}
check "the maintainer scripts parse (sh -n); each service's postinst and prerm name its unit" scripts_parse
for s in $SERVICES; do
    check "snodo-$s has postinst, prerm and postrm" \
        test -n "$(control "snodo-$s" postinst)" -a -n "$(control "snodo-$s" prerm)" -a -n "$(control "snodo-$s" postrm)"
done

# --- the packaged config ------------------------------------------------------------------

CFG=$X/etc/snodo/snodo.cfg
check "the packaged config has no placeholder left" bash -c "! grep -n '@[A-Z_]*@' '$CFG'"
config_paths() {
    local bad
    bad=$(grep -o '"/[^" ]*\|=/[^" ]*' "$CFG" | tr -d '"=' \
        | grep -Ev '^/etc/snodo/(certs|keys)/|^/var/lib/snodo(/|$)|^/var/run/postgresql$|^/etc/snodo/certs$')
    [ -z "$bad" ] || { echo "paths outside the installed layout: $bad"; return 1; }
    grep -q 'passfile=/etc/snodo/keys/pgpass' "$CFG"
}
check "the packaged config's paths are the installed layout's (/etc/snodo, /var/lib/snodo, Debian's socket)" \
    config_paths
for s in $SERVICES; do
    check "the packaged config has the $s section" grep -qx "$s" "$CFG"
done
spool_writable() {
    local spool rw
    spool=$(sed -n '/^bridge$/,/^[a-z]/s/^ *spool = "\(.*\)".*/\1/p' "$CFG")
    rw=$(sed -n 's/^ReadWritePaths=//p' "$X/lib/systemd/system/snodo-bridge.service")
    [ -n "$spool" ] && [ "$spool" = "$rw" ] || { echo "spool \"$spool\", ReadWritePaths \"$rw\""; return 1; }
}
check "the bridge's spool in the config is what its unit lets it write" spool_writable
# a service reads the packaged config: it gets as far as the certificate
config_reads() {
    local out rc=0
    out=$("$X/usr/bin/snodo-registry" -c "$CFG" 2>&1 </dev/null) || rc=$?
    [ $rc = 1 ] && echo "$out" | grep -q 'could not load certificate "/etc/snodo/certs/registry.cert"' \
        || { echo "exit $rc: $out"; return 1; }
}
check "the registry reads the packaged config (and stops at the certificate not yet made)" config_reads

# --- the units ----------------------------------------------------------------------------

unit_settings() {       # unit_settings SERVICE
    local s=$1 unit=$X/lib/systemd/system/snodo-$1.service line
    for line in "Type=notify" "User=snodo" "ExecStart=/usr/bin/snodo-$s -c /etc/snodo/snodo.cfg" \
                "Restart=on-failure" "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" \
                "PrivateTmp=yes" "ProtectKernelTunables=yes" "LockPersonality=yes" \
                "WantedBy=multi-user.target"; do
        grep -qx "$line" "$unit" || { echo "no $line"; return 1; }
    done
    # ZeroMQ reads the interfaces (netlink) on every bind and aborts without
    grep -Eq '^RestrictAddressFamilies=.*AF_NETLINK' "$unit" || { echo "RestrictAddressFamilies without AF_NETLINK"; return 1; }
    grep -Eq '^After=network-online\.target postgresql\.service' "$unit" || { echo "After= lacks network, postgresql"; return 1; }
    if [ "$s" != registry ]; then
        grep -Eq '^After=.* snodo-registry\.service' "$unit" && grep -Eq '^Wants=.* snodo-registry\.service' "$unit" \
            || { echo "not ordered after the registry"; return 1; }
    fi
    if [ "$s" = bridge ]; then
        grep -qx 'ReadWritePaths=/var/lib/snodo/bridge' "$unit" || { echo "the spool is not writable"; return 1; }
    elif grep -q '^ReadWritePaths=' "$unit"; then
        echo "writes where it has nothing to write"; return 1
    fi
}
for s in $SERVICES; do
    check "snodo-$s.service: notify, user snodo, the packaged config, restart, hardening, order" unit_settings "$s"
done

# systemd-analyze verify, outside the throwaway root: ExecStart pointed at
# the unpacked binary (the throwaway root below verifies the units as installed)
verify_unpacked() {
    local s=$1 dir=$TMP/units
    mkdir -p "$dir"
    sed "s|^ExecStart=/usr/bin/|ExecStart=$X/usr/bin/|" "$X/lib/systemd/system/snodo-$s.service" \
        >"$dir/snodo-$s.service"
    systemd-analyze verify "$dir/snodo-$s.service" 2>&1 | tee "$TMP/verify.txt"
    [ "${PIPESTATUS[0]}" = 0 ] && ! grep -q "snodo-$s" "$TMP/verify.txt"
}
if command -v systemd-analyze >/dev/null; then
    for s in $SERVICES; do
        check "systemd-analyze verify snodo-$s.service (ExecStart at the unpacked binary)" verify_unpacked "$s"
    done
else
    echo "skipped: systemd-analyze verify (no systemd-analyze on this machine)"
fi

# --- installed, in a throwaway root -----------------------------------------------------------

# An overlay of / (the lower layer untouched, the writes in $TMP) in
# mount, network and process namespaces of its own, chrooted into: dpkg
# installs there as on a machine like this one, the maintainer scripts run
# for real, and the services and the database started there listen in the
# namespace's network and end with it.
# inroot.sh runs inside and prints ok:/FAILED: lines; it first makes sure
# it runs in the throwaway root.
throwaway_root() {
    local t=$TMP/root
    mkdir -p "$t/upper/debs" "$t/work" "$t/merged"
    cp "$PKG"/*.deb "$t/upper/debs/"
    cp "$ROOT/tests/packaging/inroot.sh" "$t/upper/inroot.sh"
    touch "$t/upper/.snodo-throwaway-root"
    unshare --mount --net --pid --fork --propagation private bash -c '
        set -e
        t=$1
        mount -t overlay overlay -o "lowerdir=/,upperdir=$t/upper,workdir=$t/work" "$t/merged"
        mount --rbind /dev "$t/merged/dev"
        mount -t proc proc "$t/merged/proc"
        mount -t tmpfs tmpfs "$t/merged/tmp"
        mount -t tmpfs tmpfs "$t/merged/run"
        exec chroot "$t/merged" bash /inroot.sh "$2" "$3"
    ' throwaway "$t" "$SERVICES" "$full"
}
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! grep -qw overlay /proc/filesystems; then
    echo "skipped: installing into a throwaway root (needs root, unshare and overlayfs); the unpacked files were checked"
else
    throwaway_root >"$TMP/inroot.txt" 2>&1
    rc=$?
    cat "$TMP/inroot.txt"
    passed=$((passed + $(grep -c '^ok: ' "$TMP/inroot.txt")))
    failed=$((failed + $(grep -c '^FAILED: ' "$TMP/inroot.txt")))
    if ! grep -q '^inroot: done' "$TMP/inroot.txt"; then
        fail "the throwaway root did not run to its end (exit $rc)"
    fi
fi

[ "$failed" -eq 0 ]
