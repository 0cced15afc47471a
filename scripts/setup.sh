#!/usr/bin/env bash
# setup.sh: the two set-up commands of the README.
#
#   scripts/setup.sh run    install what is missing, build, start mnemo-server on conf/mnemo.conf
#   scripts/setup.sh test   install what is missing, build, run every test and the fuzz targets
#                           (what CI runs)
#
# Debian 12. Needs root (or sudo) only when packages are missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${MNEMO_BUILD_DIR:-$ROOT/build}"
JOBS="${MNEMO_JOBS:-2}"

# Everything the build, the tests and the benchmarks use, as Debian 12 packages.
PACKAGES=(
  build-essential cmake pkg-config
  libjemalloc-dev libasio-dev libfmt-dev libspdlog-dev libsodium-dev liblzf-dev libzstd-dev libsystemd-dev
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
  libgtest-dev libgmock-dev libbenchmark-dev libhiredis-dev
  redis-tools redis-server redis-sentinel python3 python3-redis python3-pytest python3-rq python3-celery
  python3-limits nutcracker  # test_twemproxy.py shards over Mnemo servers behind twemproxy
  python3-yaml  # scripts/deployment_memory.py reads nutcracker configs
  systemd libssl-dev openssl clang libclang-rt-14-dev
  strace  # test_aof.py checks the order of fdatasync and replies under strace
)

install_missing() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "== installing: ${missing[*]}"
    local sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    $sudo apt-get update -qq
    # redis-server is only a reference for comparison tests and benchmarks: never start it
    # as a system service here.
    DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
}

build() {
  echo "== building in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" -j "$JOBS"
}

case "${1:-}" in
  run)
    install_missing
    build
    echo "== starting mnemo-server on conf/mnemo.conf (Ctrl-C stops it)"
    cd "$ROOT"
    exec "$BUILD/bin/mnemo-server" "$ROOT/conf/mnemo.conf"
    ;;
  test)
    install_missing
    build
    echo "== running every test"
    cd "$BUILD"
    ctest --output-on-failure -j "$JOBS" --timeout 600
    echo "== redis-py compatibility tests"
    MNEMO_SERVER="$BUILD/bin/mnemo-server" /usr/bin/python3 -m pytest -q "$ROOT/tests/integration/python"
    echo "== fuzz targets (libFuzzer, bounded time each)"
    "$ROOT/scripts/run_fuzzers.sh"
    ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac
