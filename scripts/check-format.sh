#!/usr/bin/env bash
# Fails (exit 1) when a tracked C++ file differs from what .clang-format asks for.
# Usage: scripts/check-format.sh [clang-format binary]
set -euo pipefail
cd "$(dirname "$0")/.."
fmt=${1:-clang-format}
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
[ ${#files[@]} -eq 0 ] && exit 0
"$fmt" --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files clean"
