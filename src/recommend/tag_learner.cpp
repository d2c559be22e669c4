#include "recommend/tag_learner.h"

#include "recommend/percentile.h"

#include <algorithm>

namespace audiorium::recommend {

namespace {
double project(const std::vector<float>& v, const std::vector<float>& mean, const std::vector<float>& d) {
  double s = 0;
  for (std::size_t i = 0; i < d.size() && i < v.size(); ++i) s += (static_cast<double>(v[i]) - mean[i]) * d[i];
  return s;
}
}  // namespace

TagModel TagModel::fit(const std::vector<std::vector<float>>& vectors, const std::vector<std::set<std::string>>& tags,
                       const TagLearnerOptions& options) {
  TagModel m;
  const std::size_t n = vectors.size();
  if (n == 0 || tags.size() != n) return m;
  const std::size_t dim = vectors[0].size();
  m.vectors_ = std::make_shared<const std::vector<std::vector<float>>>(vectors);
  m.shrinkage_ = options.shrinkage;
  m.mean_.assign(dim, 0.0f);
  for (const auto& v : vectors)
    for (std::size_t i = 0; i < dim; ++i) m.mean_[i] += v[i] / static_cast<float>(n);
  std::map<std::string, std::vector<std::size_t>> carriers;
  for (std::size_t t = 0; t < n; ++t)
    for (const auto& w : tags[t]) carriers[w].push_back(t);
  for (auto& [word, members] : carriers) {
    if (static_cast<int>(members.size()) < options.min_tracks) continue;
    if (static_cast<double>(members.size()) > options.max_share * static_cast<double>(n)) continue;
    m.members_.emplace(word, std::move(members));
  }
  return m;
}

const TagModel::Direction& TagModel::direction(const std::string& word) const {
  std::lock_guard lock(*cache_mutex_);
  if (const auto it = cache_.find(word); it != cache_.end()) return it->second;
  const auto& members = members_.at(word);
  const auto& vectors = *vectors_;
  const std::size_t dim = mean_.size();
  Direction dir;
  dir.d.assign(dim, 0.0f);
  const auto support = static_cast<float>(members.size());
  for (std::size_t t : members)
    for (std::size_t i = 0; i < dim; ++i) dir.d[i] += (vectors[t][i] - mean_[i]) / support;
  const auto shrink = static_cast<float>(members.size() / (members.size() + shrinkage_));
  for (float& x : dir.d) x *= shrink;
  dir.projections.reserve(vectors.size());
  for (const auto& v : vectors) dir.projections.push_back(project(v, mean_, dir.d));
  dir.sorted_projections = dir.projections;
  std::sort(dir.sorted_projections.begin(), dir.sorted_projections.end());
  return cache_.emplace(word, std::move(dir)).first->second;
}

std::vector<std::string> TagModel::words() const {
  std::vector<std::string> out;
  for (const auto& [w, m] : members_) out.push_back(w);
  return out;
}

std::size_t TagModel::support(const std::string& word) const {
  const auto it = members_.find(word);
  return it == members_.end() ? 0 : it->second.size();
}

std::optional<std::vector<double>> TagModel::affinity(const std::string& word) const {
  if (!knows(word)) return std::nullopt;
  const auto& dir = direction(word);
  std::vector<double> out;
  out.reserve(dir.projections.size());
  for (double p : dir.projections) out.push_back(midrank_percentile(dir.sorted_projections, p));
  return out;
}

std::optional<double> TagModel::affinity_of(const std::string& word, const std::vector<float>& vector) const {
  if (!knows(word)) return std::nullopt;
  const auto& dir = direction(word);
  return midrank_percentile(dir.sorted_projections, project(vector, mean_, dir.d));
}

}  // namespace audiorium::recommend
