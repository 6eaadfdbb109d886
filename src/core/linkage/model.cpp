#include "core/linkage/model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <numeric>
#include <random>
#include <sstream>

#include "core/common/error.h"
#include "core/common/interrupt.h"
#include "core/common/json.h"
#include "core/namematch/namematch.h"
#include "core/phonetic/phonetic.h"
#include "core/similarity/similarity.h"

namespace cdp::linkage {

using cdp::json::Json;

const std::vector<std::string>& standard_traits() {
    static const std::vector<std::string> k = {"first_name",    "last_name",     "full_name",  "birth_date",
                                               "gender",        "email",         "phone",      "street",
                                               "street_number", "address_line2", "city",       "postcode",
                                               "region",        "country",       "national_id"};
    return k;
}

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& what, const std::string& hint = {}) {
    throw cdp::Error("invalid match model spec at " + path + ": " + what,
                     cdp::sqlstate::kInvalidParameterValue, {}, hint);
}

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::Exact:
            return "exact";
        case Kind::JaroWinkler:
            return "jaro_winkler";
        case Kind::Levenshtein:
            return "levenshtein";
        case Kind::Damerau:
            return "damerau_levenshtein";
        case Kind::Name:
            return "name_similarity";
        case Kind::Date:
            return "date";
        case Kind::Numeric:
            return "numeric";
        case Kind::Email:
            return "email";
    }
    return "exact";
}

bool kind_from(const std::string& s, Kind& k) {
    static const std::pair<const char*, Kind> t[] = {{"exact", Kind::Exact},
                                                     {"jaro_winkler", Kind::JaroWinkler},
                                                     {"levenshtein", Kind::Levenshtein},
                                                     {"damerau_levenshtein", Kind::Damerau},
                                                     {"name_similarity", Kind::Name},
                                                     {"date", Kind::Date},
                                                     {"numeric", Kind::Numeric},
                                                     {"email", Kind::Email}};
    for (const auto& [n, v] : t)
        if (s == n) {
            k = v;
            return true;
        }
    return false;
}

bool similarity_kind(Kind k) { return k == Kind::JaroWinkler || k == Kind::Name; }
bool distance_kind(Kind k) { return k == Kind::Levenshtein || k == Kind::Damerau || k == Kind::Numeric; }

std::string fmt(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

bool valid_trait(const std::string& t) {
    if (t.empty() || t.size() > 63) return false;
    for (char ch : t)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) return false;
    return true;
}

Comparison default_comparison(const std::string& trait) {
    Comparison c;
    c.trait = c.name = trait;
    if (trait == "first_name" || trait == "last_name") {
        c.kind = Kind::JaroWinkler;
        c.thresholds = {0.92, 0.8};
        c.tf = true;
    } else if (trait == "full_name") {
        c.kind = Kind::Name;
        c.thresholds = {0.9, 0.75};
    } else if (trait == "birth_date") {
        c.kind = Kind::Date;
    } else if (trait == "email") {
        c.kind = Kind::Email;
        c.thresholds = {0.88};
    } else if (trait == "phone" || trait == "national_id") {
        c.kind = Kind::Levenshtein;
        c.thresholds = {1, 2};
    } else if (trait == "street" || trait == "address_line2") {
        c.kind = Kind::JaroWinkler;
        c.thresholds = {0.9, 0.8};
    } else if (trait == "city") {
        c.kind = Kind::JaroWinkler;
        c.thresholds = {0.9};
        c.tf = true;
    } else if (trait == "postcode") {
        c.kind = Kind::Levenshtein;
        c.thresholds = {1};
        c.tf = true;
    } else if (trait == "street_number") {
        c.kind = Kind::Levenshtein;
        c.thresholds = {1};
    } else {
        c.kind = Kind::Exact;  // gender, region, country
    }
    return c;
}

void default_thresholds(Comparison& c) {
    if (!c.thresholds.empty()) return;
    switch (c.kind) {
        case Kind::JaroWinkler:
            c.thresholds = {0.92, 0.8};
            break;
        case Kind::Name:
            c.thresholds = {0.9, 0.75};
            break;
        case Kind::Levenshtein:
        case Kind::Damerau:
            c.thresholds = {1, 2};
            break;
        case Kind::Numeric:
            c.thresholds = {1, 5};
            break;
        case Kind::Email:
            c.thresholds = {0.88};
            break;
        default:
            break;
    }
}

bool parse_key(const std::string& s, BlockKey& k) {
    auto open = s.find('(');
    if (open == std::string::npos) {
        k.fn.clear();
        k.trait = s;
    } else {
        if (s.back() != ')') return false;
        k.fn = s.substr(0, open);
        k.trait = s.substr(open + 1, s.size() - open - 2);
        static const char* fns[] = {"dmetaphone", "year", "email_local", "prefix3", "digits"};
        bool ok = false;
        for (const char* f : fns) ok = ok || k.fn == f;
        if (!ok) return false;
    }
    return valid_trait(k.trait);
}

