#!/usr/bin/env bash
# Fails, naming the files, when a tracked C++ source differs from what clang-format (the
# repository's .clang-format) would write. `scripts/check-format.sh --fix` rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in git clang-format; do
  command -v "$tool" >/dev/null || {
    echo "format: $tool is not installed; run scripts/install-deps.sh first" >&2
    exit 1
  }
done
# A listing that fails or comes back empty must not pass as "every file matches".
listing=$(git ls-files '*.cpp' '*.hpp' '*.h' '*.cc')
mapfile -t files <<<"$listing"
if [[ -z $listing ]]; then
  echo "format: git lists no C++ sources here; run it from a clone of tapedeck" >&2
  exit 1
fi
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
