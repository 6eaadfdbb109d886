#include "core/common/table_shape.h"

#include <algorithm>

namespace cdp {

namespace {
std::string quoted(const std::string& name) { return "\"" + name + "\""; }
}  // namespace

std::optional<std::string> bulk_blocker(const TableShape& s, BulkWrite how, const std::string& column) {
    const bool rewrite = how == BulkWrite::kRewriteColumn;
    if (!s.user_triggers.empty()) return "trigger " + quoted(s.user_triggers.front());
    if (s.rules) return std::string("a rule");
    if (s.row_security) return std::string("row-level security");
    if (!s.checks.empty()) return "CHECK constraint " + quoted(s.checks.front());
    if (!s.generated.empty()) return "generated column " + quoted(s.generated.front());
    if (!s.other_internal.empty()) return "constraint trigger " + quoted(s.other_internal.front());
    for (const auto& fk : s.foreign_keys) {
        // An insert is checked against every key the table holds; a key of
        // another table pointing here only acts on UPDATE/DELETE.  A rewrite
        // of one column matters only to keys that contain it, on either side.
        const bool touches = rewrite
                                 ? std::find(fk.columns.begin(), fk.columns.end(), column) != fk.columns.end()
                                 : fk.referencing;
        if (touches) return "foreign key " + quoted(fk.name);
    }
    if (rewrite && s.has_children) return std::string("inheritance children");
    if (rewrite && s.publishes_updates) return std::string("a publication of its updates");
    return std::nullopt;
}

}  // namespace cdp