std::vector<BlockRule> default_blocking(const std::vector<std::string>& have) {
    auto has = [&](const char* t) { return std::find(have.begin(), have.end(), t) != have.end(); };
    std::vector<std::vector<std::string>> rules;
    if (has("postcode")) rules.push_back({"postcode"});
    if (has("last_name") && has("birth_date")) rules.push_back({"dmetaphone(last_name)", "year(birth_date)"});
    if (has("birth_date")) rules.push_back({"birth_date"});
    if (has("first_name") && has("last_name"))
        rules.push_back({"dmetaphone(first_name)", "dmetaphone(last_name)"});
    if (has("full_name") && !has("last_name")) rules.push_back({"dmetaphone(full_name)"});
    if (has("email")) rules.push_back({"email_local(email)"});
    if (has("phone")) rules.push_back({"phone"});
    if (has("national_id")) rules.push_back({"national_id"});
    if (rules.empty() && !have.empty()) rules.push_back({have.front()});
    std::vector<BlockRule> out;
    for (const auto& r : rules) {
        BlockRule br;
        for (const auto& s : r) {
            BlockKey k;
            parse_key(s, k);
            br.keys.push_back(k);
        }
        out.push_back(br);
    }
    return out;
}

int64_t int_field(const Json& j, const std::string& path, int64_t lo, int64_t hi) {
    if (!j.is_number_integer() && !j.is_number_unsigned()) bad(path, "expected an integer");
    int64_t v = j.is_number_unsigned()
                    ? static_cast<int64_t>(std::min<uint64_t>(j.get<uint64_t>(), INT64_MAX))
                    : j.get<int64_t>();
    if (v < lo || v > hi) bad(path, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    return v;
}

double num_field(const Json& j, const std::string& path, double lo, double hi) {
    if (!j.is_number()) bad(path, "expected a number");
    double v = j.get<double>();
    if (!(v >= lo && v <= hi)) bad(path, "must be between " + fmt(lo) + " and " + fmt(hi));
    return v;
}

// ---- value preparation -----------------------------------------------------
std::string simple_norm(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    bool space = false;
    for (char ch : s) {
        unsigned char u = static_cast<unsigned char>(ch);
        if (u == ' ' || u == '\t' || u == '\n' || u == '\r') {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(u < 0x80 ? static_cast<char>(std::tolower(u)) : ch);
    }
    return out;
}

std::string digits_of(std::string_view s) {
    std::string d;
    for (char ch : s)
        if (ch >= '0' && ch <= '9') d.push_back(ch);
    return d;
}

std::string date_digits(std::string_view s) {
    // "YYYY-MM-DD", "YYYYMMDD", "YYYY/MM/DD"; anything else: missing.
    std::string d = digits_of(s);
    if (d.size() != 8) return {};
    return d;
}

std::string prepare(Kind k, std::string_view raw) {
    if (k == Kind::Date) return date_digits(raw);
    if (k == Kind::Numeric) {
        std::string n = simple_norm(raw);
        char* end = nullptr;
        double v = std::strtod(n.c_str(), &end);
        if (end == n.c_str() || !std::isfinite(v)) {
            std::string d = digits_of(raw);
            return d.size() > 15 ? d.substr(0, 15) : d;
        }
        return n;
    }
    std::string s = simple_norm(raw);
    if (s.size() > 256) s.resize(256);  // bounded comparison cost
    return s;
}

std::string email_local(const std::string& e) {
    auto at = e.find('@');
    return at == std::string::npos ? e : e.substr(0, at);
}

std::string block_value(const BlockKey& k, const std::string& v) {
    if (v.empty()) return {};
    if (k.fn.empty()) return v;
    if (k.fn == "dmetaphone") return cdp::phonetic::double_metaphone(v).primary;
    if (k.fn == "year") {
        std::string d = digits_of(v);
        return d.size() >= 4 ? d.substr(0, 4) : std::string();
    }
    if (k.fn == "email_local") return email_local(v);
    if (k.fn == "prefix3") return v.size() >= 3 ? v.substr(0, 3) : v;
    if (k.fn == "digits") return digits_of(v);
    return v;
}

int level_of(const Comparison& c, const std::string& a, const std::string& b) {
    if (a.empty() || b.empty()) return 0;
    const int L = c.levels();
    if (a == b) return L - 1;
    const auto& th = c.thresholds;
    switch (c.kind) {
        case Kind::Exact:
            return 1;
        case Kind::JaroWinkler:
        case Kind::Name: {
            double s = c.kind == Kind::Name ? cdp::namematch::name_similarity(a, b)
                                            : cdp::similarity::jaro_winkler_utf8(a, b);
            for (std::size_t k = 0; k < th.size(); ++k)
                if (s >= th[k]) return L - 2 - static_cast<int>(k);
            return 1;
        }
        case Kind::Levenshtein:
        case Kind::Damerau: {
            int64_t maxd = static_cast<int64_t>(th.back());
            int64_t d = c.kind == Kind::Levenshtein ? cdp::similarity::levenshtein_utf8(a, b, maxd)
                                                    : cdp::similarity::damerau_levenshtein_utf8(a, b);
            for (std::size_t k = 0; k < th.size(); ++k)
                if (static_cast<double>(d) <= th[k]) return L - 2 - static_cast<int>(k);
            return 1;
        }
        case Kind::Numeric: {
            double x = std::strtod(a.c_str(), nullptr), y = std::strtod(b.c_str(), nullptr);
            double d = std::fabs(x - y);
            for (std::size_t k = 0; k < th.size(); ++k)
                if (d <= th[k]) return L - 2 - static_cast<int>(k);
            return 1;
        }
        case Kind::Date:
            return compare_date_text(a, b);
        case Kind::Email: {
            std::string la = email_local(a), lb = email_local(b);
            if (la == lb) return 3;
            if (cdp::similarity::jaro_winkler_utf8(la, lb) >= th[0]) return 2;
            return 1;
        }
    }
    return 1;
}

}  // namespace

int Comparison::levels() const {
    switch (kind) {
        case Kind::Exact:
            return 3;
        case Kind::Date:
            return 5;
        case Kind::Email:
            return 5;
        default:
            return 3 + static_cast<int>(thresholds.size());
    }
}

std::string Comparison::label(int level) const {
    const int L = levels();
    if (level == 0) return "null";
    if (level == 1) return "else";
    if (level == L - 1) return "exact";
    if (kind == Kind::Date) return level == 3 ? "day_month_swapped" : "one_digit_differs";
    if (kind == Kind::Email)
        return level == 3 ? "local_part_exact" : "local_part_jaro_winkler>=" + fmt(thresholds[0]);
    std::size_t k = static_cast<std::size_t>(L - 2 - level);
    if (similarity_kind(kind)) return std::string(kind_name(kind)) + ">=" + fmt(thresholds[k]);
    if (kind == Kind::Numeric) return "difference<=" + fmt(thresholds[k]);
    return std::string(kind_name(kind)) + "<=" + fmt(thresholds[k]);
}

std::string BlockRule::text() const {
    std::string s;
    for (const auto& k : keys) s += (s.empty() ? "" : " and ") + k.text();
    return s;
}

std::vector<std::string> Spec::traits() const {
    std::vector<std::string> t;
    auto add = [&](const std::string& x) {
        if (std::find(t.begin(), t.end(), x) == t.end()) t.push_back(x);
    };
    for (const auto& c : comparisons) add(c.trait);
    for (const auto& r : blocking)
        for (const auto& k : r.keys) add(k.trait);
    return t;
}

int compare_date_text(std::string_view a, std::string_view b) {
    std::string x = date_digits(a), y = date_digits(b);
    if (x.empty() || y.empty()) return 0;
    if (x == y) return 4;
    if (x.compare(0, 4, y, 0, 4) == 0 && x.compare(4, 2, y, 6, 2) == 0 && x.compare(6, 2, y, 4, 2) == 0)
        return 3;
    int diff = 0;
    for (int i = 0; i < 8; ++i) diff += x[i] != y[i];
    if (diff == 1) return 2;
    return 1;
}

Spec parse_spec(std::string_view text, const std::vector<std::string>& present) {
    if (cdp::json::deeper_than(text, 8)) bad("spec", "nested deeper than 8 levels");
    Json j = Json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded()) bad("spec", "not valid JSON");
    if (!j.is_object()) bad("spec", "expected a JSON object");
    Spec s;
    bool have_cmp = false, have_block = false;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& key = it.key();
        const std::string path = "spec." + key;
        const Json& v = it.value();
        if (key == "comparisons") {
            if (!v.is_array()) bad(path, "expected an array of comparisons");
            if (v.empty()) bad(path, "needs at least one comparison");
            if (v.size() > 64) bad(path, "at most 64 comparisons");
            have_cmp = true;
            for (std::size_t i = 0; i < v.size(); ++i) {
                const std::string p = path + "[" + std::to_string(i) + "]";
                const Json& cj = v[i];
                if (cj.is_string()) {
                    std::string t = cj.get<std::string>();
                    if (!valid_trait(t)) bad(p, "not a trait name (letters, digits, _; at most 63)");
                    s.comparisons.push_back(default_comparison(t));
                    continue;
                }
                if (!cj.is_object()) bad(p, "expected an object or a trait name");
                Comparison c;
                bool have_kind = false;
                for (auto ci = cj.begin(); ci != cj.end(); ++ci) {
                    const std::string cp = p + "." + ci.key();
                    const Json& cv = ci.value();
                    if (ci.key() == "trait") {
                        if (!cv.is_string() || !valid_trait(cv.get<std::string>()))
                            bad(cp, "expected a trait name (letters, digits, _; at most 63)");
                        c.trait = cv.get<std::string>();
                    } else if (ci.key() == "name") {
                        if (!cv.is_string() || cv.get<std::string>().empty() ||
                            cv.get<std::string>().size() > 63)
                            bad(cp, "expected a non-empty string of at most 63 bytes");
                        c.name = cv.get<std::string>();
                    } else if (ci.key() == "method") {
                        if (!cv.is_string() || !kind_from(cv.get<std::string>(), c.kind))
                            bad(cp, "unknown method",
                                "Methods: exact, jaro_winkler, levenshtein, damerau_levenshtein, "
                                "name_similarity, "
                                "date, numeric, email.");
                        have_kind = true;
                    } else if (ci.key() == "thresholds") {
                        if (!cv.is_array() || cv.empty() || cv.size() > 6)
                            bad(cp, "expected an array of 1 to 6 numbers");
                        for (std::size_t k = 0; k < cv.size(); ++k)
                            c.thresholds.push_back(
                                num_field(cv[k], cp + "[" + std::to_string(k) + "]", 0, 1e12));
                    } else if (ci.key() == "tf") {
                        if (!cv.is_boolean()) bad(cp, "expected true or false");
                        c.tf = cv.get<bool>();
                    } else {
                        bad(cp, "unknown key", "Keys: trait, name, method, thresholds, tf.");
                    }
                }
                if (c.trait.empty()) bad(p + ".trait", "missing");
                if (!have_kind) {
                    Comparison d = default_comparison(c.trait);
                    c.kind = d.kind;
                    if (c.thresholds.empty()) c.thresholds = d.thresholds;
                }
                if (c.name.empty()) c.name = c.trait;
                default_thresholds(c);
                const std::string tp = p + ".thresholds";
                if (c.kind == Kind::Exact || c.kind == Kind::Date) {
                    if (!c.thresholds.empty())
                        bad(tp, std::string("method ") + kind_name(c.kind) + " takes none");
                } else if (c.kind == Kind::Email) {
                    if (c.thresholds.size() != 1 || c.thresholds[0] > 1)
                        bad(tp, "method email takes one similarity in [0, 1]");
                } else {
                    for (std::size_t k = 0; k < c.thresholds.size(); ++k) {
                        const double t = c.thresholds[k];
                        if (similarity_kind(c.kind) && t > 1)
                            bad(tp + "[" + std::to_string(k) + "]", "a similarity must be in [0, 1]");
                        if (k > 0 && similarity_kind(c.kind) && !(t < c.thresholds[k - 1]))
                            bad(tp + "[" + std::to_string(k) + "]",
                                "similarities must be strictly descending");
                        if (k > 0 && distance_kind(c.kind) && !(t > c.thresholds[k - 1]))
                            bad(tp + "[" + std::to_string(k) + "]", "distances must be strictly ascending");
                        if ((c.kind == Kind::Levenshtein || c.kind == Kind::Damerau) &&
                            (t != std::floor(t) || t > 64))
                            bad(tp + "[" + std::to_string(k) + "]",
                                "an edit distance must be an integer <= 64");
                    }
                }
                for (const auto& o : s.comparisons)
                    if (o.name == c.name) bad(p + ".name", "duplicate comparison name \"" + c.name + "\"");
                s.comparisons.push_back(c);
            }
        } else if (key == "blocking") {
            if (!v.is_array()) bad(path, "expected an array of rules");
            if (v.empty()) bad(path, "needs at least one rule");
            if (v.size() > 32) bad(path, "at most 32 rules");
            have_block = true;
            for (std::size_t i = 0; i < v.size(); ++i) {
                const std::string p = path + "[" + std::to_string(i) + "]";
                std::vector<Json> parts;
                if (v[i].is_string())
                    parts.push_back(v[i]);
                else if (v[i].is_array() && !v[i].empty() && v[i].size() <= 8)
                    parts.assign(v[i].begin(), v[i].end());
                else
                    bad(p, "expected a key or an array of 1 to 8 keys");
                BlockRule r;
                for (std::size_t k = 0; k < parts.size(); ++k) {
                    const std::string kp = v[i].is_string() ? p : p + "[" + std::to_string(k) + "]";
                    BlockKey bk;
                    if (!parts[k].is_string() || !parse_key(parts[k].get<std::string>(), bk))
                        bad(kp, "expected trait or fn(trait)",
                            "Functions: dmetaphone, year, email_local, prefix3, digits.");
                    r.keys.push_back(bk);
                }
                s.blocking.push_back(r);
            }
        } else if (key == "seed") {
            s.seed = static_cast<uint64_t>(int_field(v, path, 0, INT64_MAX));
        } else if (key == "u_pairs") {
            s.u_pairs = int_field(v, path, 100, 100000000);
        } else if (key == "em_max_pairs") {
            s.em_max_pairs = int_field(v, path, 100, 1000000000);
        } else if (key == "em_iterations") {
            s.em_iterations = static_cast<int>(int_field(v, path, 1, 10000));
        } else if (key == "lambda") {
            s.lambda_start = num_field(v, path, 1e-9, 0.5);
        } else if (key == "veto") {
            s.veto = num_field(v, path, 0, 1);
        } else if (key == "max_block_size") {
            s.max_block_size = int_field(v, path, 2, 10000000);
        } else if (key == "link_on_upsert") {
            if (!v.is_boolean()) bad(path, "expected true or false");
            s.link_on_upsert = v.get<bool>();
        } else {
            bad(path, "unknown key",
                "Keys: comparisons, blocking, seed, u_pairs, em_max_pairs, em_iterations, lambda, veto, "
                "max_block_size, link_on_upsert.");
        }
    }
    if (!have_cmp) {
        for (const auto& t : standard_traits())
            if (std::find(present.begin(), present.end(), t) != present.end())
                s.comparisons.push_back(default_comparison(t));
        if (s.comparisons.empty())
            throw cdp::Error(
                "no standard trait found in cdp.records.traits for a default match model",
                cdp::sqlstate::kObjectNotInPrerequisiteState, {},
                "Load records with traits such as first_name, last_name, birth_date, postcode, or "
                "give spec.comparisons.");
    }
    if (!have_block) {
        std::vector<std::string> have;
        for (const auto& c : s.comparisons) have.push_back(c.trait);
        s.blocking = default_blocking(have);
    }
    return s;
}

