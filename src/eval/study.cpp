#include "eval/study.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "core/ascii.h"
#include "core/error.h"

namespace audiorium::eval {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void write_file(const fs::path& path, const std::string& content, std::vector<fs::path>& written) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) throw Error("cannot write " + path.string());
  written.push_back(path);
}

// A CSV with a header, read record by record: columns by lower-cased name, each row with its first line.
struct CsvTable {
  std::map<std::string, std::size_t> column;
  std::size_t width = 0;
  struct Row {
    std::size_t line;
    std::vector<std::string> fields;
  };
  std::vector<Row> rows;
  std::vector<CsvProblem> problems;
};

CsvTable read_table(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read " + file.string());
  CsvTable t;
  std::vector<std::string> fields;
  std::size_t line = 0, used = 0;
  bool header = true;
  while (in) {
    const std::size_t first = line + 1;
    const bool ok = split_csv_record(in, fields, used);
    line += used;
    if (used == 0) break;
    if (!ok) {
      t.problems.push_back({first, "unterminated quote; row skipped"});
      break;
    }
    if (std::all_of(fields.begin(), fields.end(), [](const auto& f) { return trim_ascii_space(f).empty(); })) continue;
    if (header) {
      for (std::size_t i = 0; i < fields.size(); ++i) t.column[ascii_lower(trim_ascii_space(fields[i]))] = i;
      t.width = fields.size();
      header = false;
      continue;
    }
    if (fields.size() != t.width) {
      t.problems.push_back({first, "expected " + std::to_string(t.width) + " fields, found " +
                                       std::to_string(fields.size()) + "; row skipped"});
      continue;
    }
    t.rows.push_back({first, fields});
  }
  if (header) throw Error(file.string() + " is empty (it needs a header row)");
  return t;
}

std::size_t need(const CsvTable& t, const std::string& name, const fs::path& file) {
  const auto it = t.column.find(name);
  if (it == t.column.end()) throw Error(file.string() + " has no '" + name + "' column");
  return it->second;
}

std::optional<int> likert(const std::string& text) {
  const auto v = trim_ascii_space(text);
  int x = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || x < 1 || x > 5) return std::nullopt;
  return x;
}

}  // namespace

