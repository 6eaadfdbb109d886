// See table_shape.h.  The relation cache entry is read directly (plain
// memory); the catalog lookups run inside pg_call() and fill plain structs.
#include "pg/common/pg.h"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_publication.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
}

#include <algorithm>
#include <string>

#include "pg/common/boundary.h"
#include "pg/common/table_shape.h"

namespace cdp::pg {

namespace {

struct ConstraintKeys {
    bool found;
    char contype;
    Oid conrelid;
    int nkeys;
    AttrNumber conkey[INDEX_MAX_KEYS];
    AttrNumber confkey[INDEX_MAX_KEYS];
    NameData conname;
};

// Plain Postgres code: run under pg_call.
void read_constraint(Oid conoid, ConstraintKeys* out) {
    out->found = false;
    HeapTuple tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
    if (!HeapTupleIsValid(tup)) return;
    auto* con = reinterpret_cast<Form_pg_constraint>(GETSTRUCT(tup));
    out->found = true;
    out->contype = con->contype;
    out->conrelid = con->conrelid;
    out->conname = con->conname;
    out->nkeys = 0;
    if (con->contype == CONSTRAINT_FOREIGN)
        DeconstructFkConstraintRow(tup, &out->nkeys, out->conkey, out->confkey, nullptr, nullptr, nullptr,
                                   nullptr, nullptr);
    ReleaseSysCache(tup);
}

std::string attname(TupleDesc desc, AttrNumber a) {
    if (a < 1 || a > desc->natts) return "?";
    return NameStr(TupleDescAttr(desc, a - 1)->attname);
}

}  // namespace

cdp::TableShape describe_table(Relation rel, bool publications) {
    cdp::TableShape s;
    TupleDesc desc = RelationGetDescr(rel);
    for (int a = 0; a < desc->natts; ++a) {
        Form_pg_attribute att = TupleDescAttr(desc, a);
        if (!att->attisdropped && att->attgenerated == ATTRIBUTE_GENERATED_STORED)
            s.generated.emplace_back(NameStr(att->attname));
    }
    if (desc->constr != nullptr)
        for (int c = 0; c < desc->constr->num_check; ++c)
            s.checks.emplace_back(desc->constr->check[c].ccname);
    std::vector<Oid> seen;
    if (rel->trigdesc != nullptr)
        for (int t = 0; t < rel->trigdesc->numtriggers; ++t) {
            const Trigger& tg = rel->trigdesc->triggers[t];
            if (!tg.tgisinternal) {
                s.user_triggers.emplace_back(tg.tgname);
                continue;
            }
            if (std::find(seen.begin(), seen.end(), tg.tgconstraint) != seen.end()) continue;
            seen.push_back(tg.tgconstraint);
            ConstraintKeys k{};
            const Oid conoid = tg.tgconstraint;
            pg_call([&]() noexcept { read_constraint(conoid, &k); });
            if (!k.found || k.contype != CONSTRAINT_FOREIGN) {
                s.other_internal.emplace_back(k.found ? NameStr(k.conname) : tg.tgname);
                continue;
            }
            cdp::TableShape::ForeignKey fk;
            fk.name = NameStr(k.conname);
            fk.referencing = k.conrelid == RelationGetRelid(rel);
            for (int i = 0; i < k.nkeys; ++i)
                fk.columns.push_back(attname(desc, fk.referencing ? k.conkey[i] : k.confkey[i]));
            s.foreign_keys.push_back(std::move(fk));
        }
    s.rules = rel->rd_rules != nullptr;
    s.row_security = rel->rd_rel->relrowsecurity;
    s.has_children = rel->rd_rel->relhassubclass;
    if (publications) {
        PublicationDesc pd{};
        pg_call([&]() noexcept { RelationBuildPublicationDesc(rel, &pd); });
        s.publishes_updates = pd.pubactions.pubupdate;
    }
    return s;
}

}  // namespace cdp::pg