std::string spec_json(const Spec& s) {
    Json j = Json::object();
    Json cs = Json::array();
    for (const auto& c : s.comparisons) {
        Json cj = {{"name", c.name}, {"trait", c.trait}, {"method", kind_name(c.kind)}};
        if (!c.thresholds.empty()) cj["thresholds"] = c.thresholds;
        cj["tf"] = c.tf;
        cs.push_back(cj);
    }
    j["comparisons"] = cs;
    Json bs = Json::array();
    for (const auto& r : s.blocking) {
        Json rj = Json::array();
        for (const auto& k : r.keys) rj.push_back(k.text());
        bs.push_back(rj);
    }
    j["blocking"] = bs;
    j["seed"] = s.seed;
    j["u_pairs"] = s.u_pairs;
    j["em_max_pairs"] = s.em_max_pairs;
    j["em_iterations"] = s.em_iterations;
    j["lambda"] = s.lambda_start;
    j["veto"] = s.veto;
    j["max_block_size"] = s.max_block_size;
    j["link_on_upsert"] = s.link_on_upsert;
    return cdp::json::dump(j);
}

// ---- Prepared ----------------------------------------------------------------
Prepared::Prepared(const Spec& spec, const Data& data) : spec_(spec), n_(data.ids.size()) {
    const auto traits = spec.traits();
    auto col = [&](const std::string& t) -> const std::vector<std::optional<std::string>>& {
        auto it = std::find(traits.begin(), traits.end(), t);
        return data.columns.at(static_cast<std::size_t>(it - traits.begin()));
    };
    cdp::interrupt::Ticker ticker(1024);
    vals_.resize(spec.comparisons.size());
    for (std::size_t c = 0; c < spec.comparisons.size(); ++c) {
        const auto& cmp = spec.comparisons[c];
        const auto& src = col(cmp.trait);
        vals_[c].resize(n_);
        for (std::size_t i = 0; i < n_; ++i) {
            ticker.tick();
            if (src[i]) vals_[c][i] = prepare(cmp.kind, *src[i]);
        }
    }
    keys_.resize(spec.blocking.size());
    for (std::size_t r = 0; r < spec.blocking.size(); ++r) {
        keys_[r].resize(n_);
        for (std::size_t i = 0; i < n_; ++i) {
            ticker.tick();
            std::string k;
            for (std::size_t q = 0; q < spec.blocking[r].keys.size(); ++q) {
                const auto& bk = spec.blocking[r].keys[q];
                const auto& raw = col(bk.trait)[i];
                std::string part = raw ? block_value(bk, simple_norm(*raw)) : std::string();
                if (part.empty()) {
                    k.clear();
                    break;
                }
                if (q) k.push_back('\x1f');
                k += part;
            }
            keys_[r][i] = std::move(k);
        }
    }
}