StudyExport export_study(library::Library& lib, const StudyOptions& o, const LabelsFile* labels, const fs::path& dir) {
  if (o.seed_tracks < 1 || o.length < 1) throw Error("study: --n and --length must be at least 1");
  SystemsUnderTest systems(lib, labels);
  const auto& ids = systems.tracks();
  if (ids.size() < 2) throw Error("study: the library needs at least two indexed tracks");
  StudyExport result;
  result.systems = systems.names();

  // Seed tracks and the codes' order, both from the seed with our own index arithmetic (see protocol.h).
  std::mt19937_64 rng(o.seed ^ 0x7374756479ULL);  // "study"
  std::vector<int64_t> seeds = ids;
  const std::size_t m = std::min(seeds.size(), static_cast<std::size_t>(o.seed_tracks));
  for (std::size_t i = 0; i < m; ++i) std::swap(seeds[i], seeds[i + rng() % (seeds.size() - i)]);
  seeds.resize(m);

  struct Playlist {
    std::string system;
    int64_t seed;
    std::vector<int64_t> tracks;
  };
  std::vector<Playlist> playlists;
  for (std::size_t q = 0; q < seeds.size(); ++q) {
    const auto lists = systems.lists_for_track(seeds[q], o.systems, o.length, rng());
    for (std::size_t s = 0; s < lists.size(); ++s) playlists.push_back({result.systems[s], seeds[q], lists[s]});
  }
  std::vector<std::size_t> order(playlists.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (std::size_t i = 0; i + 1 < order.size(); ++i) std::swap(order[i], order[i + rng() % (order.size() - i)]);

  std::error_code ec;
  fs::create_directories(dir / "playlists", ec);
  if (ec) throw Error("cannot create " + (dir / "playlists").string() + ": " + ec.message());
  auto& cat = lib.catalog();
  std::string lists_csv = "playlist,position,track_id,title,artist,album,path\n";
  std::string key_csv = "playlist,system,seed_track_id,seed_title\n";
  std::string template_csv = "participant,playlist,diversity,likability\n";
  for (std::size_t c = 0; c < order.size(); ++c) {
    const auto& pl = playlists[order[c]];
    char code[32];
    std::snprintf(code, sizeof code, "P%03zu", c + 1);
    std::string m3u = "#EXTM3U\n";
    std::vector<int64_t> all{pl.seed};
    all.insert(all.end(), pl.tracks.begin(), pl.tracks.end());
    for (std::size_t pos = 0; pos < all.size(); ++pos) {
      const auto t = cat.track(all[pos]);
      if (!t) continue;
      lists_csv += std::string(code) + "," + std::to_string(pos) + "," + std::to_string(t->id) + "," +
                   csv_field(t->display_title()) + "," + csv_field(t->tags.artist) + "," + csv_field(t->tags.album) + "," +
                   csv_field(t->path) + "\n";
      m3u += "#EXTINF:" + std::to_string(static_cast<long>(t->duration_s)) + "," + t->tags.artist +
             (t->tags.artist.empty() ? "" : " - ") + t->display_title() + "\n" + t->path + "\n";
    }
    const auto seed_track = cat.track(pl.seed);
    key_csv += std::string(code) + "," + pl.system + "," + std::to_string(pl.seed) + "," +
               csv_field(seed_track ? seed_track->display_title() : "") + "\n";
    template_csv += std::string(",") + code + ",,\n";
    write_file(dir / "playlists" / (std::string(code) + ".m3u"), m3u, result.files);
  }
  write_file(dir / "playlists.csv", lists_csv, result.files);
  write_file(dir / "ratings_template.csv", template_csv, result.files);
  write_file(dir / "key.csv", key_csv, result.files);
  write_file(dir / "README.txt",
             "Audiorium listening study\n\n"
             "Give participants playlists.csv and the playlists/ folder (each playlist starts with its seed track,\n"
             "position 0). Each participant fills in a copy of ratings_template.csv: their name or code in\n"
             "'participant', and for every playlist 'diversity' and 'likability' from 1 (lowest) to 5 (highest).\n"
             "Concatenate the filled-in rows into one ratings.csv (one header) and run\n"
             "    audiorium study import ratings.csv --key key.csv\n"
             "key.csv says which system made each playlist: keep it away from participants.\n",
             result.files);
  result.playlists = playlists.size();
  return result;
}

StudyResult import_ratings(const fs::path& ratings, const fs::path& key) {
  StudyResult r;
  const auto k = read_table(key);
  const auto kp = need(k, "playlist", key), ks = need(k, "system", key);
  std::map<std::string, std::string> system_of;
  for (const auto& row : k.rows) system_of[trim_ascii_space(row.fields[kp])] = trim_ascii_space(row.fields[ks]);
  for (const auto& p : k.problems) r.problems.push_back({p.line, key.filename().string() + ": " + p.message});

  const auto t = read_table(ratings);
  const auto cp = need(t, "playlist", ratings), cd = need(t, "diversity", ratings), cl = need(t, "likability", ratings);
  const auto part = t.column.find("participant");
  r.problems.insert(r.problems.end(), t.problems.begin(), t.problems.end());
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> values;
  std::set<std::string> participants;
  for (const auto& row : t.rows) {
    const auto code = trim_ascii_space(row.fields[cp]);
    const auto it = system_of.find(code);
    if (it == system_of.end()) {
      r.problems.push_back({row.line, "unknown playlist '" + code + "' (not in the key); row skipped"});
      continue;
    }
    const auto d = likert(row.fields[cd]), l = likert(row.fields[cl]);
    if (!d || !l) {
      r.problems.push_back({row.line, "diversity and likability must be whole numbers from 1 to 5 (found '" +
                                          trim_ascii_space(row.fields[cd]) + "', '" + trim_ascii_space(row.fields[cl]) + "'); row skipped"});
      continue;
    }
    values[it->second].first.push_back(*d);
    values[it->second].second.push_back(*l);
    if (part != t.column.end()) participants.insert(trim_ascii_space(row.fields[part->second]));
    ++r.ratings;
  }
  std::sort(r.problems.begin(), r.problems.end(), [](const CsvProblem& a, const CsvProblem& b) { return a.line < b.line; });
  for (const auto& [system, v] : values) r.systems.push_back({system, mean_ci95(v.first), mean_ci95(v.second)});
  r.participants = participants.size();
  return r;
}

json to_json(const StudyResult& r) {
  auto ci = [](const MeanCi& m) {
    return json{{"n", m.n}, {"mean", m.mean}, {"sd", m.sd}, {"ci95", {m.low, m.high}}};
  };
  json systems = json::array();
  for (const auto& s : r.systems) systems.push_back({{"system", s.system}, {"diversity", ci(s.diversity)}, {"likability", ci(s.likability)}});
  json problems = json::array();
  for (const auto& p : r.problems) problems.push_back({{"line", p.line}, {"message", p.message}});
  return {{"ratings", r.ratings}, {"participants", r.participants}, {"systems", systems}, {"problems", problems}};
}

}  // namespace audiorium::eval
