#!/usr/bin/env bash
# The Debian package test (issue 8): builds the .deb from a Release build without sanitizers and
# without tests, checks its contents and runs lintian; then, on CI (CI=true) or with
# --install-here, installs it on this machine (a throwaway container: as root, no running systemd),
# checks the installed result, upgrades it, removes and purges it, and checks what is left.
#
#   tests/package/test_package.sh                  build + static checks + lintian (no install)
#   tests/package/test_package.sh --install-here   ... and install/upgrade/remove/purge here
#   CI=true tests/package/test_package.sh          the same as --install-here
#   options: --build-dir DIR (default: build/package)   --no-build (use the .deb already in DIR)
#
# Prints one PASS/FAIL line per check and a summary; exits 1 if any check failed.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$root/build/package
install_here=false
do_build=true
[ "${CI:-}" = "true" ] && install_here=true
while [ $# -gt 0 ]; do
  case "$1" in
    --install-here) install_here=true ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift ;;
    --no-build) do_build=false ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 64 ;;
  esac
  shift
done

passed=0
failed=0
failures=()
pass() { echo "PASS  $1"; passed=$((passed + 1)); }
fail() {
  echo "FAIL  $1${2:+: $2}"
  failed=$((failed + 1))
  failures+=("$1")
}
# check NAME COMMAND...: passes when the command succeeds; its output is shown on failure.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$(echo "$out" | tail -5)"; fi
}
summary() {
  echo
  echo "package test: $passed passed, $failed failed"
  for f in "${failures[@]}"; do echo "  failed: $f"; done
  if [ "$failed" -eq 0 ]; then echo "PASS"; exit 0; fi
  echo "FAIL"
  exit 1
}
die() { fail "$1" "${2:-}"; summary; }

