// Item-to-item recommendations (DESIGN.md section 9).
//
// Input: per customer, the items bought (Order Completed products[], net of
// refunds and cancellations) and viewed (Product Viewed).  A customer's
// interest r_ui in item i is 1 when bought, view_weight (0.3) when only viewed.
//
// co(i,j)   = sum over customers of r_ui * r_uj            (returned as co)
// cdp score = sum_u r_ui r_uj / log2(2 + |I_u|)  /  sqrt(n_i n_j)  *  co / (co + shrink)
//   with n_i = sum_u r_ui^2 / log2(2 + |I_u|): cosine with inverse user
//   frequency (a customer with hundreds of items says less about each pair)
//   and significance shrinkage (pairs seen once are discounted).
// The plain-cosine variant (iuf = false, shrink = 0) is the baseline.
//
// Built in one sweep per item over an inverted index with a dense
// accumulator, keeping the top `neighbors` per item.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cdp::predict {

struct Interest {
    uint32_t item;
    double r;  // 1 bought, view_weight viewed only
};

struct ItemModelOptions {
    size_t neighbors = 50;
    bool iuf = true;
    double shrink = 2.0;
};

struct Neighbor {
    uint32_t item;
    double score;
    double co;
};

struct ItemModel {
    std::vector<std::vector<Neighbor>> neighbors;  // per item, best first (ties: smaller item id)
};

ItemModel build_item_model(const std::vector<std::vector<Interest>>& customers, size_t n_items,
                           const ItemModelOptions& opt);

// ---- ranking for one customer (query time; product ids as strings) ----
struct HistoryItem {
    std::string product;
    double purchases = 0;  // orders containing it (net)
    double views = 0;
    double recency = 0;     // sum over purchases of 0.5^(age / half-life)
    double popularity = 0;  // distinct buyers of the product
};
struct NeighborRow {
    std::string from, to;
    double score;
    double to_popularity = 0;  // distinct buyers of `to`
};
struct PopularRow {
    std::string product;
    double score;  // distinct buyers
};
struct Recommendation {
    std::string product;
    double score;
    enum Kind { kSimilar, kRepeat, kPopular } kind;
    std::string because;    // the history item that contributed most (kSimilar)
    double similarity = 0;  // its similarity
};

// Score of an item j not bought: 0.5 * (nb_j + buyers_j / max buyers), with
//   nb_j = sum_i w_i sim(i, j) / sum_i w_i,   w_i = purchases_i + view_weight * views_i
// (below 1).  With include_bought, an item bought before scores
//   purchases_j + 0.01 * recency_j / (1 + recency_j) + 0.5 * buyers_j / max buyers
// (what is bought often comes back first); without it bought items are left
// out.  The rest is filled from `popular`.
std::vector<Recommendation> recommend(const std::vector<HistoryItem>& history,
                                      const std::vector<NeighborRow>& neighbors,
                                      const std::vector<PopularRow>& popular, size_t k, bool include_bought,
                                      double view_weight = 0.3);

}  // namespace cdp::predict