void Prepared::vector(std::size_t i, std::size_t j, std::vector<uint8_t>& out) const {
    out.resize(vals_.size());
    for (std::size_t c = 0; c < vals_.size(); ++c)
        out[c] = static_cast<uint8_t>(level_of(spec_.comparisons[c], vals_[c][i], vals_[c][j]));
}

// ---- blocking -----------------------------------------------------------------
namespace {
struct Buckets {
    // per rule: record indexes sorted by key, and run boundaries
    std::vector<std::vector<uint32_t>> order;
    std::vector<std::vector<uint32_t>> bucket_size;  // per record: size of its bucket (0: no key)
};

Buckets make_buckets(const Prepared& p) {
    const std::size_t R = p.spec().blocking.size(), n = p.size();
    Buckets b;
    b.order.resize(R);
    b.bucket_size.resize(R);
    for (std::size_t r = 0; r < R; ++r) {
        auto& o = b.order[r];
        for (std::size_t i = 0; i < n; ++i)
            if (!p.key(r, i).empty()) o.push_back(static_cast<uint32_t>(i));
        std::stable_sort(o.begin(), o.end(),
                         [&](uint32_t x, uint32_t y) { return p.key(r, x) < p.key(r, y); });
        b.bucket_size[r].assign(n, 0);
        for (std::size_t s = 0; s < o.size();) {
            std::size_t e = s + 1;
            while (e < o.size() && p.key(r, o[e]) == p.key(r, o[s])) ++e;
            for (std::size_t q = s; q < e; ++q) b.bucket_size[r][o[q]] = static_cast<uint32_t>(e - s);
            s = e;
        }
    }
    return b;
}
}  // namespace

