// Nickname table: data/nicknames.csv (Apache-2.0, carltonnorthern/nicknames;
// see data/NICKNAMES.md), compiled in as a string and parsed once per process.
// Row r of the CSV is one group: its first field is the canonical name, the
// others its nicknames.  Every entry is normalised like a name token; entries
// that normalise to several words or to nothing are skipped.
#include <algorithm>
#include <string>
#include <unordered_map>

#include "core/namematch/namematch.h"
#include "core/normalize/normalize.h"
#include "nicknames_data.inc"

namespace cdp::namematch {

namespace {
struct Table {
    std::unordered_map<std::string, NicknameInfo> by_token;
    std::size_t rows = 0;
};

Table build() {
    Table t;
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
                auto& info = t.by_token[field];
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
    return t;
}

const Table& table() {
    static const Table t = build();
    return t;
}
}  // namespace

NicknameInfo nickname_rows(std::string_view token) {
    const auto& t = table();
    auto it = t.by_token.find(std::string(token));
    if (it == t.by_token.end()) return {};
    return it->second;
}

std::size_t nickname_row_count() { return table().rows; }

}  // namespace cdp::namematch
