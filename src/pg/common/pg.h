// The one place that pulls in PostgreSQL headers for C++ glue code.
// Include this FIRST in every src/pg/*.cpp, and never include ICU,
// libphonenumber or nlohmann-json in the same file (Postgres macros such as
// Max, Min and _ break them; see TOOLCHAIN.md).
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
}