BlockCounts count_candidates(const Prepared& p) {
    Buckets b = make_buckets(p);
    BlockCounts c;
    const std::size_t R = p.spec().blocking.size();
    c.pairs_per_rule.assign(R, 0);
    c.skipped_buckets.assign(R, 0);
    for (std::size_t r = 0; r < R; ++r) {
        const auto& o = b.order[r];
        for (std::size_t s = 0; s < o.size();) {
            int64_t sz = b.bucket_size[r][o[s]];
            if (sz > p.spec().max_block_size)
                ++c.skipped_buckets[r];
            else
                c.pairs_per_rule[r] += sz * (sz - 1) / 2;
            s += static_cast<std::size_t>(sz);
        }
        c.total += c.pairs_per_rule[r];
    }
    return c;
}

void for_each_candidate(const Prepared& p, const std::vector<bool>& focus,
                        const std::function<void(std::size_t, std::size_t)>& fn) {
    Buckets b = make_buckets(p);
    const std::size_t R = p.spec().blocking.size();
    const int64_t maxb = p.spec().max_block_size;
    cdp::interrupt::Ticker ticker(2048);
    auto earlier = [&](std::size_t r, uint32_t i, uint32_t j) {
        for (std::size_t q = 0; q < r; ++q) {
            const auto& ki = p.key(q, i);
            if (!ki.empty() && b.bucket_size[q][i] <= maxb && ki == p.key(q, j)) return true;
        }
        return false;
    };
    auto emit = [&](std::size_t r, uint32_t i, uint32_t j) {
        ticker.tick();
        if (i > j) std::swap(i, j);
        if (earlier(r, i, j)) return;
        fn(i, j);
    };
    for (std::size_t r = 0; r < R; ++r) {
        const auto& o = b.order[r];
        for (std::size_t s = 0; s < o.size();) {
            const std::size_t sz = b.bucket_size[r][o[s]];
            const std::size_t e = s + sz;
            if (static_cast<int64_t>(sz) <= maxb) {
                if (focus.empty()) {
                    for (std::size_t x = s; x < e; ++x)
                        for (std::size_t y = x + 1; y < e; ++y) emit(r, o[x], o[y]);
                } else {
                    for (std::size_t x = s; x < e; ++x) {
                        if (!focus[o[x]]) continue;
                        for (std::size_t y = s; y < e; ++y) {
                            if (y == x) continue;
                            if (focus[o[y]] && o[y] < o[x]) continue;  // pair emitted from the other side
                            emit(r, o[x], o[y]);
                        }
                    }
                }
            }
            s = e;
        }
    }
}

