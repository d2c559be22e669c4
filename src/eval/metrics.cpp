#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <numeric>

#include "recommend/diversity.h"

namespace audiorium::eval {

namespace {

void finish(Homogeneity& h) {
  const std::size_t known = h.major + h.independent;
  h.share.reset();
  h.distance.reset();
  if (known == 0) return;
  h.share = static_cast<double>(h.major) / static_cast<double>(known);
  h.distance = std::abs(*h.share - h.baseline);
}

}  // namespace

Homogeneity homogeneity(const std::vector<LabelClass>& items, double baseline) {
  Homogeneity h;
  h.baseline = baseline;
  for (auto c : items) {
    if (c == LabelClass::Major) ++h.major;
    else if (c == LabelClass::Independent) ++h.independent;
    else ++h.unknown;
  }
  finish(h);
  return h;
}

Homogeneity pool_homogeneity(const Homogeneity& a, const Homogeneity& b) {
  Homogeneity h = a;
  h.major += b.major;
  h.independent += b.independent;
  h.unknown += b.unknown;
  finish(h);
  return h;
}

// One definition of ILD in the project: the recommend stage's, which MMR and its tests already use.
double intra_list_diversity(const std::vector<std::vector<float>>& vectors) {
  return recommend::intra_list_diversity(vectors);
}

double entropy_bits(const std::vector<std::string>& categories) {
  std::map<std::string, std::size_t> counts;
  std::size_t n = 0;
  for (const auto& c : categories)
    if (!c.empty()) {
      ++counts[c];
      ++n;
    }
  double h = 0;
  for (const auto& [_, count] : counts) {
    const double p = static_cast<double>(count) / static_cast<double>(n);
    h -= p * std::log2(p);
  }
  return h == 0 ? 0.0 : h;  // no "-0"
}

double coverage(const std::vector<double>& exposure) {
  if (exposure.empty()) return 0;
  const auto seen = std::count_if(exposure.begin(), exposure.end(), [](double e) { return e > 0; });
  return static_cast<double>(seen) / static_cast<double>(exposure.size());
}

double gini(std::vector<double> exposure) {
  const std::size_t n = exposure.size();
  if (n == 0) return 0;
  std::sort(exposure.begin(), exposure.end());
  const double total = std::accumulate(exposure.begin(), exposure.end(), 0.0);
  if (total <= 0) return 0;
  // G = Σ_i (2i − n − 1) x_(i) / (n Σ x), i = 1..n over ascending values: the mean absolute difference form.
  double weighted = 0;
  for (std::size_t i = 0; i < n; ++i)
    weighted += (2.0 * static_cast<double>(i + 1) - static_cast<double>(n) - 1.0) * exposure[i];
  return weighted / (static_cast<double>(n) * total);
}

std::vector<std::pair<double, double>> lorenz_curve(std::vector<double> exposure, std::size_t max_points) {
  std::vector<std::pair<double, double>> out;
  const std::size_t n = exposure.size();
  if (n == 0) return {{0, 0}, {1, 1}};
  std::sort(exposure.begin(), exposure.end());
  const double total = std::accumulate(exposure.begin(), exposure.end(), 0.0);
  std::vector<double> cumulative(n + 1, 0.0);
  for (std::size_t i = 0; i < n; ++i) cumulative[i + 1] = cumulative[i] + exposure[i];
  const std::size_t points = std::max<std::size_t>(2, std::min(max_points, n + 1));
  for (std::size_t p = 0; p < points; ++p) {
    const std::size_t i = (p * n + (points - 1) / 2) / (points - 1);  // nearest item boundary
    const double x = static_cast<double>(i) / static_cast<double>(n);
    const double y = total > 0 ? cumulative[i] / total : x;
    out.emplace_back(x, y);
  }
  return out;
}

double novelty_bits(const std::vector<std::size_t>& items, const std::vector<double>& popularity) {
  if (items.empty() || popularity.empty()) return 0;
  double total = 0;
  for (double p : popularity) total += std::max(0.0, p) + 1.0;
  double sum = 0;
  for (auto i : items) sum -= std::log2((std::max(0.0, popularity.at(i)) + 1.0) / total);
  return sum / static_cast<double>(items.size());
}

double popularity_percentile(const std::vector<std::size_t>& items, const std::vector<double>& popularity) {
  if (items.empty() || popularity.empty()) return 0;
  const double n = static_cast<double>(popularity.size());
  double sum = 0;
  for (auto i : items) {
    const double v = popularity.at(i);
    double below = 0, equal = 0;
    for (double p : popularity) {
      if (p < v) ++below;
      else if (p == v) ++equal;
    }
    sum += (below + 0.5 * equal) / n;  // mid-rank: ties share their ranks, so equal popularity reads 0.5
  }
  return sum / static_cast<double>(items.size());
}

double precision_at_k(const std::vector<bool>& relevant, std::size_t k) {
  if (k == 0) return 0;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < k && i < relevant.size(); ++i) hits += relevant[i] ? 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(k);
}

