# Sourced by the scripts: installs the Debian packages the build, tests and demo need, if any is
# missing. Safe to run again; does nothing when everything is present.
ADU_PACKAGES=(
  build-essential cmake pkg-config
  libcpprest-dev libssl-dev libboost-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libsqlite3-dev libgtest-dev libgmock-dev libsystemd-dev libcurl4-openssl-dev
  libsimdjson-dev libbenchmark-dev prometheus-cpp-dev
  python3 sqlite3 systemd prometheus
)

adu_install_deps() {
  local missing=()
  for p in "${ADU_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "installing: ${missing[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