// ---- training -------------------------------------------------------------------
double log2_bf(const Trained& t, const Prepared& p, std::size_t c, int level, std::size_t i) {
    if (level == 0) return 0;
    double m = t.em.m[c][level], u = t.em.u[c][level];
    const auto& cmp = p.spec().comparisons[c];
    if (cmp.tf && level == cmp.levels() - 1 && c < t.tf.size()) {
        auto it = t.tf[c].find(p.value(c, i));
        double share = it == t.tf[c].end() ? t.tf_min[c] : it->second;
        u = std::max(share, t.tf_min[c]);
    }
    return std::log2(std::max(m, 1e-12)) - std::log2(std::max(u, 1e-12));
}

double probability(const Trained& t, const Prepared& p, std::size_t i, const std::vector<uint8_t>& v) {
    double w = std::log2(t.em.lambda / (1 - t.em.lambda));
    for (std::size_t c = 0; c < v.size(); ++c) w += log2_bf(t, p, c, v[c], i);
    if (w > 1000) return 1.0;
    if (w < -1000) return 0.0;
    return 1.0 / (1.0 + std::exp2(-w));
}

std::string evidence_json(const Trained& t, const Prepared& p, std::size_t i, const std::vector<uint8_t>& v) {
    double prior = std::log2(t.em.lambda / (1 - t.em.lambda));
    double w = prior;
    Json cs = Json::array();
    for (std::size_t c = 0; c < v.size(); ++c) {
        const auto& cmp = p.spec().comparisons[c];
        double lw = log2_bf(t, p, c, v[c], i);
        w += lw;
        Json e = {{"comparison", cmp.name},
                  {"level", cmp.label(v[c])},
                  {"bayes_factor", std::exp2(lw)},
                  {"match_weight", lw}};
        if (cmp.tf && v[c] == cmp.levels() - 1) e["tf_adjusted"] = true;
        cs.push_back(e);
    }
    Json j = {{"prior_match_weight", prior},
              {"match_weight", w},
              {"probability", w > 1000 ? 1.0 : 1.0 / (1.0 + std::exp2(-w))},
              {"comparisons", cs}};
    return cdp::json::dump(j);
}

