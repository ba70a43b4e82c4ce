#!/usr/bin/env bash
# Runs the benchmarks under bench/ against the running local stack and prints their figures.
#   scripts/bench.sh            every benchmark, in name order
#   scripts/bench.sh NAME ...   the named ones (capture_throughput, time_to_ready, ...),
#                               extra arguments after `--` go to each of them
# Benchmarks print figures; they assert nothing (machines here are noisy).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bench_dir="$root/build/bench"

names=()
while (($#)) && [[ $1 != -- ]]; do
  names+=("$1")
  shift
done
[[ ${1:-} == -- ]] && shift
if ((${#names[@]} == 0)); then
  for binary in "$bench_dir"/bench_*; do
    [[ -x $binary ]] && names+=("$(basename "$binary" | sed 's/^bench_//')")
  done
  for script in "$root"/bench/*.sh; do names+=("$(basename "$script" .sh)"); done
fi

status=0
for name in "${names[@]}"; do
  binary="$bench_dir/bench_$name"
  [[ -x $binary ]] || binary="$root/bench/$name.sh"  # a benchmark written as a script
  if [[ ! -x $binary ]]; then
    echo "bench: no benchmark '$name' (have: $(ls "$bench_dir" | sed -n 's/^bench_//p' | tr '\n' ' '))" >&2
    status=2
    continue
  fi
  echo "=== $name ($(date -u +%H:%M:%SZ)) ==="
  "$binary" "$@" || { echo "bench: $name exited with $?" >&2; status=1; }
  echo
done
exit "$status"
