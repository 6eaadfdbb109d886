# cdp — PGXS build plus the developer targets (demo, test, bench, lint).
#
#   make demo    set up everything, start a throwaway cluster, load a sample
#   make test    set up everything, run every test layer, print "N passed, N failed"
#   make bench   benchmarks side by side with the peers (pg_trgm, fuzzystrmatch, ...)
#   make lint    clang-format check + cppcheck + clang-tidy over src/
#
# PG_CONFIG picks the server; pinned to 15 because /usr/bin/pg_config follows
# the newest installed server.

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config

EXTENSION   = cdp
MODULE_big  = cdp
EXT_VERSION = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" cdp.control)

# Every .cpp under src/core/<area>/ and src/pg/<area>/ is part of the module: a new
# file needs no edit here.
CORE_SRCS = $(sort $(wildcard src/core/*/*.cpp))
PG_SRCS   = $(sort $(wildcard src/pg/*/*.cpp))
OBJS      = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)

# The canonical install script is assembled from per-area fragments
# (sql/install/NN_area.sql, in name order).  Released versions are frozen:
# sql/cdp--A.sql and sql/cdp--A--B.sql are committed as they are.  The
# upgrade script into the version under development is assembled by
# scripts/build_upgrade.sh from sql/upgrade/PREV--VERSION/ (deltas to old
# objects) plus every install fragment PREV did not ship.
CDP_INSTALL_SQL   = sql/cdp--$(EXT_VERSION).sql
CDP_INSTALL_PARTS = $(sort $(wildcard sql/install/*.sql))
CDP_UPGRADE_DIR   = $(firstword $(wildcard sql/upgrade/*--$(EXT_VERSION)))
CDP_UPGRADE_SQL   = $(if $(CDP_UPGRADE_DIR),sql/cdp--$(notdir $(CDP_UPGRADE_DIR)).sql)
CDP_UPGRADE_PARTS = $(wildcard $(CDP_UPGRADE_DIR)/*)
DATA_built        = $(CDP_INSTALL_SQL) $(CDP_UPGRADE_SQL)
DATA              = $(filter-out $(DATA_built),$(wildcard sql/cdp--*.sql))
EXTRA_CLEAN       = $(DATA_built) build

# pg_regress: every sql/<name>.sql except the install scripts.
REGRESS      = $(sort $(basename $(notdir $(filter-out sql/cdp--%,$(wildcard sql/*.sql)))))
REGRESS_OPTS = --load-extension=cdp $(EXTRA_REGRESS_OPTS)

# Isolation specs: test/isolation/specs/<name>.spec with expected output in
# test/isolation/expected/<name>.out.
ISOLATION      = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --load-extension=cdp $(EXTRA_ISOLATION_OPTS)

# TAP: test/t/*.pl (PostgreSQL::Test::Cluster).
TAP_TESTS   = 1
PROVE_TESTS = $(sort $(wildcard test/t/*.pl))

CPP_INCLUDES = -Isrc -Ibuild/gen $(shell pkg-config --cflags icu-uc icu-i18n 2>/dev/null)
PG_CPPFLAGS  = $(CPP_INCLUDES)
PG_CXXFLAGS  = -std=c++17 -fPIC -Wno-register -Wno-missing-field-initializers -MMD -MP
SHLIB_LINK   = -lstdc++ $(shell pkg-config --libs icu-uc icu-i18n 2>/dev/null) -lphonenumber -lcrypto

# The Debian server is built with LLVM; bitcode for C++ would be compiled by
# clang without our flags.  No JIT gain was measured, so skip it.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The fragment directories are prerequisites too: removing or renaming a
# fragment changes the directory, not any remaining file.
$(CDP_INSTALL_SQL): $(CDP_INSTALL_PARTS) sql/install cdp.control
	cat $(CDP_INSTALL_PARTS) > $@

$(CDP_UPGRADE_SQL): $(CDP_UPGRADE_PARTS) $(CDP_UPGRADE_DIR) $(CDP_INSTALL_PARTS) sql/install scripts/build_upgrade.sh
	sh scripts/build_upgrade.sh $(CDP_UPGRADE_DIR) $@

# The nickname table (data/nicknames.csv) is compiled in as a string.
build/gen/nicknames_data.inc: data/nicknames.csv scripts/gen_nicknames.sh
	sh scripts/gen_nicknames.sh $< $@
src/core/namematch/nicknames.o: build/gen/nicknames_data.inc

# Header dependencies: -MMD -MP are in PG_CXXFLAGS (pgxs.mk overrides CXXFLAGS).
-include $(OBJS:.o=.d)
EXTRA_CLEAN += $(OBJS:.o=.d)

.PHONY: demo test bench lint format unit deps cluster-start cluster-stop stop

deps:
	@bash scripts/deps.sh

demo:
	@PG_CONFIG=$(PG_CONFIG) bash scripts/demo.sh

test:
	@PG_CONFIG=$(PG_CONFIG) bash scripts/test.sh

bench:
	@PG_CONFIG=$(PG_CONFIG) bash test/bench/run.sh

# Pure C++ core + GoogleTest through CMake.
unit:
	cmake -S . -B build/unit -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build/unit -j2
	ctest --test-dir build/unit --output-on-failure

lint:
	@bash scripts/lint.sh

format:
	clang-format -i $$(find src test/unit test/fuzz -name '*.cpp' -o -name '*.h')

stop cluster-stop:
	@bash scripts/cluster.sh stop

cluster-start:
	@PG_CONFIG=$(PG_CONFIG) bash scripts/cluster.sh start
