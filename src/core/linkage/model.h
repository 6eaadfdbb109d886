// Probabilistic record linkage model (issue 14, DESIGN section 4).  Pure C++17,
// no postgres.h.  docs/linkage.md describes the spec, the standard traits, the
// comparison levels, blocking, training and the clustering rule.
//
//   Spec spec = parse_spec(json_text, present_traits);   // '{}' -> default model
//   Data data = ...;                                      // one column per trait
//   Prepared prep(spec, data);                            // normalised values, keys
//   Trained t = train(spec, prep, progress);              // u random pairs, EM for m, lambda
//   for_each_candidate(spec, prep, filter, fn)            // blocking, streamed
//   double p = probability(t, prep.vector(a, b))          // + evidence(...)
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/linkage/em.h"

namespace cdp::linkage {

// The standard trait keys the default model reads (records.traits).
const std::vector<std::string>& standard_traits();

enum class Kind { Exact, JaroWinkler, Levenshtein, Damerau, Name, Date, Numeric, Email };

struct Comparison {
    std::string name;   // output name (default: the trait)
    std::string trait;  // records.traits key
    Kind kind = Kind::Exact;
    std::vector<double> thresholds;  // JW/Name: descending similarities; distances ascending
    bool tf = false;                 // term-frequency adjustment of the exact level
    // Number of levels incl. level 0 (not comparable) and level 1 (else).
    int levels() const;
    // Label of a level ("exact", "jaro_winkler>=0.92", "else", "null").
    std::string label(int level) const;
};

struct BlockKey {
    std::string fn;  // "", "dmetaphone", "year", "email_local", "prefix3", "digits"
    std::string trait;
    std::string text() const { return fn.empty() ? trait : fn + "(" + trait + ")"; }
};
struct BlockRule {
    std::vector<BlockKey> keys;  // all must agree (AND)
    std::string text() const;
};

struct Spec {
    std::vector<Comparison> comparisons;
    std::vector<BlockRule> blocking;
    uint64_t seed = 42;
    int64_t u_pairs = 200000;        // random pairs for u
    int64_t em_max_pairs = 2000000;  // candidate pairs (deterministic sample) for EM
    int em_iterations = 100;
    double lambda_start = 0.01;
    double veto = 0.001;            // clustering guard: cross pairs below this probability veto a merge
    int64_t max_block_size = 5000;  // buckets with more records are skipped (reported)
    bool link_on_upsert = false;    // accepted, documented as not implemented
    std::vector<std::string> traits() const;  // distinct traits read, in order
};

// Parses and validates a spec.  `present`: standard traits found in the data
// (used when the spec has no "comparisons").  Errors (cdp::Error 22023) name
// the JSON path, e.g. `spec.comparisons[1].thresholds[0]`.
Spec parse_spec(std::string_view json_text, const std::vector<std::string>& present);
// The spec as JSON text (every default filled in): what is stored.
std::string spec_json(const Spec& spec);

// Raw values, one column per trait of Spec::traits() (nullopt = missing).
struct Data {
    std::vector<int64_t> ids;
    std::vector<std::vector<std::optional<std::string>>> columns;
};

// Values prepared for comparison, and blocking keys.
class Prepared {
 public:
    Prepared(const Spec& spec, const Data& data);
    std::size_t size() const { return n_; }
    // Comparison vector of records i, j (level per comparison).
    void vector(std::size_t i, std::size_t j, std::vector<uint8_t>& out) const;
    // Value compared by comparison c for record i (empty = missing).
    const std::string& value(std::size_t c, std::size_t i) const { return vals_[c][i]; }
    // Blocking key of rule r for record i ("" = no key: never blocked).
    const std::string& key(std::size_t r, std::size_t i) const { return keys_[r][i]; }
    const Spec& spec() const { return spec_; }

 private:
    const Spec& spec_;
    std::size_t n_;
    std::vector<std::vector<std::string>> vals_;
    std::vector<std::vector<std::string>> keys_;
};

// Candidate pairs.  pairs_per_rule: candidate pairs each rule generates
// (before de-duplication against earlier rules), counted before comparing;
// skipped: buckets over max_block_size.
struct BlockCounts {
    std::vector<int64_t> pairs_per_rule;
    std::vector<int64_t> skipped_buckets;
    int64_t total = 0;
};
BlockCounts count_candidates(const Prepared& p);
// Calls fn(i, j) once per candidate pair (i < j in index order), rule by rule
// (a pair is produced by the first rule it agrees on).  When `focus` is not
// empty, only pairs with at least one focused record.  Polls for cancel.
void for_each_candidate(const Prepared& p, const std::vector<bool>& focus,
                        const std::function<void(std::size_t, std::size_t)>& fn);

struct Trained {
    EmModel em;
    std::vector<int> levels;
    // term frequencies of tf comparisons: value -> share of records
    std::vector<std::unordered_map<std::string, double>> tf;
    std::vector<double> tf_min;  // smallest share used (1 / records)
    int64_t em_pairs = 0, u_pairs = 0;
    int iterations = 0;
};

// u from random pairs (seeded), m and lambda by EM over candidate pairs.
Trained train(const Prepared& p, const std::function<void(const std::string&)>& progress);

// Log2 Bayes factor of comparison c at `level` for records i (and its value).
double log2_bf(const Trained& t, const Prepared& p, std::size_t c, int level, std::size_t i);
// Match probability of the pair (i, j) with vector v.
double probability(const Trained& t, const Prepared& p, std::size_t i, const std::vector<uint8_t>& v);
// Evidence JSON of a pair: {"match_weight":..,"probability":..,"prior_weight":..,
// "comparisons":[{"comparison","level","bayes_factor","match_weight"}..]}
std::string evidence_json(const Trained& t, const Prepared& p, std::size_t i, const std::vector<uint8_t>& v);

// The trained weights as JSON (stored and returned by train_match_model),
// with the readable table and the blocking counts; and back.
std::string weights_json(const Spec& spec, const Trained& t, const BlockCounts& counts);
Trained weights_from_json(const Spec& spec, std::string_view json_text);

// Date levels on text ("YYYY-MM-DD" or "YYYYMMDD", 8 digits): 0 not
// comparable (no 8 digits), 1 different, 2 one digit differs, 3 day/month
// swapped, 4 exact.  Impossible dates (month 13) are compared as digits.
int compare_date_text(std::string_view a, std::string_view b);

}  // namespace cdp::linkage
