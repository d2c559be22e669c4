#include "recommend/tag_learner.h"

#include <algorithm>

namespace audiorium::recommend {

namespace {
double project(const std::vector<float>& v, const std::vector<float>& mean, const std::vector<float>& d) {
  double s = 0;
  for (std::size_t i = 0; i < d.size() && i < v.size(); ++i) s += (static_cast<double>(v[i]) - mean[i]) * d[i];
  return s;
}

double percentile(const std::vector<double>& sorted, double x) {
  if (sorted.empty()) return 0.5;
  const auto lo = std::lower_bound(sorted.begin(), sorted.end(), x) - sorted.begin();
  const auto hi = std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin();
  return (static_cast<double>(lo + hi) / 2.0) / static_cast<double>(sorted.size());
}
}  // namespace

TagModel TagModel::fit(const std::vector<std::vector<float>>& vectors, const std::vector<std::set<std::string>>& tags,
                       const TagLearnerOptions& options) {
  TagModel m;
  const std::size_t n = vectors.size();
  if (n == 0 || tags.size() != n) return m;
  const std::size_t dim = vectors[0].size();
  m.mean_.assign(dim, 0.0f);
  for (const auto& v : vectors)
    for (std::size_t i = 0; i < dim; ++i) m.mean_[i] += v[i] / static_cast<float>(n);

  std::map<std::string, std::vector<std::size_t>> carriers;
  for (std::size_t t = 0; t < n; ++t)
    for (const auto& w : tags[t]) carriers[w].push_back(t);

  for (const auto& [word, members] : carriers) {
    const std::size_t support = members.size();
    if (static_cast<int>(support) < options.min_tracks) continue;
    if (static_cast<double>(support) > options.max_share * static_cast<double>(n)) continue;
    Direction dir;
    dir.support = support;
    dir.d.assign(dim, 0.0f);
    for (std::size_t t : members)
      for (std::size_t i = 0; i < dim; ++i) dir.d[i] += (vectors[t][i] - m.mean_[i]) / static_cast<float>(support);
    const auto shrink = static_cast<float>(static_cast<double>(support) / (static_cast<double>(support) + options.shrinkage));
    for (float& x : dir.d) x *= shrink;
    dir.projections.reserve(n);
    for (const auto& v : vectors) dir.projections.push_back(project(v, m.mean_, dir.d));
    dir.sorted_projections = dir.projections;
    std::sort(dir.sorted_projections.begin(), dir.sorted_projections.end());
    m.directions_.emplace(word, std::move(dir));
  }
  return m;
}

std::vector<std::string> TagModel::words() const {
  std::vector<std::string> out;
  for (const auto& [w, d] : directions_) out.push_back(w);
  return out;
}

std::size_t TagModel::support(const std::string& word) const {
  const auto it = directions_.find(word);
  return it == directions_.end() ? 0 : it->second.support;
}

std::optional<std::vector<double>> TagModel::affinity(const std::string& word) const {
  const auto it = directions_.find(word);
  if (it == directions_.end()) return std::nullopt;
  std::vector<double> out;
  out.reserve(it->second.projections.size());
  for (double p : it->second.projections) out.push_back(percentile(it->second.sorted_projections, p));
  return out;
}

std::optional<double> TagModel::affinity_of(const std::string& word, const std::vector<float>& vector) const {
  const auto it = directions_.find(word);
  if (it == directions_.end()) return std::nullopt;
  return percentile(it->second.sorted_projections, project(vector, mean_, it->second.d));
}

}  // namespace audiorium::recommend
