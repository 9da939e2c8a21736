#!/usr/bin/env bash
# The boot test (issue 18): the Debian package under a real systemd as PID 1.
#
# Builds the .deb (build/package, as tests/package/test_package.sh does), makes a minimal Debian 12
# root with debootstrap (--variant=minbase plus systemd, dbus and sqlite3; cached as a tarball),
# boots it with `systemd-nspawn -b` on the host's network (no private network: the emulator on
# 127.0.0.1 is reachable, nothing else is contacted but the Debian mirror apt uses), installs the
# package there with apt and checks the service against adu-emulator, one line per check.
#
#   tests/system/boot_test.sh                     as root; prints `ok - ...` / `not ok - ...`
#   options: --deb FILE (test this package, no build)   --build-dir DIR (default: build/package)
#            --keep (leave the work directory for a post-mortem; the container is still stopped)
#   env:     ADU_BOOT_CACHE  cache directory (default /var/cache/adu-opwatch-boot-test): the root
#                            tarball and apt's downloaded packages; delete it for a cold run
#            ADU_BOOT_MIRROR Debian mirror (default http://deb.debian.org/debian)
#            ADU_EMULATOR    adu-emulator binary (default: build/test/tests/emulator/adu-emulator,
#                            built there as scripts/test does when missing)
#
# Ends with `N passed, N failed` alone on a line; exits 1 if any check failed. Everything it starts
# (container, emulator, work directory) is removed on exit, also on Ctrl-C or SIGTERM.
set -uo pipefail
# Braces around the whole script: bash reads all of it before running any, so editing the file
# during a run cannot derail that run.
{

src=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=$src/build/package
deb=""
keep=false
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=$(realpath "$2"); shift ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift ;;
    --keep) keep=true ;;
    -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 64 ;;
  esac
  shift
