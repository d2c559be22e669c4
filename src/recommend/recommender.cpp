#include "recommend/recommender.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace audiorium::recommend {

Recommender::Recommender(const index::VectorIndex& index, const TrackSource& source) : index_(index), source_(source) {}

std::optional<std::vector<float>> Recommender::vector_of(int64_t id) const {
  if (auto v = source_.embedding(id)) return v;
  return index_.vector(id);
}

std::vector<Candidate> Recommender::nearest(std::span<const float> query, int n,
                                            const std::unordered_set<int64_t>& exclude) const {
  if (n <= 0) throw Error("nearest: n must be positive, got " + std::to_string(n));
  const std::size_t size = index_.size();
  if (size == 0) return {};
  const auto want = static_cast<std::size_t>(n);
  std::size_t ask = std::min(size, want + exclude.size());
  std::vector<Candidate> out;
  for (;;) {
    out.clear();
    for (const auto& hit : index_.search(query, static_cast<int>(ask))) {
      if (exclude.count(hit.id) == 0) out.push_back({hit.id, hit.score});
      if (out.size() == want) break;
    }
    // A whole-index request is exact (see VectorIndex::search), so after it there is nothing more.
    if (out.size() >= want || ask >= size) break;
    ask = std::min(size, ask * 2);
  }
  return out;
}

std::vector<Candidate> Recommender::similar(int64_t seed_id, const OrderingOptions& options) const {
  const std::size_t pool = pool_size(options);  // validates before any work
  const auto seed = vector_of(seed_id);
  if (!seed) throw Error("track " + std::to_string(seed_id) + " is not in the index");
  std::unordered_set<int64_t> exclude{seed_id};
  for (int64_t dup : source_.duplicates_of(seed_id)) exclude.insert(dup);
  const int n = static_cast<int>(std::min<std::size_t>(pool, std::max<std::size_t>(index_.size(), 1)));
  return rule_based_order(nearest(*seed, n, exclude), options);
}

namespace {

// splitmix64: turns (seed, step) into well-spread engine seeds, so consecutive steps are independent.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

QueueSession::QueueSession(const Recommender& recommender, const TrackSource& source, int64_t seed_id,
                           QueueOptions options)
    : recommender_(recommender), source_(source), options_(std::move(options)) {
  pool_size(options_.ordering);  // validates
  if (!(options_.drift >= 0.0 && options_.drift <= 1.0))
    throw Error("queue: drift must be in [0, 1], got " + std::to_string(options_.drift));
  if (options_.artist_cooldown < 0) throw Error("queue: artist_cooldown must not be negative");
  auto seed = recommender_.vector_of(seed_id);
  if (!seed) throw Error("track " + std::to_string(seed_id) + " is not in the index");
  seed_vector_ = *seed;
  current_vector_ = std::move(*seed);
  mark_played(seed_id);
}

void QueueSession::mark_played(int64_t id) {
  played_.insert(id);
  for (int64_t dup : source_.duplicates_of(id)) played_.insert(dup);
  if (options_.artist_cooldown == 0) return;
  recent_artists_.push_back(source_.artist_of(id));
  while (recent_artists_.size() > static_cast<std::size_t>(options_.artist_cooldown)) recent_artists_.pop_front();
}

bool QueueSession::cooling_down(int64_t id) const {
  if (recent_artists_.empty()) return false;
  const std::string artist = source_.artist_of(id);
  return !artist.empty() && std::find(recent_artists_.begin(), recent_artists_.end(), artist) != recent_artists_.end();
}

std::optional<Candidate> QueueSession::next() {
  if (exhausted_) return std::nullopt;

  std::vector<float> query(seed_vector_.size());
  const auto drift = static_cast<float>(options_.drift);
  for (std::size_t i = 0; i < query.size(); ++i)
    query[i] = (1.0f - drift) * seed_vector_[i] + drift * current_vector_[i];
  index::l2_normalise(query);
  if (std::all_of(query.begin(), query.end(), [](float x) { return x == 0.0f; })) query = current_vector_;

  // The pool is the nearest unplayed tracks whose artist is not cooling down; widen the search until
  // it is full or the library has no more. If only cooling-down artists remain, the rule yields.
  const std::size_t pool = pool_size(options_.ordering);
  const std::size_t library = recommender_.index().size();
  std::size_t n = pool;
  std::vector<Candidate> candidates;
  std::vector<Candidate> allowed;
  for (;;) {
    candidates = recommender_.nearest(query, static_cast<int>(std::min(n, std::max<std::size_t>(library, 1))), played_);
    allowed.clear();
    for (const auto& c : candidates)
      if (!cooling_down(c.id)) allowed.push_back(c);
    if (allowed.size() >= pool || candidates.size() < n || n >= library) break;
    n *= 2;
  }
  if (candidates.empty()) {
    exhausted_ = true;
    return std::nullopt;
  }
  if (allowed.empty()) allowed = std::move(candidates);

  OrderingOptions ordering = options_.ordering;
  ordering.seed = mix(options_.ordering.seed ^ mix(step_++));
  const Candidate pick = rule_based_order(std::move(allowed), ordering).front();
  mark_played(pick.id);
  if (auto v = recommender_.vector_of(pick.id)) current_vector_ = std::move(*v);
  return pick;
}

std::vector<Candidate> QueueSession::take(int n) {
  std::vector<Candidate> out;
  for (int i = 0; i < n; ++i) {
    auto c = next();
    if (!c) break;
    out.push_back(*c);
  }
  return out;
}

}  // namespace audiorium::recommend
