// bulk_blocker(): when a bulk writer must leave a table to SQL.
#include <gtest/gtest.h>

#include "core/common/table_shape.h"

using cdp::bulk_blocker;
using cdp::BulkWrite;
using cdp::TableShape;

namespace {
TableShape::ForeignKey fk(const char* name, bool referencing, std::vector<std::string> cols) {
    return TableShape::ForeignKey{name, referencing, std::move(cols)};
}
}  // namespace

TEST(TableShape, PlainTableTakesBothPaths) {
    TableShape s;
    EXPECT_FALSE(bulk_blocker(s, BulkWrite::kInsert));
    EXPECT_FALSE(bulk_blocker(s, BulkWrite::kRewriteColumn, "customer_id"));
}

TEST(TableShape, ExecutorOnlyFeaturesBlockBothPaths) {
    auto blocked_both = [](const TableShape& s, const std::string& words) {
        auto a = bulk_blocker(s, BulkWrite::kInsert);
        auto b = bulk_blocker(s, BulkWrite::kRewriteColumn, "customer_id");
        ASSERT_TRUE(a && b) << words;
        EXPECT_NE(a->find(words), std::string::npos) << *a;
        EXPECT_EQ(*a, *b);
    };
    TableShape s;
    s.checks = {"positive"};
    blocked_both(s, "CHECK constraint \"positive\"");
    s = {};
    s.generated = {"g"};
    blocked_both(s, "generated column \"g\"");
    s = {};
    s.user_triggers = {"audit"};
    blocked_both(s, "trigger \"audit\"");
    s = {};
    s.other_internal = {"uniq_deferrable"};
    blocked_both(s, "constraint trigger \"uniq_deferrable\"");
    s = {};
    s.rules = true;
    blocked_both(s, "rule");
    s = {};
    s.row_security = true;
    blocked_both(s, "row-level security");
}

TEST(TableShape, ForeignKeysBlockWhatTheyCheck) {
    TableShape s;
    // A key this table holds: every inserted row must be checked.
    s.foreign_keys = {fk("records_source_fkey", true, {"source"})};
    auto why = bulk_blocker(s, BulkWrite::kInsert);
    ASSERT_TRUE(why);
    EXPECT_EQ(*why, "foreign key \"records_source_fkey\"");
    // ... but a rewrite that leaves its columns alone keeps it valid.
    EXPECT_FALSE(bulk_blocker(s, BulkWrite::kRewriteColumn, "customer_id"));
    s.foreign_keys.push_back(fk("to_crm", true, {"customer_id"}));
    EXPECT_TRUE(bulk_blocker(s, BulkWrite::kRewriteColumn, "customer_id"));

    // Another table's key pointing here acts on UPDATE/DELETE only.
    TableShape r;
    r.foreign_keys = {fk("identifiers_record_id_fkey", false, {"record_id"})};
    EXPECT_FALSE(bulk_blocker(r, BulkWrite::kInsert));
    EXPECT_FALSE(bulk_blocker(r, BulkWrite::kRewriteColumn, "customer_id"));
    r.foreign_keys.push_back(fk("orders_customer_fkey", false, {"customer_id"}));
    EXPECT_FALSE(bulk_blocker(r, BulkWrite::kInsert));
    EXPECT_TRUE(bulk_blocker(r, BulkWrite::kRewriteColumn, "customer_id"));
}

TEST(TableShape, RewriteOnlyConcerns) {
    TableShape s;
    s.has_children = true;
    EXPECT_FALSE(bulk_blocker(s, BulkWrite::kInsert));
    EXPECT_TRUE(bulk_blocker(s, BulkWrite::kRewriteColumn, "customer_id"));
    s = {};
    s.publishes_updates = true;  // a rewrite is not decoded as UPDATEs
    EXPECT_FALSE(bulk_blocker(s, BulkWrite::kInsert));
    auto why = bulk_blocker(s, BulkWrite::kRewriteColumn, "customer_id");
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("publication"), std::string::npos);
}