Trained train(const Prepared& p, const std::function<void(const std::string&)>& progress) {
    const Spec& s = p.spec();
    const std::size_t n = p.size(), C = s.comparisons.size();
    Trained t;
    for (const auto& c : s.comparisons) t.levels.push_back(c.levels());
    // term frequencies
    t.tf.resize(C);
    t.tf_min.assign(C, 1.0);
    for (std::size_t c = 0; c < C; ++c) {
        if (!s.comparisons[c].tf) continue;
        std::unordered_map<std::string, int64_t> cnt;
        int64_t nn = 0;
        for (std::size_t i = 0; i < n; ++i)
            if (!p.value(c, i).empty()) {
                ++cnt[p.value(c, i)];
                ++nn;
            }
        t.tf_min[c] = nn > 0 ? 1.0 / static_cast<double>(nn) : 1.0;
        for (const auto& [v, k] : cnt)
            if (k >= 2) t.tf[c][v] = static_cast<double>(k) / static_cast<double>(nn);
    }
    if (n < 2)
        throw cdp::Error("a match model needs at least 2 records to train",
                         cdp::sqlstate::kObjectNotInPrerequisiteState);
    // u from random pairs (seeded)
    std::mt19937_64 rng(s.seed);
    std::uniform_int_distribution<uint64_t> pick(0, n - 1);
    const int64_t all_pairs = static_cast<int64_t>(n) * static_cast<int64_t>(n - 1) / 2;
    const int64_t upairs = std::min<int64_t>(s.u_pairs, all_pairs);
    std::vector<std::vector<uint8_t>> rv;
    rv.reserve(static_cast<std::size_t>(upairs));
    std::vector<uint8_t> v;
    cdp::interrupt::Ticker ticker(1024);
    for (int64_t k = 0; k < upairs; ++k) {
        ticker.tick();
        std::size_t i = pick(rng), j = pick(rng);
        if (i == j) j = (j + 1) % n;
        p.vector(i, j, v);
        rv.push_back(v);
    }
    t.u_pairs = upairs;
    t.em.u = estimate_u(rv, t.levels);
    rv.clear();
    rv.shrink_to_fit();
    if (progress) progress("u estimated from " + std::to_string(upairs) + " random pairs");
    // EM over candidate pairs (a deterministic stride sample when too many)
    BlockCounts bc = count_candidates(p);
    const int64_t stride =
        std::max<int64_t>(1, (bc.total + s.em_max_pairs - 1) / std::max<int64_t>(1, s.em_max_pairs));
    std::unordered_map<std::string, double> patterns;
    int64_t seen = 0, used = 0;
    for_each_candidate(p, {}, [&](std::size_t i, std::size_t j) {
        if (seen++ % stride != 0) return;
        p.vector(i, j, v);
        patterns[std::string(v.begin(), v.end())] += 1;
        ++used;
    });
    t.em_pairs = used;
    if (progress)
        progress("EM over " + std::to_string(used) + " candidate pairs (" + std::to_string(patterns.size()) +
                 " distinct comparison vectors)");
    std::vector<std::string> keys;
    for (const auto& kv : patterns) keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());  // deterministic order of summation
    std::vector<std::vector<uint8_t>> pv;
    std::vector<double> counts;
    for (const auto& k : keys) {
        pv.emplace_back(k.begin(), k.end());
        counts.push_back(patterns[k]);
    }
    t.em.lambda = s.lambda_start;
    t.iterations = em_train_weighted(pv, counts, t.levels, t.em, s.em_iterations, 1e-7);
    return t;
}

