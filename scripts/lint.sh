#!/usr/bin/env bash
# clang-tidy (the repository's .clang-tidy) over the C++ sources a change touches: the files
# changed since BASE (default: the upstream branch if one is set, else the previous commit),
# uncommitted changes included. Needs build/compile_commands.json (./run setup writes it).
#   scripts/lint.sh [BASE]     exit 1 when clang-tidy reports a warning
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build_dir="$root/build"
[[ -f "$build_dir/compile_commands.json" ]] ||
  { echo "lint: $build_dir/compile_commands.json is missing: run ./run setup first" >&2; exit 2; }
base=${1:-}
if [[ -z $base ]]; then
  base=$(git rev-parse --abbrev-ref --symbolic-full-name '@{upstream}' 2>/dev/null || echo HEAD~1)
fi
git rev-parse --verify -q "$base" >/dev/null || { echo "lint: no commit '$base'" >&2; exit 2; }
mapfile -t files < <({ git diff --name-only --diff-filter=d "$base" -- '*.cpp'; git ls-files --others --exclude-standard -- '*.cpp'; } | sort -u)
if ((${#files[@]} == 0)); then
  echo "lint: no C++ source changed since $base"
  exit 0
fi
echo "lint: clang-tidy over ${#files[@]} file(s) changed since $base"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for file in "${files[@]}"; do
  if [[ $file == tests/fuzz/* ]]; then
    # Built by clang++ outside CMake (tests/fuzz/CMakeLists.txt): not in compile_commands.json.
    clang-tidy --quiet "$file" -- -std=c++20 -I"$root/src" >>"$log" 2>/dev/null || status=1
  else
    clang-tidy -p "$build_dir" --quiet "$file" >>"$log" 2>/dev/null || status=1
  fi
done
if grep -q 'warning:\|error:' "$log"; then
  grep -A3 'warning:\|error:' "$log" >&2
  echo "lint: clang-tidy reported the findings above" >&2
  exit 1
fi
((status == 0)) || { echo "lint: clang-tidy failed; see its output above" >&2; exit 1; }
echo "lint: clean"
