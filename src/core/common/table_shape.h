// May a bulk writer bypass the executor for this table?
//
// cdp's bulk write paths (the COPY-style inserter and the one-pass rewrite
// of cdp.records) skip what only the executor's ModifyTable does.  They are
// correct for the tables as the extension creates them; whatever a DBA adds
// that only the executor would honour (a CHECK, a foreign key, a stored
// generated column, a trigger, a rule, row-level security, ...) makes them
// step aside so that the caller writes with SQL.  TableShape is what the
// glue reads from the catalog; bulk_blocker() decides.  Indexes (unique,
// partial, expression, exclusion) are maintained by both paths and never
// block; NOT NULL is checked row by row by the writers themselves.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cdp {

struct TableShape {
    // A foreign key touching the table.  `referencing`: the table holds the
    // key (checks on insert/update of it); otherwise the table is the one
    // referenced (actions on update/delete).  `columns`: the table's own
    // columns in the key.
    struct ForeignKey {
        std::string name;
        bool referencing = true;
        std::vector<std::string> columns;
    };
    std::vector<std::string> checks;         // CHECK constraint names
    std::vector<std::string> generated;      // stored generated columns
    std::vector<ForeignKey> foreign_keys;    // from the FK triggers on the table
    std::vector<std::string> user_triggers;  // not internal
    std::vector<std::string>
        other_internal;  // internal triggers not of a foreign key (deferrable unique, ...)
    bool rules = false;
    bool row_security = false;
    bool has_children = false;       // inheritance children or partitions
    bool publishes_updates = false;  // in a publication that replicates UPDATE
};

enum class BulkWrite {
    kInsert,         // append new rows (heap_multi_insert + index entries)
    kRewriteColumn,  // copy every row into a new heap, one column changed
};

// Why the bulk path must not be used (a sentence naming the object), or
// nullopt when it may.  `column`: the column a kRewriteColumn changes.
std::optional<std::string> bulk_blocker(const TableShape& shape, BulkWrite how,
                                        const std::string& column = {});

}  // namespace cdp