std::string weights_json(const Spec& s, const Trained& t, const BlockCounts& bc) {
    Json j = Json::object();
    j["lambda"] = t.em.lambda;
    j["prior_match_weight"] = std::log2(t.em.lambda / (1 - t.em.lambda));
    j["u_random_pairs"] = t.u_pairs;
    j["em_pairs"] = t.em_pairs;
    j["em_iterations"] = t.iterations;
    Json bl = Json::array();
    for (std::size_t r = 0; r < s.blocking.size(); ++r)
        bl.push_back({{"rule", s.blocking[r].text()},
                      {"candidate_pairs", r < bc.pairs_per_rule.size() ? bc.pairs_per_rule[r] : 0},
                      {"skipped_buckets", r < bc.skipped_buckets.size() ? bc.skipped_buckets[r] : 0}});
    j["blocking"] = bl;
    j["candidate_pairs"] = bc.total;
    Json cs = Json::array();
    std::vector<std::string> table;
    {
        std::ostringstream h;
        h << std::left << std::setw(16) << "comparison" << std::setw(34) << "level" << std::right
          << std::setw(10) << "m" << std::setw(10) << "u" << std::setw(12) << "weight";
        table.push_back(h.str());
    }
    for (std::size_t c = 0; c < s.comparisons.size(); ++c) {
        const auto& cmp = s.comparisons[c];
        Json lv = Json::array();
        for (int l = cmp.levels() - 1; l >= 1; --l) {
            double m = t.em.m[c][l], u = t.em.u[c][l];
            double w = std::log2(std::max(m, 1e-12)) - std::log2(std::max(u, 1e-12));
            lv.push_back({{"level", cmp.label(l)},
                          {"m", m},
                          {"u", u},
                          {"bayes_factor", std::exp2(w)},
                          {"match_weight", w}});
            std::ostringstream row;
            row << std::left << std::setw(16) << cmp.name.substr(0, 15) << std::setw(34)
                << (cmp.label(l) + (cmp.tf && l == cmp.levels() - 1 ? " (tf)" : "")).substr(0, 33)
                << std::right << std::fixed << std::setprecision(4) << std::setw(10) << m << std::setw(10)
                << u << std::setprecision(2) << std::showpos << std::setw(12) << w;
            table.push_back(row.str());
        }
        std::vector<double> mm(t.em.m[c].begin(), t.em.m[c].end()), uu(t.em.u[c].begin(), t.em.u[c].end());
        Json cj = {{"comparison", cmp.name}, {"trait", cmp.trait}, {"levels", lv}, {"m", mm}, {"u", uu}};
        if (cmp.tf) {
            Json tf = Json::object();
            std::vector<std::pair<std::string, double>> items(t.tf[c].begin(), t.tf[c].end());
            std::sort(items.begin(), items.end());
            for (const auto& [k, share] : items) tf[k] = share;
            cj["tf_min"] = t.tf_min[c];
            cj["tf"] = tf;
        }
        cs.push_back(cj);
    }
    j["comparisons"] = cs;
    j["table"] = table;
    return cdp::json::dump(j);
}

Trained weights_from_json(const Spec& s, std::string_view text) {
    Json j = Json::parse(text.begin(), text.end(), nullptr, false);
    auto corrupt = [] {
        throw cdp::Error("stored weights of the match model are not valid; train it again",
                         cdp::sqlstate::kObjectNotInPrerequisiteState);
    };
    if (j.is_discarded() || !j.is_object() || !j.contains("comparisons") || !j.contains("lambda")) corrupt();
    Trained t;
    t.em.lambda = j["lambda"].get<double>();
    const auto& cs = j["comparisons"];
    if (!cs.is_array() || cs.size() != s.comparisons.size()) corrupt();
    t.tf.resize(cs.size());
    t.tf_min.assign(cs.size(), 1.0);
    for (std::size_t c = 0; c < cs.size(); ++c) {
        const int L = s.comparisons[c].levels();
        t.levels.push_back(L);
        if (!cs[c].contains("m") || !cs[c].contains("u")) corrupt();
        auto m = cs[c]["m"].get<std::vector<double>>();
        auto u = cs[c]["u"].get<std::vector<double>>();
        if (static_cast<int>(m.size()) != L || static_cast<int>(u.size()) != L) corrupt();
        t.em.m.push_back(m);
        t.em.u.push_back(u);
        if (cs[c].contains("tf")) {
            t.tf_min[c] = cs[c]["tf_min"].get<double>();
            for (auto it = cs[c]["tf"].begin(); it != cs[c]["tf"].end(); ++it)
                t.tf[c][it.key()] = it.value().get<double>();
        }
    }
    t.em_pairs = j.value("em_pairs", int64_t{0});
    t.u_pairs = j.value("u_random_pairs", int64_t{0});
    t.iterations = j.value("em_iterations", 0);
    return t;
}

}  // namespace cdp::linkage
