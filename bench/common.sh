# bench/common.sh — what bench/*.sh share, sourced after `set -euo pipefail` and `cd` to the
# repository root (bench/README.md):
#
#   source bench/common.sh
#   bench_parse_args "$@"     --quick → quick=1, --no-build → build=0, -h/--help prints the
#                             script's header comment; with bench_allow_extra=1 set before,
#                             -- ARGS → extra=(ARGS); anything else exits 2 with a message
#   bench_build TARGET...     scripts/build.sh of the targets in $build_dir (2 jobs) unless --no-build
#   bench_require BINARY...   exits 1 naming the first one that is not an executable file
#   cpu_ticks                 "idle total" jiffies of the whole machine (/proc/stat)
#   bench_busy_percent I0 T0 I1 T1   the machine's CPU use between two cpu_ticks readings
#   bench_machine             sets cpu_model, cores and date_utc
#
# Sets root (the repository root), bench_name (the script's file name) and build_dir
# ($BUILD_DIR, default build, made absolute).
# shellcheck shell=bash disable=SC2034  # the variables are the sourcing script's

root=$(pwd)
bench_name=$(basename "$0")
build_dir=${BUILD_DIR:-build}
[[ $build_dir = /* ]] || build_dir="$root/$build_dir"
quick=0
build=1
extra=()

# The leading comment block of the script (line 2 to the first line not starting with #).
bench_help() {
  awk 'NR == 1 { next } /^#/ { print; next } { exit }' "$0" | sed 's/^# \{0,1\}//'
}

bench_parse_args() {
  while (($#)); do
    case "$1" in
      --quick) quick=1 ;;
      --no-build) build=0 ;;
      --) if ((${bench_allow_extra:-0})); then shift; extra=("$@"); break; fi
          echo "$bench_name: unknown argument '$1' (see --help)" >&2; exit 2 ;;
      -h|--help) bench_help; exit 0 ;;
      *) echo "$bench_name: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
  done
}

bench_build() {
  if ((build)); then BUILD_DIR="$build_dir" JOBS=2 TARGETS="$*" "$root/scripts/build.sh"; fi
}

bench_require() {
  local bin
  for bin in "$@"; do
    [[ -x "$bin" ]] || { echo "$bench_name: $bin not found (build it, or drop --no-build)" >&2; exit 1; }
  done
}

cpu_ticks() { awk '/^cpu /{idle=$5+$6; total=0; for(i=2;i<=NF;i++) total+=$i; print idle, total}' /proc/stat; }

bench_busy_percent() {
  awk -v i=$(($3 - $1)) -v t=$(($4 - $2)) 'BEGIN{printf "%.0f", (t > 0 ? 100 * (1 - i / t) : 0)}'
}

bench_machine() {
  date_utc=$(date -u '+%Y-%m-%d %H:%M UTC')
  cpu_model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
  [[ -n $cpu_model ]] || cpu_model=$(uname -m)
  cores=$(nproc)
}