work=$(mktemp -d)
installed_by_us=false
cleanup() {
  # Never leave the package behind on the machine, whatever failed.
  if $installed_by_us && dpkg-query -W -f='${Status}' adu-opwatch 2>/dev/null | grep -qv "not-installed"; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq adu-opwatch >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------
if $do_build; then
  echo "== building the package in $build_dir (Release, no tests, no sanitizers)"
  rm -f "$build_dir"/adu-opwatch_*.deb
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DADU_BUILD_TESTS=OFF -DADU_SANITIZE= \
    -DADU_TEST_HOOKS=OFF >"$work/configure.log" 2>&1 || die "configure" "$(tail -20 "$work/configure.log")"
  cmake --build "$build_dir" -j"$(nproc)" --target package >"$work/build.log" 2>&1 ||
    die "build the package" "$(tail -30 "$work/build.log")"
  pass "cmake --build $build_dir --target package"
fi
shopt -s nullglob
debs=("$build_dir"/adu-opwatch_*_amd64.deb)
shopt -u nullglob
[ ${#debs[@]} -eq 1 ] || die "exactly one adu-opwatch_<version>_amd64.deb in $build_dir" "found ${#debs[@]}"
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
echo "== $deb (version $version)"

# ---------------------------------------------------------------------------------------------
# Static checks of the .deb
# ---------------------------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | grep -v '^$' | sort >"$work/contents"
expected_files=(
  /usr/bin/adu-opwatch
  /lib/systemd/system/adu-opwatch.service
  /lib/systemd/system/adu-opwatch@.service
  /etc/adu-opwatch/config.yaml
  /usr/lib/sysusers.d/adu-opwatch.conf
  /usr/lib/tmpfiles.d/adu-opwatch.conf
  /usr/share/doc/adu-opwatch/copyright
  /usr/share/doc/adu-opwatch/changelog.Debian.gz
  /usr/share/doc/adu-opwatch/configuration.md
  /usr/share/doc/adu-opwatch/database.md
  /usr/share/doc/adu-opwatch/install.md
  /usr/share/doc/adu-opwatch/metrics.md
  /usr/share/doc/adu-opwatch/prometheus/adu-opwatch-rules.yml
  /usr/share/man/man8/adu-opwatch.8.gz
  /usr/share/lintian/overrides/adu-opwatch
)
missing=()
for f in "${expected_files[@]}"; do grep -qx "$f" "$work/contents" || missing+=("$f"); done
if [ ${#missing[@]} -eq 0 ]; then pass "contents: every expected file"; else fail "contents" "missing ${missing[*]}"; fi
if [ -f "$root/README.md" ]; then
  check "contents: README.md in /usr/share/doc/adu-opwatch" grep -qx /usr/share/doc/adu-opwatch/README.md "$work/contents"
fi

dpkg-deb -x "$deb" "$work/x"
# The only program is the daemon: no test binaries, no emulator.
programs=$(cd "$work/x" && find . -type f -perm -u+x | sed 's|^\.||')
check "contents: /usr/bin/adu-opwatch is the only executable" test "$programs" = /usr/bin/adu-opwatch
check "contents: no test or emulator files" bash -c "! grep -Ei 'test|emulator|fuzz|bench' '$work/contents'"
check "binary is stripped" bash -c "! readelf -S '$work/x/usr/bin/adu-opwatch' | grep -q '\.symtab'"
# The test and benchmark hooks (daemon/test_hooks.h) are compiled out: not even their names.
check "binary has no test or benchmark hooks (ADU_OPWATCH_TEST_*, ADU_OPWATCH_BENCH_*)" \
  bash -c "! strings -a '$work/x/usr/bin/adu-opwatch' | grep -Eq 'ADU_OPWATCH_(TEST|BENCH)_'"
check "binary is not built with sanitizers" bash -c "! readelf -d '$work/x/usr/bin/adu-opwatch' | grep -Eq 'lib(a|ub|t)san'"
check "binary has full RELRO (Debian hardening)" bash -c "readelf -d '$work/x/usr/bin/adu-opwatch' | grep -q BIND_NOW"
check "config.yaml is 0640 in the package" bash -c "dpkg-deb -c '$deb' | grep -E '^-rw-r----- root/root .* \./etc/adu-opwatch/config\.yaml$'"
check "conffiles lists /etc/adu-opwatch/config.yaml" bash -c "dpkg-deb -I '$deb' conffiles | grep -qx /etc/adu-opwatch/config.yaml"
depends=$(dpkg-deb -f "$deb" Depends)
check "Depends computed by dpkg-shlibdeps (libc6, libcpprest, libsqlite3)" \
  bash -c "grep -q 'libc6 (>=' <<<'$depends' && grep -q libcpprest <<<'$depends' && grep -q libsqlite3 <<<'$depends'"
check "control: Section admin, Priority optional" \
  bash -c "[ \"\$(dpkg-deb -f '$deb' Section Priority | tr '\n' ' ')\" = 'Section: admin Priority: optional ' ]"
for s in postinst prerm postrm; do
  check "maintainer script $s is POSIX sh (sh -n)" bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./$s | sh -n"
done
check "man page renders without warnings" bash -c \
  "out=\$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l '$work/x/usr/share/man/man8/adu-opwatch.8.gz' 2>&1 >/dev/null); [ -z \"\$out\" ] || { echo \"\$out\"; exit 1; }"
check "changelog.Debian.gz and man page are gzip -n (no name, no timestamp)" bash -c \
  "for f in '$work/x/usr/share/doc/adu-opwatch/changelog.Debian.gz' '$work/x/usr/share/man/man8/adu-opwatch.8.gz'; do [ \"\$(od -An -tu4 -j4 -N4 \"\$f\" | tr -d ' ')\" = 0 ] || exit 1; (( \$(od -An -tu1 -j3 -N1 \"\$f\") & 8 )) && exit 1; done; true"

# ---------------------------------------------------------------------------------------------
# lintian
# ---------------------------------------------------------------------------------------------
if ! command -v lintian >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "== installing lintian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lintian >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lintian >/dev/null 2>&1; } || true
  fi
fi
if command -v lintian >/dev/null; then
  lintian --fail-on error,warning "$deb" >"$work/lintian.log" 2>&1
  lintian_rc=$?
  lintian_out=$(sed 's/running with root privileges is not recommended!//' "$work/lintian.log" | grep -v '^$')
  [ -n "$lintian_out" ] && echo "$lintian_out" | sed 's/^/      lintian: /'
  if [ "$lintian_rc" -eq 0 ]; then pass "lintian: no errors or warnings (overrides justified)"; else fail "lintian" "exit $lintian_rc"; fi
else
  fail "lintian" "not installed (apt-get install lintian)"
fi

if ! $install_here; then
  echo
  echo "NOTE: install, upgrade, remove and purge were NOT tested (run with --install-here or CI=true,"
  echo "      as root on a throwaway machine)."
  summary
fi

# ---------------------------------------------------------------------------------------------
# Install on this machine (a throwaway container: no systemd running)
# ---------------------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "install" "needs root (the machine is a throwaway container)"
export DEBIAN_FRONTEND=noninteractive
if dpkg-query -W -f='${Status}' adu-opwatch 2>/dev/null | grep -qv "not-installed"; then
  echo "== purging an adu-opwatch left on this machine before the test"
  apt-get purge -y -qq adu-opwatch >/dev/null 2>&1
fi
# The state directory from an earlier purge-less run would fake the checks below.
[ -e /var/lib/adu-opwatch ] && die "clean machine" "/var/lib/adu-opwatch exists before the install"

cp "$deb" "$work/"
cd "$work" || die "cd $work"
installed_by_us=true
echo "== apt-get install ./$(basename "$deb")"
if apt-get install -y -qq "./$(basename "$deb")" >"$work/install.log" 2>&1; then
  pass "apt-get install ./$(basename "$deb")"
else
  die "apt-get install" "$(tail -20 "$work/install.log")"
fi
check "installed: dpkg status is install ok installed" \
  bash -c "[ \"\$(dpkg-query -W -f='\${Status}' adu-opwatch)\" = 'install ok installed' ]"

check "adu-opwatch --version prints the package's upstream version" \
  bash -c "[ \"\$(adu-opwatch --version)\" = 'adu-opwatch ${version%-*}' ]"
cc_out=$(adu-opwatch check-config 2>&1)
cc_rc=$?
if [ "$cc_rc" -eq 78 ] && grep -q "fill in" <<<"$cc_out"; then
  pass "check-config on the installed example exits 78 with a 'fill in' error"
else
  fail "check-config on the installed example" "exit $cc_rc: $cc_out"
fi
verify_out=$(systemd-analyze verify /lib/systemd/system/adu-opwatch.service 2>&1)
verify_rc=$?
if [ "$verify_rc" -eq 0 ] && [ -z "$verify_out" ]; then
  pass "systemd-analyze verify /lib/systemd/system/adu-opwatch.service is clean (man page found)"
else
  fail "systemd-analyze verify" "exit $verify_rc: $verify_out"
fi
check "man -w adu-opwatch finds the section 8 page" bash -c "[ \"\$(man -w 8 adu-opwatch)\" = /usr/share/man/man8/adu-opwatch.8.gz ]"

passwd_entry=$(getent passwd adu-opwatch)
IFS=: read -r _ _ uid gid _ home shell <<<"$passwd_entry"
check "user adu-opwatch exists" test -n "$passwd_entry"
check "group adu-opwatch exists and is the user's primary group" \
  bash -c "[ \"\$(getent group adu-opwatch | cut -d: -f3)\" = '$gid' ]"
check "user is a system user (uid < 1000)" test "${uid:-1000}" -lt 1000
check "user has home /var/lib/adu-opwatch and no login shell" \
  bash -c "[ '$home' = /var/lib/adu-opwatch ] && [ '$shell' = /usr/sbin/nologin ]"
check "/etc/adu-opwatch/config.yaml is 0640 root:adu-opwatch" \
  bash -c "[ \"\$(stat -c '%a %U:%G' /etc/adu-opwatch/config.yaml)\" = '640 root:adu-opwatch' ]"
check "/etc/adu-opwatch is 0750 root:adu-opwatch (the unit's ConfigurationDirectoryMode=)" \
  bash -c "[ \"\$(stat -c '%a %U:%G' /etc/adu-opwatch)\" = '750 root:adu-opwatch' ]"
check "/var/lib/adu-opwatch is 0750 adu-opwatch:adu-opwatch" \
  bash -c "[ \"\$(stat -c '%a %U:%G' /var/lib/adu-opwatch)\" = '750 adu-opwatch:adu-opwatch' ]"
check "conffile registered (dpkg-query --control-show adu-opwatch conffiles)" \
  bash -c "dpkg-query --control-show adu-opwatch conffiles | grep -qx /etc/adu-opwatch/config.yaml"
check "conffile has a checksum in dpkg's status (Conffiles:)" \
  bash -c "dpkg-query -W -f='\${Conffiles}' adu-opwatch | grep -q '/etc/adu-opwatch/config.yaml [0-9a-f]\{32\}'"
check "service enabled (multi-user.target.wants symlink)" \
  test -L /etc/systemd/system/multi-user.target.wants/adu-opwatch.service
check "the adu-opwatch group can read the config (sudo-less readers)" \
  bash -c "setpriv --reuid=\$(id -u nobody) --regid=\$(getent group adu-opwatch | cut -d: -f3) --clear-groups cat /etc/adu-opwatch/config.yaml >/dev/null"
check "others cannot read the config" \
  bash -c "! setpriv --reuid=\$(id -u nobody) --regid=\$(id -g nobody) --clear-groups cat /etc/adu-opwatch/config.yaml 2>/dev/null"

# ---------------------------------------------------------------------------------------------
# Upgrade: a newer version (the same files, repacked with a higher version and a changed example)
# ---------------------------------------------------------------------------------------------
repack() { # repack NEW_VERSION CONFIG_COMMENT -> prints the new .deb's path
  local dir=$work/repack-$1
  rm -rf "$dir"
  dpkg-deb -R "$deb" "$dir"
  sed -i "s/^Version: .*/Version: $1/" "$dir/DEBIAN/control"
  [ -n "$2" ] && echo "# $2" >>"$dir/etc/adu-opwatch/config.yaml"
  (cd "$dir" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum >DEBIAN/md5sums)
  dpkg-deb --root-owner-group -b "$dir" "$work/adu-opwatch_$1_amd64.deb" >/dev/null
  echo "$work/adu-opwatch_$1_amd64.deb"
}
echo "== upgrade to ${version}.1 (new example config, unmodified installed config)"
deb2=$(repack "${version}.1" "changed in ${version}.1")
if apt-get install -y -qq "$deb2" >"$work/upgrade.log" 2>&1; then pass "upgrade to ${version}.1"; else fail "upgrade to ${version}.1" "$(tail -10 "$work/upgrade.log")"; fi
check "upgrade: the unmodified conffile took the new version" grep -q "changed in ${version}.1" /etc/adu-opwatch/config.yaml
check "upgrade: the new conffile is still 0640 root:adu-opwatch (dpkg-statoverride)" \
  bash -c "[ \"\$(stat -c '%a %U:%G' /etc/adu-opwatch/config.yaml)\" = '640 root:adu-opwatch' ]"

echo "== upgrade to ${version}.2 with an administrator's edit in the config"
sed -i 's/^instance_id: REPLACE-ME$/instance_id: REPLACE-ME  # edited by the admin/' /etc/adu-opwatch/config.yaml
deb3=$(repack "${version}.2" "changed in ${version}.1")
if apt-get install -y -qq "$deb3" >"$work/upgrade2.log" 2>&1; then pass "upgrade to ${version}.2"; else fail "upgrade to ${version}.2" "$(tail -10 "$work/upgrade2.log")"; fi
check "upgrade: the administrator's edit is kept" grep -q "edited by the admin" /etc/adu-opwatch/config.yaml
check "upgrade: still 0640 root:adu-opwatch" \
  bash -c "[ \"\$(stat -c '%a %U:%G' /etc/adu-opwatch/config.yaml)\" = '640 root:adu-opwatch' ]"
check "upgrade: still enabled" test -L /etc/systemd/system/multi-user.target.wants/adu-opwatch.service

echo "== upgrade to ${version}.3: the example changed too (an unattended upgrade keeps the admin's file)"
deb4=$(repack "${version}.3" "changed in ${version}.3")
if apt-get install -y -qq -o Dpkg::Options::=--force-confold "$deb4" >"$work/upgrade3.log" 2>&1; then
  pass "upgrade to ${version}.3 with --force-confold"
else
  fail "upgrade to ${version}.3" "$(tail -10 "$work/upgrade3.log")"
fi
check "upgrade: the administrator's edit is kept, the new example is config.yaml.dpkg-dist" \
  bash -c "grep -q 'edited by the admin' /etc/adu-opwatch/config.yaml && grep -q 'changed in ${version}.3' /etc/adu-opwatch/config.yaml.dpkg-dist"
check "upgrade: config.yaml.dpkg-dist is 0640 root:adu-opwatch too" \
  bash -c "[ \"\$(stat -c '%a %U:%G' /etc/adu-opwatch/config.yaml.dpkg-dist)\" = '640 root:adu-opwatch' ]"

# ---------------------------------------------------------------------------------------------
# Remove keeps the database, purge deletes it
# ---------------------------------------------------------------------------------------------
db=/var/lib/adu-opwatch/operations.db
echo "fake database" >"$db" && chown adu-opwatch:adu-opwatch "$db" && chmod 0640 "$db"
echo "fake wal" >"$db-wal" && chown adu-opwatch:adu-opwatch "$db-wal"
echo "== apt-get remove adu-opwatch"
if apt-get remove -y -qq adu-opwatch >"$work/remove.log" 2>&1; then pass "apt-get remove -y adu-opwatch"; else fail "apt-get remove" "$(tail -10 "$work/remove.log")"; fi
check "remove: the database is kept" bash -c "[ \"\$(cat $db)\" = 'fake database' ] && [ -f $db-wal ]"
check "remove: the configuration is kept" test -f /etc/adu-opwatch/config.yaml
check "remove: the binary and the unit are gone" \
  bash -c "[ ! -e /usr/bin/adu-opwatch ] && [ ! -e /lib/systemd/system/adu-opwatch.service ]"
check "remove: dpkg status is config-files" \
  bash -c "[ \"\$(dpkg-query -W -f='\${Status}' adu-opwatch)\" = 'deinstall ok config-files' ]"

echo "== reinstall over the kept configuration and database, then remove again"
if apt-get install -y -qq "$deb4" >"$work/reinstall.log" 2>&1; then pass "reinstall after remove"; else fail "reinstall after remove" "$(tail -10 "$work/reinstall.log")"; fi
check "reinstall: the database and the admin's config are still there" \
  bash -c "[ \"\$(cat $db)\" = 'fake database' ] && grep -q 'edited by the admin' /etc/adu-opwatch/config.yaml"
check "reinstall: the service is enabled again" test -L /etc/systemd/system/multi-user.target.wants/adu-opwatch.service
apt-get remove -y -qq adu-opwatch >/dev/null 2>&1

echo "== apt-get purge adu-opwatch"
if apt-get purge -y -qq adu-opwatch >"$work/purge.log" 2>&1; then pass "apt-get purge -y adu-opwatch"; else fail "apt-get purge" "$(tail -10 "$work/purge.log")"; fi
installed_by_us=false
check "purge: /var/lib/adu-opwatch (the database) is deleted" test ! -e /var/lib/adu-opwatch
check "purge: /etc/adu-opwatch is deleted" test ! -e /etc/adu-opwatch
check "purge: dpkg no longer knows the package" \
  bash -c "! dpkg-query -W -f='\${Status}' adu-opwatch 2>/dev/null | grep -qv not-installed"
check "purge: no stat override left" \
  bash -c "! dpkg-statoverride --list /etc/adu-opwatch/config.yaml && ! dpkg-statoverride --list /etc/adu-opwatch"
leftovers=$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
  /lib/systemd /usr/lib/systemd /usr/lib/sysusers.d /usr/lib/tmpfiles.d /usr/share/doc /usr/share/man \
  /usr/share/lintian /usr/bin /run -name '*adu-opwatch*' 2>/dev/null)
check "purge: nothing of the package is left (units, symlinks, helper state, docs, man, binary)" test -z "$leftovers"
# Debian practice: system accounts stay after purge (files they own may remain elsewhere and a
# reused UID would inherit them); a reinstall reuses them.
check "purge: the adu-opwatch user and group are kept (Debian practice)" \
  bash -c "getent passwd adu-opwatch >/dev/null && getent group adu-opwatch >/dev/null"

summary
