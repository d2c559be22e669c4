#include "query/bm25.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_set>

#include "core/error.h"
#include "query/text.h"

namespace audiorium::query {

std::vector<std::string> tokenize(std::string_view text) {
  std::vector<std::string> out;
  for (auto& t : detail::scan(text, false)) {
    if (t.kind == detail::TokenKind::Word && detail::utf8_length(t.text) < 2) continue;
    out.push_back(std::move(t.text));
  }
  return out;
}

void Bm25Index::add(int64_t doc_id, const std::vector<std::pair<std::string, double>>& fields) {
  if (index_of_.count(doc_id)) throw Error("Bm25Index: document " + std::to_string(doc_id) + " added twice");
  const auto doc = static_cast<uint32_t>(ids_.size());
  std::map<std::string, double> tf;
  double length = 0;
  for (const auto& [text, weight] : fields) {
    if (!(weight > 0)) continue;
    for (auto& token : tokenize(text)) {
      tf[std::move(token)] += weight;
      length += weight;
    }
  }
  ids_.push_back(doc_id);
  lengths_.push_back(length);
  total_length_ += length;
  index_of_.emplace(doc_id, doc);
  for (auto& [term, f] : tf) postings_[term].push_back({doc, f});
}

void Bm25Index::finalize() {
  for (auto& [term, list] : postings_) list.shrink_to_fit();
  ids_.shrink_to_fit();
  lengths_.shrink_to_fit();
}

std::vector<std::pair<int64_t, double>> Bm25Index::score(const std::vector<std::string>& terms) const {
  std::vector<std::pair<int64_t, double>> out;
  if (ids_.empty()) return out;
  const auto n = static_cast<double>(ids_.size());
  const double avgdl = total_length_ > 0 ? total_length_ / n : 1.0;

  std::unordered_set<std::string> seen;
  std::unordered_map<uint32_t, double> acc;
  for (const auto& raw : terms) {
    for (auto& term : tokenize(raw)) {
      if (!seen.insert(term).second) continue;
      const auto it = postings_.find(term);
      if (it == postings_.end()) continue;
      const auto df = static_cast<double>(it->second.size());
      const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
      for (const auto& p : it->second) {
        const double norm = k1 * (1.0 - b + b * lengths_[p.doc] / avgdl);
        acc[p.doc] += idf * p.tf * (k1 + 1.0) / (p.tf + norm);
      }
    }
  }
  out.reserve(acc.size());
  for (const auto& [doc, s] : acc)
    if (s > 0) out.emplace_back(ids_[doc], s);
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  return out;
}

bool Bm25Index::has_term(const std::string& term) const { return postings_.count(term) > 0; }

std::size_t Bm25Index::doc_freq(const std::string& term) const {
  const auto it = postings_.find(term);
  return it == postings_.end() ? 0 : it->second.size();
}

std::vector<std::string> Bm25Index::vocabulary(std::size_t min_doc_freq) const {
  std::vector<std::string> out;
  for (const auto& [term, list] : postings_)
    if (list.size() >= min_doc_freq) out.push_back(term);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace audiorium::query
