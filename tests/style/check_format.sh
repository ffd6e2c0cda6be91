#!/usr/bin/env bash
# Fails when a tracked C/C++ file is not clang-formatted; lists each such file.
set -euo pipefail
clang_format=${1:-clang-format}
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' '*.h' '*.cc' '*.c')
else
  mapfile -t files < <(find backend devices kiosk tests \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) 2>/dev/null)
fi
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  "$clang_format" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "not clang-formatted (fix with: clang-format -i FILE):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "${#files[@]} C/C++ files checked, all clang-formatted"
