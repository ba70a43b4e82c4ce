#!/usr/bin/env bash
# Fails, naming the files, when a tracked C++ source differs from what clang-format (the
# repository's .clang-format) would write. `scripts/check-format.sh --fix` rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
if [[ ${1:-} == --fix ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
unformatted=()
for file in "${files[@]}"; do
  clang-format --dry-run -Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
done
if ((${#unformatted[@]})); then
  echo "format: ${#unformatted[@]} file(s) differ from .clang-format:" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "format: run 'scripts/check-format.sh --fix' (clang-format -i) and commit the result" >&2
  exit 1
fi
echo "format: ${#files[@]} files match .clang-format"
