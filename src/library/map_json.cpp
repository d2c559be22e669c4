#include "library/map_json.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "features/descriptors.h"

namespace audiorium::library {

using nlohmann::json;

namespace {

// Dividing by an exact whole number gives the double nearest to the decimal, which prints short ("0.1234").
double rounded(double v, double step) {
  if (step >= 1) return std::round(v / step) * step;
  const double inverse = std::round(1 / step);
  return std::round(v * inverse) / inverse;
}

struct NumberField {
  const char* name;
  const char* label;
  const char* unit;
  double step;  // rounding: finer than anyone can see on a colour scale
};

// The descriptors worth colouring by (stored names, features/descriptors.h).
constexpr std::array<NumberField, 9> kDescriptorFields{{
    {"tempo_bpm", "Tempo", "BPM", 0.1},
    {"energy_db", "Energy", "dBFS", 0.01},
    {"loudness_lufs", "Loudness", "LUFS", 0.01},
    {"brightness_hz", "Brightness", "Hz", 1},
    {"percussiveness", "Percussiveness", "", 0.001},
    {"tonalness", "Tonalness", "", 0.001},
    {"dynamic_range_db", "Dynamic range", "dB", 0.01},
    {"onset_rate", "Onset rate", "per s", 0.01},
    {"key_strength", "Key clarity", "", 0.001},
}};

// Dictionary-codes one tag: categories ordered by frequency (then name), codes per row.
void category_column(const std::vector<std::string>& values, const char* name, const char* label, json& fields,
                     json& columns) {
  std::unordered_map<std::string, std::size_t> counts;
  for (const auto& v : values) ++counts[v];
  std::vector<std::pair<std::string, std::size_t>> order(counts.begin(), counts.end());
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
  std::unordered_map<std::string, int> code;
  json categories = json::array();
  for (const auto& [v, n] : order) {
    code.emplace(v, static_cast<int>(categories.size()));
    categories.push_back(v);
  }
  json column = json::array();
  for (const auto& v : values) column.push_back(code.at(v));
  fields.push_back({{"name", name}, {"label", label}, {"kind", "category"}, {"categories", std::move(categories)}});
  columns[name] = std::move(column);
}

}  // namespace

json map_json(const LibraryMap& map) {
  const auto& p = map.projection;
  const std::size_t n = map.tracks.size();
  json columns = json::object();
  json fields = json::array();

  json ids = json::array(), titles = json::array(), durations = json::array();
  for (const auto& t : map.tracks) {
    ids.push_back(t.id);
    titles.push_back(t.display_title());
    durations.push_back(rounded(t.duration_s, 0.1));
  }
  columns["id"] = std::move(ids);
  columns["title"] = std::move(titles);
  columns["duration_s"] = std::move(durations);
  json xyz = json::array(), xy = json::array();
  for (float v : p.xyz) xyz.push_back(rounded(v, 1e-4));
  for (float v : p.xy) xy.push_back(rounded(v, 1e-4));
  columns["xyz"] = std::move(xyz);
  columns["xy"] = std::move(xy);

  auto tag_column = [&](const char* name, const char* label, const std::function<std::string(const catalog::Track&)>& get) {
    std::vector<std::string> values;
    values.reserve(n);
    for (const auto& t : map.tracks) values.push_back(get(t));
    category_column(values, name, label, fields, columns);
  };
  tag_column("artist", "Artist", [](const catalog::Track& t) { return t.tags.artist; });
  tag_column("album", "Album", [](const catalog::Track& t) { return t.tags.album; });
  tag_column("genre", "Genre", [](const catalog::Track& t) { return t.tags.genre; });

  for (const auto& f : kDescriptorFields) {
    json column = json::array();
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& d : map.descriptors) {
      const auto it = d.find(f.name);
      // A tempo of 0 means "no pulse" (features/descriptors.h): no value, not the slowest.
      const bool no_pulse = it != d.end() && std::string_view(f.name) == "tempo_bpm" && it->second <= 0;
      if (it == d.end() || !std::isfinite(it->second) || no_pulse) {
        column.push_back(nullptr);
        continue;
      }
      const double v = rounded(it->second, f.step);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      column.push_back(v);
    }
    if (lo > hi) continue;  // no track has it
    fields.push_back({{"name", f.name}, {"label", f.label}, {"kind", "number"}, {"unit", f.unit}, {"min", lo}, {"max", hi}});
    columns[f.name] = std::move(column);
  }

  // Key and mode as categories: pitch classes in order, so neighbouring keys get neighbouring colours.
  {
    static const char* const kNames[] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
    json key = json::array(), mode = json::array();
    bool any = false;
    for (const auto& d : map.descriptors) {
      const auto k = d.find("key"), m = d.find("mode");
      key.push_back(k != d.end() && k->second >= 0 && k->second < 12 ? json(static_cast<int>(k->second)) : json());
      mode.push_back(m != d.end() ? json(m->second >= 0.5 ? 1 : 0) : json());
      any = any || k != d.end();
    }
    if (any) {
      fields.push_back({{"name", "key"}, {"label", "Key"}, {"kind", "category"}, {"categories", kNames}});
      fields.push_back({{"name", "mode"}, {"label", "Mode"}, {"kind", "category"}, {"categories", {"minor", "major"}}});
      columns["key"] = std::move(key);
      columns["mode"] = std::move(mode);
    }
  }

  {
    json year = json::array();
    int lo = 1 << 30, hi = 0;
    for (const auto& t : map.tracks) {
      if (t.tags.year > 0) {
        year.push_back(t.tags.year);
        lo = std::min(lo, t.tags.year);
        hi = std::max(hi, t.tags.year);
      } else {
        year.push_back(nullptr);
      }
    }
    if (hi > 0) {
      fields.push_back({{"name", "year"}, {"label", "Year"}, {"kind", "number"}, {"unit", ""}, {"min", lo}, {"max", hi}});
      columns["year"] = std::move(year);
    }
  }

  json explained = json::array();
  for (float v : p.explained_variance) explained.push_back(rounded(v, 1e-4));
  return {{"generation", map.generation},
          {"count", n},
          {"projection", {{"method", "pca"}, {"explained_variance", std::move(explained)},
                          {"seconds", map.projection_seconds}}},
          {"colour_fields", std::move(fields)},
          {"tracks", std::move(columns)}};
}

}  // namespace audiorium::library