done
cache=${ADU_BOOT_CACHE:-/var/cache/adu-opwatch-boot-test}
mirror=${ADU_BOOT_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
root_packages=systemd,dbus,sqlite3
started=$(date +%s)

passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() {
  echo "not ok - $1"
  [ -n "${2:-}" ] && printf '%s\n' "$2" | tail -n 12 | sed 's/^/#   /'
  failed=$((failed + 1))
}
# check NAME COMMAND...: ok when the command succeeds; its output is shown when it does not.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
summary() {
  echo "# boot test took $(($(date +%s) - started)) s"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
note() { echo "# $*"; }
die() { not_ok "$1" "${2:-}"; summary; }

[ "$(id -u)" -eq 0 ] || { echo "the boot test needs root (debootstrap, systemd-nspawn)" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Cleanup: the container (its PID 1, and with it every process inside), the emulator, the root.
# ---------------------------------------------------------------------------------------------
work=$(mktemp -d /var/tmp/adu-boot-test.XXXXXX)
ct_root=$work/root
machine=adu-boot-$$
nspawn_pid=""
leader=""
emulator_pid=""
stop_container() {
  [ -n "$nspawn_pid" ] || return 0
  if kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid" 2>/dev/null # nspawn asks the container's systemd to power off
    for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
    # Killing a PID namespace's init kills everything in it.
    [ -n "$leader" ] && kill -KILL "$leader" 2>/dev/null
    kill -KILL "$nspawn_pid" 2>/dev/null
  fi
  wait "$nspawn_pid" 2>/dev/null
  nspawn_pid=""
  leader=""
}
cleanup() {
  trap - EXIT INT TERM HUP
  stop_container
  if [ -n "$emulator_pid" ]; then kill -TERM "$emulator_pid" 2>/dev/null; wait "$emulator_pid" 2>/dev/null; fi
  # nspawn mounts in its own namespace; anything left visible here under the work dir goes too.
  grep -o " $work[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
  if $keep; then echo "# work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'echo "# interrupted"; exit 130' INT TERM HUP

# ---------------------------------------------------------------------------------------------
# Host tools, the package, the emulator
# ---------------------------------------------------------------------------------------------
export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null || ! command -v systemd-nspawn >/dev/null; then
  note "installing debootstrap and systemd-container"
  apt-get install -y -qq debootstrap systemd-container >"$work/apt-host.log" 2>&1 ||
    { apt-get update -qq >>"$work/apt-host.log" 2>&1 &&
      apt-get install -y -qq debootstrap systemd-container >>"$work/apt-host.log" 2>&1; } ||
    die "install debootstrap and systemd-container" "$(tail -5 "$work/apt-host.log")"
fi

if [ -z "$deb" ]; then
  export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-$(command -v ccache || true)}
  { cmake -S "$src" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DADU_BUILD_TESTS=OFF -DADU_SANITIZE= &&
    cmake --build "$build_dir" -j"$(nproc)" --target package; } >"$work/build.log" 2>&1 ||
    die "build the package" "$(tail -20 "$work/build.log")"
  deb=$(ls "$build_dir"/adu-opwatch_*_amd64.deb 2>/dev/null | head -1)
fi
[ -f "$deb" ] || die "a package to test" "no .deb found (build dir $build_dir)"
note "package $(basename "$deb")"

emulator=${ADU_EMULATOR:-$src/build/test/tests/emulator/adu-emulator}
if [ ! -x "$emulator" ]; then
  note "building adu-emulator in build/test"
  { cmake -S "$src" -B "$src/build/test" -DCMAKE_BUILD_TYPE=Debug -DADU_SANITIZE=address,undefined &&
    cmake --build "$src/build/test" -j"$(nproc)" --target adu-emulator; } >"$work/emulator-build.log" 2>&1 ||
    die "build adu-emulator" "$(tail -20 "$work/emulator-build.log")"
fi

# ---------------------------------------------------------------------------------------------
# The root: debootstrap once, then a tarball in the cache
# ---------------------------------------------------------------------------------------------
mkdir -p "$cache/archives/partial"
tarball=$cache/$suite-minbase-${root_packages//,/-}.tar
t0=$(date +%s)
if [ ! -s "$tarball" ]; then
  note "debootstrap --variant=minbase $suite from $mirror (cold cache)"
  debootstrap --variant=minbase --include="$root_packages" --cache-dir="$cache/archives" \
    "$suite" "$ct_root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    die "debootstrap $suite" "$(tail -10 "$work/debootstrap.log")"
  rm -f "$ct_root"/var/cache/apt/archives/*.deb
  tar -C "$ct_root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
else
  mkdir -p "$ct_root" && tar -C "$ct_root" -xf "$tarball" || die "unpack $tarball"
fi
note "root ready in $(($(date +%s) - t0)) s"
echo "adu-boot" >"$ct_root/etc/hostname"
cp "$deb" "$ct_root/root/"

# ---------------------------------------------------------------------------------------------
# The container: boot, run commands inside (nsenter), reboot
# ---------------------------------------------------------------------------------------------
# Runs a command in the container as root, with a clean environment. --root and --wd without a
# value: the container's own (a path given here would be opened on the host first).
in_ct() {
  nsenter --target "$leader" --mount --uts --ipc --net --pid --cgroup --root --wd -- \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
boot() {
  local args=(-q -b -D "$ct_root" -M "$machine" --console=pipe
    "--bind=$cache/archives:/var/cache/apt/archives")
  # Without systemd on the host there is no machined to register with and no unit to move to.
  [ -d /run/systemd/system ] || args+=(--register=no --keep-unit)
  systemd-nspawn "${args[@]}" </dev/null >>"$work/console.log" 2>&1 &
  nspawn_pid=$!
  leader=""
  # The container's PID 1 is nspawn's child once that has exec'd systemd.
  for _ in $(seq 300); do
    leader=$(ps -o pid=,comm= --ppid "$nspawn_pid" 2>/dev/null | awk '$2 == "systemd" { print $1 }')
    [ -n "$leader" ] && break
    sleep 0.1
  done
  [ -n "$leader" ] || return 1
  # Short steps, not one long command: bash runs the INT/TERM trap only between commands.
  local state="" deadline=$(($(date +%s) + 90))
  while [ -z "$state" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    state=$(timeout 2 nsenter --target "$leader" --mount --pid -- systemctl is-system-running --wait 2>/dev/null) ||
      { [ -n "$state" ] || sleep 0.2; }
  done
  note "booted (${state:-no answer})"
  [ -n "$state" ]
}
reboot_ct() {
  in_ct systemctl reboot >/dev/null 2>&1
  local rc=0
  wait "$nspawn_pid" || rc=$?
  nspawn_pid=""
  [ "$rc" -eq 133 ] || note "systemd-nspawn ended with $rc on reboot (133 expected)"
  boot
}
# Waits up to $1 seconds for a command to succeed.
wait_until() {
  local limit=$1 deadline
  shift
  deadline=$(($(date +%s%N) + limit * 1000000000))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
prop() { in_ct systemctl show -P "$2" "$1"; } # prop UNIT PROPERTY
prop_is() { [ "$(prop "$1" "$2")" = "$3" ]; }  # prop_is UNIT PROPERTY VALUE
# journal_has PATTERN JOURNALCTL-ARGS...: a line of this boot's journal matches (grep -E).
journal_has() {
  local pattern=$1
  shift
  in_ct journalctl --no-pager -b -o cat "$@" | grep -qE "$pattern"
}
journal_of() { in_ct journalctl --no-pager -b -o cat "$@"; }
put() { in_ct sh -c "cat > '$1' && chown $2 '$1' && chmod $3 '$1'"; } # put PATH OWNER MODE < text

boot || die "boot the minimal $suite root with systemd-nspawn -b" "$(tail -20 "$work/console.log")"

# ---------------------------------------------------------------------------------------------
# Install the package with apt: as a new user would, on a minimal system
# ---------------------------------------------------------------------------------------------
t0=$(date +%s)
if in_ct sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q /root/$(basename "$deb")" \
  >"$work/install.log" 2>&1; then
  ok "apt-get install ./$(basename "$deb") on minimal Debian 12 booted with systemd $(in_ct systemctl --version | awk 'NR==1{print $2}')"
else
  die "apt-get install the package" "$(tail -20 "$work/install.log")"
fi
note "installed in $(($(date +%s) - t0)) s"

# Defect 2: the enabled unit with the untouched example must skip at boot, not fail.
unconfigured_state() {
  [ "$(prop adu-opwatch.service ActiveState)" = inactive ] || { echo "ActiveState=$(prop adu-opwatch.service ActiveState)"; return 1; }
  [ "$(in_ct systemctl is-enabled adu-opwatch.service)" = enabled ] || { echo "not enabled"; return 1; }
}
check "unconfigured install: enabled, not started" unconfigured_state
reboot_ct || die "reboot" "$(tail -20 "$work/console.log")"
unconfigured_after_reboot() {
  local state lines
  state=$(in_ct systemctl is-system-running)
  [ "$state" = running ] || { echo "system is $state:"; in_ct systemctl --failed --no-legend; journal_of -u adu-opwatch | tail -5; return 1; }
  [ "$(prop adu-opwatch.service ActiveState)" = inactive ] || { echo "adu-opwatch is $(prop adu-opwatch.service ActiveState)"; return 1; }
  lines=$(journal_of -u adu-opwatch SYSLOG_IDENTIFIER=adu-opwatch | grep -c "unconfigured example")
  [ "$lines" -eq 1 ] || { echo "expected one journal line naming the unconfigured example, found $lines:"; journal_of -u adu-opwatch; return 1; }
}
check "unconfigured install: skipped at boot with one journal line, system not degraded after a reboot" unconfigured_after_reboot

# ---------------------------------------------------------------------------------------------
# Configure it: the emulator on loopback, a client secret as a systemd credential
# ---------------------------------------------------------------------------------------------
cat >"$work/scenario.yaml" <<'EOF'
instance_id: demo
auth:
  mode: bearer
  clients: [{tenant: boot-tenant, client_id: boot-app, client_secret: "boot-secret-value"}]
operations:
  - {id: boot-op-done, kind: device, timeline: [{at: 0, status: NotStarted}, {at: 6, status: Running}, {at: 12, status: Succeeded}]}
  - {id: boot-op-running, kind: update, timeline: [{at: 0, status: Running}]}
  - {id: boot-op-added, kind: device, timeline: [{at: 0, status: Running}]}
  - {id: boot-op-stall, kind: device, timeline: [{at: 0, status: Running}], faults: [{every: 1, kind: stall, seconds: 120}]}
  - {id: boot-op-blue, kind: device, timeline: [{at: 0, status: Running}]}
  - {id: boot-op-green, kind: device, timeline: [{at: 0, status: Running}]}
EOF
"$emulator" --scenario "$work/scenario.yaml" --port 0 --port-file "$work/emulator.port" >"$work/emulator.log" 2>&1 &
emulator_pid=$!
wait_until 30 test -s "$work/emulator.port" || die "start adu-emulator" "$(cat "$work/emulator.log")"
port=$(cat "$work/emulator.port")
emu_url=http://127.0.0.1:$port
# emu_requests OPERATION_ID: how many GETs of that operation the emulator has answered.
emu_requests() {
  python3 -c 'import json,sys,urllib.request as u
s=json.load(u.urlopen(sys.argv[1]+"/_emulator/stats?operation="+sys.argv[2], timeout=5))
print(s.get("operations",{}).get(sys.argv[2],{}).get("requests",0))' "$emu_url" "$1"
}
requested() { [ "$(emu_requests "$1")" -ge "${2:-1}" ]; } # requested ID [N]
emu_stat() {
  python3 -c 'import json,sys,urllib.request as u
print(json.load(u.urlopen(sys.argv[1]+"/_emulator/stats", timeout=5))[sys.argv[2]])' "$emu_url" "$1"
}

# write_config FILE DATABASE WATCH_ID...: a configuration for the emulator (0640 root:adu-opwatch).
write_config() {
  local file=$1 database=$2 id
  shift 2
  {
    echo "endpoint: $emu_url"
    echo "instance_id: demo"
    echo "auth:"
    echo "  method: client_secret"
    echo "  tenant_id: boot-tenant"
    echo "  client_id: boot-app"
    echo "  authority_host: $emu_url"
    echo "poll: {interval: 1s, use_list: never}"
    [ -n "$database" ] && echo "database: $database"
    echo "watch:"
    for id in "$@"; do
      case "$id" in *running) echo "  - {id: $id, kind: update}" ;; *) echo "  - $id" ;; esac
    done
  } | put "$file" root:adu-opwatch 0640
}
write_config /etc/adu-opwatch/config.yaml "" boot-op-done boot-op-running
printf '%s' boot-secret-value | put /etc/adu-opwatch/client-secret root:root 0600
in_ct mkdir -p /etc/systemd/system/adu-opwatch.service.d /etc/systemd/system/adu-opwatch@.service.d
for unit in adu-opwatch.service adu-opwatch@.service; do
  secret=/etc/adu-opwatch/client-secret
  printf '[Service]\nLoadCredential=client-secret:%s\n' "$secret" |
    put "/etc/systemd/system/$unit.d/credential.conf" root:root 0644
done
in_ct systemctl daemon-reload

enable_now() {
  in_ct systemctl enable --now adu-opwatch.service || return 1
  # Type=notify: the start job ends only with READY=1, so the unit is active right away.
  local state
  state=$(prop adu-opwatch.service ActiveState)/$(prop adu-opwatch.service SubState)
  [ "$state" = active/running ] || { echo "state $state right after enable --now"; journal_of -u adu-opwatch | tail; return 1; }
  journal_of -u adu-opwatch | grep -q "starting: endpoint $emu_url" || { echo "no start line"; return 1; }
}
check "configured: systemctl enable --now returns with the unit active (READY=1)" enable_now
main_pid=$(prop adu-opwatch.service MainPID)

status_is_current() {
  sleep 2.5 # polls happen at once; the old status line said "no poll yet" for 5 s
  local status
  status=$(prop adu-opwatch.service StatusText)
  [[ "$status" == "watching 2 operations: "*"; last poll "* ]] || { echo "STATUS=$status"; return 1; }
}
check "STATUS= is current 2.5 s after the start (last poll, not \"no poll yet\")" status_is_current

credential_works() {
  wait_until 10 requested boot-op-running || { echo "no poll reached the emulator"; return 1; }
  [ "$(emu_stat token_requests)" -ge 1 ] && [ "$(emu_stat auth_failures)" -eq 0 ] ||
    { echo "token_requests=$(emu_stat token_requests) auth_failures=$(emu_stat auth_failures)"; return 1; }
}
check "LoadCredential=client-secret: the daemon gets a token with the credential and polls" credential_works

operation_story() {
  local q=(-u adu-opwatch OPERATION_ID=boot-op-done -o verbose)
  wait_until 30 journal_has "Running -> Succeeded" -u adu-opwatch OPERATION_ID=boot-op-done STATUS=Succeeded ||
    { echo "no Running -> Succeeded entry:"; journal_of -u adu-opwatch | tail; return 1; }
  local story
  story=$(in_ct journalctl --no-pager -b "${q[@]}")
  for want in "MESSAGE=operation boot-op-done (device): first seen NotStarted" \
    "MESSAGE=operation boot-op-done (device): NotStarted -> Running" \
    "MESSAGE=operation boot-op-done (device): Running -> Succeeded" \
    "KIND=device" "STATUS=Succeeded" "OLD_STATUS=Running" "OLD_STATUS=NotStarted"; do
    grep -qF "    $want" <<<"$story" || { echo "missing: $want"; echo "$story" | grep -E 'MESSAGE=|STATUS=|KIND='; return 1; }
  done
  # Only that operation's entries.
  ! grep -E '^    OPERATION_ID=' <<<"$story" | grep -qv 'OPERATION_ID=boot-op-done$'
}
check "journalctl -u adu-opwatch OPERATION_ID=boot-op-done: its transitions with KIND/STATUS/OLD_STATUS" operation_story

# Defect 4: the journal entries named the sink (journal_sink.cpp:17) with a build path.
no_sink_location() {
  local fields
  fields=$(in_ct journalctl --no-pager -b SYSLOG_IDENTIFIER=adu-opwatch -o verbose | grep -E '^    CODE_(FILE|LINE|FUNC)=' | sort | uniq -c)
  [ -z "$fields" ] || { echo "$fields"; return 1; }
}
check "journal entries carry no CODE_FILE/CODE_LINE/CODE_FUNC of the journal sink" no_sink_location

# Defect 1 and the reload: same process, new watch list applied; an invalid file is kept out.
reload_applies() {
  write_config /etc/adu-opwatch/config.yaml "" boot-op-done boot-op-running boot-op-added
  in_ct systemctl reload adu-opwatch.service || { prop adu-opwatch.service ExecReload; journal_of -u adu-opwatch | tail -5; return 1; }
  wait_until 10 requested boot-op-added || { echo "boot-op-added never polled"; journal_of -u adu-opwatch | tail -5; return 1; }
  [ "$(prop adu-opwatch.service MainPID)" = "$main_pid" ] || { echo "MainPID changed"; return 1; }
  journal_of -u adu-opwatch | grep -q "configuration reloaded: 3 watched operations"
}
check "systemctl reload: same PID, the added operation is polled" reload_applies
reload_refuses_invalid() {
  in_ct sh -c 'printf "poll:\n  interval: soon\n" >> /etc/adu-opwatch/config.yaml'
  in_ct systemctl reload adu-opwatch.service || return 1
  wait_until 10 journal_has "reload failed, keeping the running configuration" -u adu-opwatch ||
    { echo "no 'reload failed' line"; journal_of -u adu-opwatch | tail -5; return 1; }
  local state
  state=$(prop adu-opwatch.service ActiveState)/$(prop adu-opwatch.service MainPID)
  [ "$state" = "active/$main_pid" ] || { echo "after the invalid reload: $state"; return 1; }
  # Still polling with the running configuration (which has boot-op-added).
  local n
  n=$(emu_requests boot-op-added)
  wait_until 5 requested boot-op-added $((n + 1)) || { echo "boot-op-added no longer polled"; return 1; }
}
check "systemctl reload with an invalid file: logged, the running configuration kept" reload_refuses_invalid
write_config /etc/adu-opwatch/config.yaml "" boot-op-done boot-op-running boot-op-added
in_ct systemctl reload adu-opwatch.service

# Defect 3: ConfigurationDirectory= mode warnings at every start and reload, and any other.
# Warnings in the units' journal that are not the daemon's own: PID 1's about the unit and those of
# the process systemd forks to set the service up (SYSLOG_IDENTIFIER=(-opwatch)), which is where
# the mode warning comes from.
no_unit_warnings() {
  local w
  w=$(in_ct journalctl --no-pager -b -p warning -u adu-opwatch.service -u 'adu-opwatch@*.service' -o json |
    python3 -c 'import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if not str(e.get("SYSLOG_IDENTIFIER", "")).startswith("adu-opwatch"):
        print(e.get("SYSLOG_IDENTIFIER"), e.get("MESSAGE"))')
  [ -z "$w" ] || { echo "$w"; return 1; }
}
check "no warning about the unit from systemd in the journal (start, reload)" no_unit_warnings
verify_clean() {
  local out
  out=$(in_ct systemd-analyze verify --man=no /lib/systemd/system/adu-opwatch.service \
    /lib/systemd/system/adu-opwatch@.service 2>&1) && [ -z "$out" ] || { echo "$out"; return 1; }
}
check "systemd-analyze verify --man=no: both units clean" verify_clean
security_at_most_2() { # security_at_most_2 UNIT
  local line score
  line=$(in_ct systemd-analyze security --no-pager "$1" | grep 'Overall exposure level')
  score=$(grep -oE '[0-9]+\.[0-9]+' <<<"$line" | head -1)
  echo "$line"
  awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }'
}
check "systemd-analyze security adu-opwatch.service: at most 2.0 ($(security_at_most_2 adu-opwatch.service | grep -oE '[0-9]+\.[0-9]+ [A-Z]+'))" security_at_most_2 adu-opwatch.service

group_member_reads() {
  in_ct useradd --no-create-home --groups adu-opwatch boot-reader 2>/dev/null || true
  local n
  n=$(in_ct setpriv --reuid=boot-reader --regid=boot-reader --init-groups \
    sqlite3 -readonly /var/lib/adu-opwatch/operations.db "SELECT count(*) FROM snapshots") || { echo "$n"; return 1; }
  [ "$n" -ge 1 ] || { echo "$n snapshots"; return 1; }
}
check "a member of group adu-opwatch reads the database with sqlite3 -readonly" group_member_reads

# ---------------------------------------------------------------------------------------------
# Failure handling: watchdog, stop with a request hanging, a database outside /var/lib
# ---------------------------------------------------------------------------------------------
# The packaged unit's WatchdogSec=60s, shortened for the test; the daemon is stalled by SIGSTOP
# (no test hook in the packaged binary), so its pings stop as a stuck process's would.
dropin=/run/systemd/system/adu-opwatch.service.d
in_ct mkdir -p "$dropin"
printf '[Service]\nWatchdogSec=3s\nTimeoutAbortSec=2s\nRestartSec=1s\n' | put "$dropin/zz-boot-test.conf" root:root 0644
in_ct systemctl daemon-reload
in_ct systemctl restart adu-opwatch.service
watchdog_restarts() {
  local pid
  pid=$(prop adu-opwatch.service MainPID)
  [ "$pid" -gt 0 ] || return 1
  in_ct sh -c "kill -STOP $pid" # the shell's kill: a minimal system has no /bin/kill
  restarted() { ! prop_is adu-opwatch.service MainPID "$pid" && prop_is adu-opwatch.service ActiveState active; }
  wait_until 25 restarted ||
    { echo "not restarted: $(prop adu-opwatch.service ActiveState) pid $(prop adu-opwatch.service MainPID)"; return 1; }
  journal_of -u adu-opwatch | grep -q "Watchdog timeout" || { echo "no watchdog timeout in the journal"; return 1; }
}
check "the watchdog restarts a stalled daemon (SIGSTOP, WatchdogSec=3s)" watchdog_restarts
in_ct rm -f "$dropin/zz-boot-test.conf"
in_ct systemctl daemon-reload

stop_while_hanging() {
  write_config /etc/adu-opwatch/config.yaml "" boot-op-done boot-op-running boot-op-stall
  in_ct systemctl restart adu-opwatch.service || return 1
  wait_until 10 requested boot-op-stall || { echo "the stalling operation was never requested"; return 1; }
  sleep 0.5
  local t0 t1 ms
  t0=$(date +%s%N)
  in_ct systemctl stop adu-opwatch.service || return 1
  t1=$(date +%s%N)
  ms=$(((t1 - t0) / 1000000))
  local result
  result="$(prop adu-opwatch.service Result) $(prop adu-opwatch.service ExecMainCode) $(prop adu-opwatch.service ExecMainStatus)"
  echo "stopped in $ms ms ($result)"
  [ "$ms" -le 2000 ] && [ "$result" = "success 1 0" ]
}
check "systemctl stop with a request hanging: exit 0 within 2 s" stop_while_hanging

# Defect 5: ProtectSystem=strict makes a database outside /var/lib/adu-opwatch read-only.
database_elsewhere() {
  in_ct install -d -o adu-opwatch -g adu-opwatch -m 0750 /srv/adu-opwatch
  write_config /etc/adu-opwatch/config.yaml /srv/adu-opwatch/operations.db boot-op-running
  in_ct systemctl reset-failed adu-opwatch.service 2>/dev/null
  in_ct systemctl start adu-opwatch.service && { echo "started with a read-only database directory"; return 1; }
  sleep 6 # past RestartSec=5s: a restart loop would show
  local result
  result="$(prop adu-opwatch.service ExecMainStatus) restarts=$(prop adu-opwatch.service NRestarts) $(prop adu-opwatch.service ActiveState)"
  [ "$result" = "78 restarts=0 failed" ] || { echo "$result"; journal_of -u adu-opwatch | tail -4; return 1; }
  journal_of -u adu-opwatch SYSLOG_IDENTIFIER=adu-opwatch | grep -q "ReadWritePaths=/srv/adu-opwatch" ||
    { echo "no error naming ReadWritePaths="; journal_of -u adu-opwatch | tail -4; return 1; }
  in_ct adu-opwatch check-config 2>&1 | grep -q "ReadWritePaths=/srv/adu-opwatch" ||
    { echo "check-config does not mention ReadWritePaths="; return 1; }
}
check "database outside /var/lib/adu-opwatch: error naming ReadWritePaths= (daemon, check-config), exit 78, no restart loop" database_elsewhere
readwritepaths_fixes_it() {
  printf '[Service]\nReadWritePaths=/srv/adu-opwatch\n' | put /etc/systemd/system/adu-opwatch.service.d/database.conf root:root 0644
  in_ct systemctl daemon-reload
  in_ct systemctl reset-failed adu-opwatch.service
  in_ct systemctl start adu-opwatch.service || { journal_of -u adu-opwatch | tail -4; return 1; }
  wait_until 10 in_ct test -s /srv/adu-opwatch/operations.db
}
check "... and ReadWritePaths= in a drop-in (as docs/install.md says) lets it run there" readwritepaths_fixes_it
in_ct systemctl stop adu-opwatch.service
in_ct rm -f /etc/systemd/system/adu-opwatch.service.d/database.conf
in_ct systemctl daemon-reload
write_config /etc/adu-opwatch/config.yaml "" boot-op-done boot-op-running boot-op-added
in_ct systemctl reset-failed adu-opwatch.service 2>/dev/null
in_ct systemctl start adu-opwatch.service

# ---------------------------------------------------------------------------------------------
# The template unit: two instances side by side
# ---------------------------------------------------------------------------------------------
two_instances() {
  write_config /etc/adu-opwatch/blue.yaml "" boot-op-blue
  write_config /etc/adu-opwatch/green.yaml "" boot-op-green
  in_ct systemctl start adu-opwatch@blue.service adu-opwatch@green.service || { journal_of -u 'adu-opwatch@*' | tail; return 1; }
  local i pid pids=""
  for i in blue green; do
    [ "$(prop "adu-opwatch@$i.service" ActiveState)" = active ] || { echo "$i not active"; return 1; }
    pid=$(prop "adu-opwatch@$i.service" MainPID)
    pids="$pids $pid"
    wait_until 10 requested "boot-op-$i" || { echo "boot-op-$i not polled"; return 1; }
    wait_until 5 in_ct test -s "/var/lib/adu-opwatch/$i.db" || { echo "no /var/lib/adu-opwatch/$i.db"; return 1; }
    journal_of -u "adu-opwatch@$i" "SYSLOG_IDENTIFIER=adu-opwatch@$i" | grep -q "database /var/lib/adu-opwatch/$i.db" ||
      { echo "journal of $i does not name it"; journal_of -u "adu-opwatch@$i" | tail -3; return 1; }
    sleep 1.2
    [[ "$(prop "adu-opwatch@$i.service" StatusText)" == "$i: watching 1 operation: "* ]] ||
      { echo "STATUS=$(prop "adu-opwatch@$i.service" StatusText)"; return 1; }
  done
  [ "$(echo $pids | tr ' ' '\n' | sort -u | wc -l)" -eq 2 ] || { echo "PIDs:$pids"; return 1; }
  # A reload reads NAME.yaml again, with the same instance defaults (the database stays NAME.db).
  in_ct systemctl reload adu-opwatch@blue.service || return 1
  wait_until 10 journal_has "configuration reloaded" -u adu-opwatch@blue || { echo "blue did not reload"; return 1; }
  ! journal_has "changed; restart" -u adu-opwatch@blue || { journal_of -u adu-opwatch@blue | grep "changed; restart"; return 1; }
  [ "$(prop adu-opwatch.service ActiveState)" = active ] || { echo "adu-opwatch.service is not active beside them"; return 1; }
}
check "template unit: adu-opwatch@blue and @green run side by side (own NAME.yaml, NAME.db, journal, STATUS=, reload)" two_instances
check "systemd-analyze security adu-opwatch@blue.service: at most 2.0" security_at_most_2 adu-opwatch@blue.service
in_ct systemctl stop adu-opwatch@blue.service adu-opwatch@green.service

# ---------------------------------------------------------------------------------------------
# Reboot: the data stays, finished operations are not polled again
# ---------------------------------------------------------------------------------------------
snapshots() { in_ct sqlite3 -readonly /var/lib/adu-opwatch/operations.db "SELECT count(*) FROM snapshots"; }
done_status() { in_ct sqlite3 -readonly /var/lib/adu-opwatch/operations.db "SELECT status FROM operations WHERE operation_id = 'boot-op-done'"; }
done_is_stored() { [ "$(done_status)" = Succeeded ]; }
wait_until 15 done_is_stored
before_snapshots=$(snapshots)
reboot_ct || die "second reboot" "$(tail -20 "$work/console.log")"
done_requests=$(emu_requests boot-op-done)
after_reboot() {
  wait_until 20 prop_is adu-opwatch.service ActiveState active || { echo "adu-opwatch is $(prop adu-opwatch.service ActiveState) after the reboot"; return 1; }
  wait_until 10 requested boot-op-running
  sleep 3
  local now status
  now=$(snapshots)
  [ "$now" -ge "$before_snapshots" ] || { echo "snapshots: $before_snapshots before, $now after"; return 1; }
  status=$(done_status)
  [ "$status" = Succeeded ] || { echo "boot-op-done is '$status'"; return 1; }
  [ "$(emu_requests boot-op-done)" -eq "$done_requests" ] || { echo "boot-op-done polled again: $done_requests -> $(emu_requests boot-op-done)"; return 1; }
  [ "$(in_ct systemctl is-system-running)" = running ] || { in_ct systemctl --failed --no-legend; return 1; }
}
check "reboot: started at boot, the database kept ($before_snapshots snapshots), the finished operation not polled again" after_reboot
check "no warning about the unit from systemd in the journal (boot)" no_unit_warnings

summary
}
