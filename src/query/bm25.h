// BM25 over short fielded documents (a track's title, artist, album, genre, comment), for the free words of a
// text query. Field weights scale term frequency and length (a simple BM25F): a word in the genre field at
// weight 2.0 counts twice as much as one in the title at weight 1.0. k1 = 1.2, b = 0.75,
// idf = ln(1 + (N - df + 0.5) / (df + 0.5)) (never negative).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace audiorium::query {

// Lower-case, common Latin accents folded to ASCII ("Beyoncé" -> "beyonce"), apostrophes inside words dropped
// ("don't" -> "dont"), split on everything else that is not a letter or digit; one-character tokens are
// dropped unless they are a digit. Letters of other scripts are kept. Never throws.
std::vector<std::string> tokenize(std::string_view text);

class Bm25Index {
 public:
  static constexpr double k1 = 1.2;
  static constexpr double b = 0.75;

  // fields: (text, weight); fields with weight <= 0 are ignored. Throws audiorium::Error when doc_id was
  // already added.
  void add(int64_t doc_id, const std::vector<std::pair<std::string, double>>& fields);
  // Compacts storage; optional (score() is valid after any add), kept so callers can mark the end of loading.
  void finalize();

  // Documents with score > 0, best first (ties: smaller id first). Terms are normalised with tokenize() and
  // repeated terms count once.
  std::vector<std::pair<int64_t, double>> score(const std::vector<std::string>& terms) const;

  bool has_term(const std::string& term) const;
  std::size_t doc_freq(const std::string& term) const;
  // Terms in at least min_doc_freq documents, sorted.
  std::vector<std::string> vocabulary(std::size_t min_doc_freq) const;
  std::size_t size() const { return ids_.size(); }

 private:
  struct Posting {
    uint32_t doc;  // index into ids_
    double tf;     // field-weighted term frequency
  };
  std::vector<int64_t> ids_;
  std::vector<double> lengths_;  // field-weighted token counts
  double total_length_ = 0;
  std::unordered_map<std::string, std::vector<Posting>> postings_;
  std::unordered_map<int64_t, uint32_t> index_of_;
};

}  // namespace audiorium::query
