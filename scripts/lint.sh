#!/usr/bin/env bash
# make lint: clang-format (check only), cppcheck over src/, clang-tidy over
# the pure C++ core (the glue layer drags in server headers that clang-tidy
# reports on; cppcheck covers it).  Non-zero exit on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
rc=0
files=$(find src test/unit test/fuzz -name '*.cpp' -o -name '*.h' | sort)
echo "lint: clang-format"
clang-format --dry-run --Werror $files || rc=1
echo "lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --std=c++17 --language=c++ --inline-suppr \
  --enable=warning,performance,portability --suppress=missingIncludeSystem \
  --suppress=unknownMacro -I src src || rc=1
echo "lint: clang-tidy (src/core)"
cmake -S . -B build/lint -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
# Generated sources the core includes (nickname table).
mkdir -p build/lint/gen
sh scripts/gen_nicknames.sh data/nicknames.csv build/lint/gen/nicknames_data.inc
clang-tidy -p build/lint --quiet $(find src/core -name '*.cpp' | sort) 2>/dev/null || rc=1
[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
