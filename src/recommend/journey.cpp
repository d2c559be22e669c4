#include "recommend/journey.h"

#include <cmath>
#include <optional>
#include <string>
#include <unordered_set>

#include "core/error.h"

namespace audiorium::recommend {

namespace {

double cosine(const std::vector<float>& x, const std::vector<float>& y) {
  double d = 0;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) d += double(x[i]) * y[i];
  return d;
}

std::vector<float> require_vector(const Recommender& recommender, int64_t id) {
  auto v = recommender.vector_of(id);
  if (!v) throw Error("track " + std::to_string(id) + " has no embedding (it has not been analysed)");
  return std::move(*v);
}

}  // namespace

std::vector<JourneyStep> journey(const Recommender& recommender, int64_t from, int64_t to, int length) {
  if (length < 2) throw Error("a journey needs at least 2 tracks (got " + std::to_string(length) + ")");
  const auto a = require_vector(recommender, from);
  const auto b = require_vector(recommender, to);
  std::vector<JourneyStep> path{{from, 1.0, cosine(a, b)}};
  if (from == to) return path;

  std::unordered_set<int64_t> used{from, to};
  std::vector<float> previous = a;
  for (int step = 1; step < length - 1; ++step) {
    const double t = static_cast<double>(step) / (length - 1);
    std::vector<float> q(a.size());
    double norm = 0;
    for (std::size_t i = 0; i < q.size(); ++i) {
      q[i] = static_cast<float>((1 - t) * a[i] + t * b[i]);
      norm += double(q[i]) * q[i];
    }
    if (norm <= 1e-12) q = t < 0.5 ? a : b;  // opposite ends: the midpoint has no direction
    else
      for (auto& x : q) x = static_cast<float>(x / std::sqrt(norm));
    const auto hit = recommender.nearest(q, 1, used);
    if (hit.empty()) break;  // no unused track left
    const int64_t id = hit.front().id;
    const auto v = recommender.vector_of(id);
    path.push_back({id, v ? cosine(previous, *v) : 0.0, v ? cosine(*v, b) : 0.0});
    if (v) previous = *v;
    used.insert(id);
  }
  path.push_back({to, cosine(previous, b), 1.0});
  return path;
}

}  // namespace audiorium::recommend
