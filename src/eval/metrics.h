// The evaluation's measures as pure functions over lists, so each has a known answer a test can check.
//
// Conventions: a "list" is a recommendation list, best first. Relevance is binary (same style as the query).
// Unknown categories ("" for an artist, album or style) are left out of entropies, never counted as a category.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace audiorium::eval {

// --- Label homogeneity, as the original project defined it ---------------------------------------------------
// The share of major-label artists among the recommendations: over every recommended item whose label class is
// known, the fraction that is on a major. The original took top-100 lists and compared the share with the
// population's (0.3 by default: roughly the majors' share of artists), the ideal for a label-blind system being
// the population share itself; the distance |share − baseline| is how far a system sits from it. Items whose
// label is unknown are counted apart and excluded from the denominator, so they neither help nor hurt.
enum class LabelClass { Unknown, Major, Independent };

struct Homogeneity {
  std::size_t major = 0, independent = 0, unknown = 0;
  std::optional<double> share;  // major / (major + independent); nullopt when no item has a known class
  double baseline = 0.3;
  std::optional<double> distance;  // |share − baseline|
};

Homogeneity homogeneity(const std::vector<LabelClass>& items, double baseline = 0.3);
// Adds b's counts to a (pooling lists), recomputing share and distance.
Homogeneity pool_homogeneity(const Homogeneity& a, const Homogeneity& b);

// --- Diversity -------------------------------------------------------------------------------------------------
// Mean pairwise cosine distance (1 − cos) over the list's vectors: 0 for identical items, 1 for orthogonal ones.
// Lists of fewer than two items give 0.
double intra_list_diversity(const std::vector<std::vector<float>>& vectors);

// Shannon entropy in bits of the categories' distribution ("" left out): 0 when all items share one category,
// log2(n) for n items in n distinct categories.
double entropy_bits(const std::vector<std::string>& categories);

// Share of the catalog that appears at least once in `exposure` (counts per catalog item, zeros included).
double coverage(const std::vector<double>& exposure);

// Gini coefficient of non-negative exposure counts, one per catalog item (zeros for never-recommended items):
// 0 when every item is shown equally often, (n−1)/n when one item takes all. All zeros give 0.
double gini(std::vector<double> exposure);

// The Lorenz curve of the same counts: (share of items, share of exposure) from (0,0) to (1,1), items sorted from
// least to most exposed. With more than `max_points` items, evenly spaced points of it (the ends kept).
std::vector<std::pair<double, double>> lorenz_curve(std::vector<double> exposure, std::size_t max_points = 101);

// --- Popularity --------------------------------------------------------------------------------------------------
// Novelty of a list: mean self-information −log2 p(i) of its items, with p(i) = (pop(i) + 1) / Σ_j (pop(j) + 1)
// over the catalog (add-one, so never-played items have a finite, high novelty). `popularity` is indexed by the
// positions `items` names.
double novelty_bits(const std::vector<std::size_t>& items, const std::vector<double>& popularity);
// Mean popularity percentile of a list's items within the catalog (mid-rank, ties shared): 0.5 means the
// recommendations are as popular as a random track; 1 means only the most popular.
double popularity_percentile(const std::vector<std::size_t>& items, const std::vector<double>& popularity);

// --- Retrieval quality (binary relevance) ------------------------------------------------------------------------
// Fraction of the first k items that are relevant (a short list still divides by k).
double precision_at_k(const std::vector<bool>& relevant, std::size_t k);
// DCG@k / IDCG@k with gain 1 for relevant items and discount log2(rank + 1); the ideal ranking puts
// min(k, total_relevant) relevant items first. 0 when total_relevant is 0.
double ndcg_at_k(const std::vector<bool>& relevant, std::size_t k, std::size_t total_relevant);
// Average precision of the list: Σ over relevant ranks r of precision@r, divided by min(len, total_relevant)
// (so a list that could not hold every relevant item is not punished for its length). 0 when that is 0.
double average_precision(const std::vector<bool>& relevant, std::size_t total_relevant);

// --- Queues ------------------------------------------------------------------------------------------------------
// Share of consecutive pairs (the seed included as position 0) whose category is the same known value.
double adjacent_repetition(const std::vector<std::string>& categories);

// --- Summaries -----------------------------------------------------------------------------------------------------
struct MeanCi {
  std::size_t n = 0;
  double mean = 0, sd = 0;   // sd: sample standard deviation (n − 1)
  double low = 0, high = 0;  // t-based 95% confidence interval for the mean; equal to the mean when n < 2
};
MeanCi mean_ci95(const std::vector<double>& values);
// The 0.975 quantile of Student's t with `df` degrees of freedom (df ≥ 1).
double student_t_975(double df);

double mean(const std::vector<double>& values);  // 0 for an empty list

}  // namespace audiorium::eval
