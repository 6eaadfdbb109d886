// Nickname table: data/nicknames.csv (Apache-2.0, carltonnorthern/nicknames;
// see data/NICKNAMES.md), compiled in as a string and parsed once per process.
// Row r of the CSV is one group: its first field is the canonical name, the
// others its nicknames.  Every entry is normalised like a name token; entries
// that normalise to several words or to nothing are skipped.
#include <algorithm>
#include <string>
#include <map>
#include <utility>
#include <vector>

#include "core/namematch/namematch.h"
#include "core/normalize/normalize.h"
#include "nicknames_data.inc"

namespace cdp::namematch {

namespace {
struct Table {
    std::vector<std::pair<std::string, NicknameInfo>> by_token;  // sorted by token
    std::size_t rows = 0;
};

Table build() {
    Table t;
    std::map<std::string, NicknameInfo> rows;
    std::string_view csv(kNicknamesCsv);
    bool header = true;
    int row = 0;
    while (!csv.empty()) {
        std::size_t eol = csv.find('\n');
        std::string_view line = csv.substr(0, eol);
        csv.remove_prefix(eol == std::string_view::npos ? csv.size() : eol + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (header) {
            header = false;
            continue;
        }
        if (line.empty()) continue;
        bool first = true, any = false;
        while (true) {
            std::size_t comma = line.find(',');
            std::string_view raw = line.substr(0, comma);
            // Plain lower-case ASCII entries (nearly all) are already normal.
            bool plain = !raw.empty() &&
                         std::all_of(raw.begin(), raw.end(), [](char c) { return c >= 'a' && c <= 'z'; });
            std::string field = plain ? std::string(raw) : normalize::name(raw);
            if (!field.empty() && field.find(' ') == std::string::npos) {
                auto& info = rows[field];
                if (info.groups.empty() || info.groups.back() != row) info.groups.push_back(row);
                if (first) info.roots.push_back(row);
                any = true;
            }
            first = false;
            if (comma == std::string_view::npos) break;
            line.remove_prefix(comma + 1);
        }
        if (any) ++row;
    }
    t.rows = static_cast<std::size_t>(row);
    // Related entries: members of the token's rows, with the pair's level.
    std::vector<std::vector<std::string>> members(static_cast<std::size_t>(row));
    for (const auto& [token, info] : rows)
        for (int r : info.groups) members[static_cast<std::size_t>(r)].push_back(token);
    for (auto& [token, info] : rows) {
        std::map<std::string, double> rel;
        for (int r : info.groups) {
            const bool token_root = std::binary_search(info.roots.begin(), info.roots.end(), r);
            for (const auto& other : members[static_cast<std::size_t>(r)]) {
                if (other == token) continue;
                const auto& oi = rows.at(other);
                const bool other_root = std::binary_search(oi.roots.begin(), oi.roots.end(), r);
                double& lv = rel[other];
                lv = std::max(lv, token_root || other_root ? kNickRoot : kNickPair);
            }
        }
        info.related.assign(rel.begin(), rel.end());
    }
    t.by_token.assign(std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
    return t;
}

const Table& table() {
    static const Table t = build();
    return t;
}
}  // namespace

const NicknameInfo* nickname_rows(std::string_view token) {
    const auto& v = table().by_token;
    auto it = std::lower_bound(
        v.begin(), v.end(), token,
        [](const std::pair<std::string, NicknameInfo>& e, std::string_view k) { return e.first < k; });
    if (it == v.end() || it->first != token) return nullptr;
    return &it->second;
}

std::size_t nickname_row_count() { return table().rows; }

}  // namespace cdp::namematch
