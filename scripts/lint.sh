#!/usr/bin/env bash
# make lint: clang-format (check only), cppcheck over src/, clang-tidy over
# the pure C++ core and over the glue layer (src/pg/.clang-tidy: with
# bugprone-exception-escape), and the boundary rule that every SQL entry
# point is declared with CDP_FUNCTION.  Non-zero exit on any finding.
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
echo "lint: clang-tidy (src/pg)"
server_inc=$("${PG_CONFIG:-pg_config}" --includedir-server)
find src/pg -name '*.cpp' | sort |
  xargs -P "$(nproc)" -I{} clang-tidy --quiet {} -- -std=c++17 -Wno-register -Isrc -Ibuild/lint/gen \
    -I"$server_inc" 2>/dev/null || rc=1
echo "lint: entry points"
# A V1 function written by hand would bypass the error boundary; boundary.h
# holds the one PG_FUNCTION_INFO_V1, inside CDP_FUNCTION.
if grep -rn --include='*.cpp' --include='*.h' -E 'PG_FUNCTION_INFO_V1|^Datum [a-z_0-9]+\(PG_FUNCTION_ARGS\)' src/pg |
     grep -v '^src/pg/common/boundary.h:'; then
  echo "lint: declare SQL entry points with CDP_FUNCTION(name) { ... } (src/pg/common/boundary.h)"
  rc=1
fi
[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