double ndcg_at_k(const std::vector<bool>& relevant, std::size_t k, std::size_t total_relevant) {
  if (total_relevant == 0 || k == 0) return 0;
  double dcg = 0, idcg = 0;
  for (std::size_t i = 0; i < k && i < relevant.size(); ++i)
    if (relevant[i]) dcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  for (std::size_t i = 0; i < std::min(k, total_relevant); ++i) idcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  return dcg / idcg;
}

double average_precision(const std::vector<bool>& relevant, std::size_t total_relevant) {
  const std::size_t denominator = std::min(relevant.size(), total_relevant);
  if (denominator == 0) return 0;
  double sum = 0;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < relevant.size(); ++i)
    if (relevant[i]) {
      ++hits;
      sum += static_cast<double>(hits) / static_cast<double>(i + 1);
    }
  return sum / static_cast<double>(denominator);
}

double adjacent_repetition(const std::vector<std::string>& categories) {
  if (categories.size() < 2) return 0;
  std::size_t same = 0;
  for (std::size_t i = 1; i < categories.size(); ++i)
    if (!categories[i].empty() && categories[i] == categories[i - 1]) ++same;
  return static_cast<double>(same) / static_cast<double>(categories.size() - 1);
}

double mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// No statistics library is among the project's dependencies (Boost.Math would be the Debian one, a large
// addition for one quantile), so the quantile is found by bisection on the CDF, which is 1/2 plus the
// integral of the t density from 0 to x, done with Simpson's rule — accurate to well below 1e-8 here.
double student_t_975(double df) {
  if (!(df >= 1)) df = 1;
  const double c = std::exp(std::lgamma((df + 1) / 2) - std::lgamma(df / 2)) / std::sqrt(df * std::numbers::pi);
  auto density = [&](double x) { return c * std::pow(1 + x * x / df, -(df + 1) / 2); };
  auto cdf = [&](double x) {
    constexpr int intervals = 4000;  // even
    const double h = x / intervals;
    double s = density(0) + density(x);
    for (int i = 1; i < intervals; ++i) s += density(i * h) * (i % 2 ? 4 : 2);
    return 0.5 + s * h / 3;
  };
  double lo = 0, hi = 20;  // t(0.975, df = 1) = 12.71 is the largest
  for (int it = 0; it < 60; ++it) {
    const double mid = (lo + hi) / 2;
    (cdf(mid) < 0.975 ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

MeanCi mean_ci95(const std::vector<double>& values) {
  MeanCi r;
  r.n = values.size();
  if (r.n == 0) return r;
  r.mean = mean(values);
  r.low = r.high = r.mean;
  if (r.n < 2) return r;
  double ss = 0;
  for (double v : values) ss += (v - r.mean) * (v - r.mean);
  r.sd = std::sqrt(ss / static_cast<double>(r.n - 1));
  const double half = student_t_975(static_cast<double>(r.n - 1)) * r.sd / std::sqrt(static_cast<double>(r.n));
  r.low = r.mean - half;
  r.high = r.mean + half;
  return r;
}

}  // namespace audiorium::eval
