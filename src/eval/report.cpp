#include "eval/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace audiorium::eval {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const char* const kColours[] = {"#3b6ea8", "#d9822b", "#4c9a5b", "#b8434a", "#7d5ba6", "#8c6d46"};

std::string fmt(double v, int decimals = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// A JSON number as text, "n/a" for null or missing.
std::string num(const json& j, int decimals = 3) {
  if (j.is_number()) return fmt(j.get<double>(), decimals);
  return "n/a";
}

const json& at(const json& j, const char* key) {
  static const json null_json;
  if (j.is_object()) {
    auto it = j.find(key);
    if (it != j.end()) return *it;
  }
  return null_json;
}

std::string svg_open(int w, int h) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + std::to_string(w) + " " + std::to_string(h) +
         "\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
}

std::string svg_text(double x, double y, const std::string& text, const std::string& extra = "") {
  return "<text x=\"" + fmt(x, 1) + "\" y=\"" + fmt(y, 1) + "\" " + extra + ">" + html_escape(text) + "</text>\n";
}

std::string svg_message(const std::string& title, const std::string& message) {
  return svg_open(520, 120) + svg_text(10, 24, title, "font-weight=\"bold\"") + svg_text(10, 60, message) + "</svg>\n";
}

// Axes for a plot area [x0, x1] × [y0, y1] in pixels, with ticks at the given data values.
struct Axes {
  double px0, px1, py0, py1;  // pixel box: left, right, bottom, top
  double dx0, dx1, dy0, dy1;  // data ranges
  double x(double v) const { return px0 + (v - dx0) / (dx1 - dx0) * (px1 - px0); }
  double y(double v) const { return py0 - (v - dy0) / (dy1 - dy0) * (py0 - py1); }
  // numeric_x = false for a categorical x axis (bars named below), which gets no numeric ticks.
  std::string draw(const std::string& xlabel, const std::string& ylabel, bool numeric_x = true, int ticks = 5) const {
    std::string s = "<g stroke=\"#999\" fill=\"none\"><line x1=\"" + fmt(px0, 1) + "\" y1=\"" + fmt(py0, 1) + "\" x2=\"" +
                    fmt(px1, 1) + "\" y2=\"" + fmt(py0, 1) + "\"/><line x1=\"" + fmt(px0, 1) + "\" y1=\"" + fmt(py0, 1) +
                    "\" x2=\"" + fmt(px0, 1) + "\" y2=\"" + fmt(py1, 1) + "\"/></g>\n";
    for (int i = 0; i <= ticks; ++i) {
      const double vx = dx0 + (dx1 - dx0) * i / ticks, vy = dy0 + (dy1 - dy0) * i / ticks;
      if (numeric_x) s += svg_text(x(vx), py0 + 16, fmt(vx, 2), "text-anchor=\"middle\" fill=\"#555\"");
      s += svg_text(px0 - 6, y(vy) + 4, fmt(vy, 2), "text-anchor=\"end\" fill=\"#555\"");
    }
    s += svg_text((px0 + px1) / 2, py0 + 34, xlabel, "text-anchor=\"middle\"");
    s += "<text transform=\"translate(" + fmt(px0 - 44, 1) + "," + fmt((py0 + py1) / 2, 1) +
         ") rotate(-90)\" text-anchor=\"middle\">" + html_escape(ylabel) + "</text>\n";
    return s;
  }
};

// Appends "x,y" to an SVG polyline's points.
void add_point(std::string& points, double x, double y) {
  if (!points.empty()) points += ' ';
  points += fmt(x, 1);
  points += ',';
  points += fmt(y, 1);
}

std::string table(const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& rows) {
  std::string s = "<table><thead><tr>";
  for (const auto& h : head) s += "<th>" + html_escape(h) + "</th>";
  s += "</tr></thead><tbody>\n";
  for (const auto& r : rows) {
    s += "<tr>";
    for (const auto& c : r) s += "<td>" + html_escape(c) + "</td>";
    s += "</tr>\n";
  }
  return s + "</tbody></table>\n";
}

std::string str(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "n/a";
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  return out;
}

std::string homogeneity_svg(const json& r) {
  const std::string title = "Label homogeneity: share of major-label artists in the top lists";
  std::vector<std::pair<std::string, double>> bars;
  for (const auto& s : at(r, "systems"))
    if (at(at(s, "homogeneity"), "share").is_number())
      bars.emplace_back(at(s, "name").get<std::string>(), at(at(s, "homogeneity"), "share").get<double>());
  if (bars.empty()) return svg_message(title, "Not computed: no recommended track has a known label class.");
  if (const auto& c = at(at(r, "catalog_homogeneity"), "share"); c.is_number()) bars.emplace_back("catalog", c.get<double>());
  const double baseline = at(at(r, "protocol"), "baseline").is_number() ? at(at(r, "protocol"), "baseline").get<double>() : 0.3;
  const int w = 120 + static_cast<int>(bars.size()) * 90, h = 300;
  Axes ax{70, static_cast<double>(w - 30), 250, 40, 0, static_cast<double>(bars.size()), 0, 1};
  std::string s = svg_open(w, h) + svg_text(10, 20, title, "font-weight=\"bold\"");
  s += ax.draw("", "share of majors", /*numeric_x=*/false);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const double x0 = ax.x(static_cast<double>(i) + 0.15), x1 = ax.x(static_cast<double>(i) + 0.85);
    const double y = ax.y(bars[i].second);
    const std::string colour = bars[i].first == "catalog" ? "#aaaaaa" : kColours[i % 6];
    s += "<rect x=\"" + fmt(x0, 1) + "\" y=\"" + fmt(y, 1) + "\" width=\"" + fmt(x1 - x0, 1) + "\" height=\"" +
         fmt(ax.py0 - y, 1) + "\" fill=\"" + colour + "\"/>\n";
    s += svg_text((x0 + x1) / 2, y - 4, fmt(bars[i].second, 2), "text-anchor=\"middle\"");
    s += svg_text((x0 + x1) / 2, ax.py0 + 16, bars[i].first, "text-anchor=\"middle\"");
  }
  s += "<line x1=\"" + fmt(ax.px0, 1) + "\" x2=\"" + fmt(ax.px1, 1) + "\" y1=\"" + fmt(ax.y(baseline), 1) + "\" y2=\"" +
       fmt(ax.y(baseline), 1) + "\" stroke=\"#b8434a\" stroke-dasharray=\"6 4\"/>\n";
  s += svg_text(ax.px1, ax.y(baseline) - 5, "baseline " + fmt(baseline, 2), "text-anchor=\"end\" fill=\"#b8434a\"");
  return s + "</svg>\n";
}

std::string tradeoff_svg(const json& r) {
  const std::string title = "Precision@k against intra-list diversity, across τ (rule) and λ (MMR)";
  struct Point {
    double x, y;
    std::string label;
  };
  std::vector<std::pair<std::string, std::vector<Point>>> series;
  for (const auto& [name, key, sym] : {std::tuple{"rule (τ)", "rule", "tau"}, std::tuple{"mmr (λ)", "mmr", "lambda"}}) {
    std::vector<Point> pts;
    for (const auto& p : at(at(r, "tradeoff"), key))
      if (at(p, "precision_at_k").is_number() && at(p, "ild").is_number())
        pts.push_back({at(p, "ild").get<double>(), at(p, "precision_at_k").get<double>(), fmt(at(p, sym).get<double>(), 2)});
    if (!pts.empty()) series.emplace_back(name, pts);
  }
  if (series.empty()) return svg_message(title, "Not computed: precision needs styles (labels file or genre tags).");
  double x0 = 1e9, x1 = -1e9;
  for (const auto& [_, pts] : series)
    for (const auto& p : pts) {
      x0 = std::min(x0, p.x);
      x1 = std::max(x1, p.x);
    }
  const double pad = std::max(0.02, (x1 - x0) * 0.1);
  x0 = std::max(0.0, x0 - pad);
  x1 = x1 + pad;
  Axes ax{70, 560, 300, 40, x0, x1, 0, 1};
  std::string s = svg_open(600, 350) + svg_text(10, 20, title, "font-weight=\"bold\"");
  s += ax.draw("intra-list diversity (mean cosine distance)", "precision@k (same style)");
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& [name, pts] = series[i];
    std::string path;
    for (const auto& p : pts) add_point(path, ax.x(p.x), ax.y(p.y));
    s += "<polyline fill=\"none\" stroke=\"" + std::string(kColours[i]) + "\" stroke-width=\"2\" points=\"" + path + "\"/>\n";
    for (const auto& p : pts) {
      s += "<circle cx=\"" + fmt(ax.x(p.x), 1) + "\" cy=\"" + fmt(ax.y(p.y), 1) + "\" r=\"3.5\" fill=\"" + kColours[i] + "\"/>\n";
      s += svg_text(ax.x(p.x) + 5, ax.y(p.y) - 5, p.label, "font-size=\"10\" fill=\"" + std::string(kColours[i]) + "\"");
    }
    s += svg_text(420, 60 + 16.0 * static_cast<double>(i), name, "fill=\"" + std::string(kColours[i]) + "\"");
  }
  return s + "</svg>\n";
}

std::string lorenz_svg(const json& r) {
  const std::string title = "Exposure Lorenz curves over tracks (all k-lists of the protocol)";
  if (at(r, "systems").empty()) return svg_message(title, "Not computed: no lists (the library has fewer than two indexed tracks).");
  Axes ax{70, 400, 380, 40, 0, 1, 0, 1};
  std::string s = svg_open(600, 430) + svg_text(10, 20, title, "font-weight=\"bold\"");
  s += ax.draw("share of tracks (least exposed first)", "share of exposure");
  s += "<line x1=\"" + fmt(ax.x(0), 1) + "\" y1=\"" + fmt(ax.y(0), 1) + "\" x2=\"" + fmt(ax.x(1), 1) + "\" y2=\"" +
       fmt(ax.y(1), 1) + "\" stroke=\"#bbb\" stroke-dasharray=\"4 4\"/>\n";
  std::size_t i = 0;
  for (const auto& sys : at(r, "systems")) {
    std::string path;
    for (const auto& p : at(sys, "lorenz_tracks")) add_point(path, ax.x(p[0].get<double>()), ax.y(p[1].get<double>()));
    s += "<polyline fill=\"none\" stroke=\"" + std::string(kColours[i % 6]) + "\" stroke-width=\"2\" points=\"" + path + "\"/>\n";
    s += svg_text(420, 80 + 18.0 * static_cast<double>(i),
                  at(sys, "name").get<std::string>() + "  Gini " + num(at(at(sys, "gini"), "tracks"), 2),
                  "fill=\"" + std::string(kColours[i % 6]) + "\"");
    ++i;
  }
  s += svg_text(420, 80 + 18.0 * static_cast<double>(i), "equal exposure", "fill=\"#999\"");
  return s + "</svg>\n";
}

std::string html_report(const json& r) {
  const auto& proto = at(r, "protocol");
  const auto& lib = at(r, "library");
  const auto& labels = at(lib, "labels");
  std::ostringstream h;
  h << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Audiorium evaluation</title>\n"
       "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
       "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
       "td:first-child,th:first-child{text-align:left}th{background:#f2f2f2}figure{margin:1em 0}"
       ".note{color:#555}code{background:#f4f4f4;padding:0 3px}</style></head><body>\n";
  h << "<h1>Audiorium evaluation</h1>\n";
  h << "<p>Library: " << str(at(lib, "indexed")) << " indexed of " << str(at(lib, "tracks")) << " tracks, embedder <code>"
    << html_escape(str(at(lib, "embedder"))) << "</code>. Protocol seeds: <code>" << html_escape(at(proto, "seeds").dump())
    << "</code> (" << str(at(proto, "repetitions")) << " repetitions × " << str(at(proto, "seed_tracks_per_repetition"))
    << " seed tracks and " << at(proto, "prompts").size() << " prompts); k = " << str(at(proto, "k"))
    << ", homogeneity lists of " << str(at(proto, "homogeneity_k")) << "; τ = " << num(at(proto, "temperature"), 2)
    << ", pool factor " << num(at(proto, "pool_factor"), 1) << ", MMR λ = " << num(at(proto, "lambda"), 2) << " with caps "
    << str(at(proto, "max_per_artist")) << "/artist, " << str(at(proto, "max_per_album")) << "/album.</p>\n";
  h << "<p>Systems: <b>similarity</b> (top k by cosine), <b>rule</b> (the original ordering rule), <b>mmr</b> (MMR with caps, "
       "what search uses), <b>popular</b> (the candidates re-ranked by popularity: the engagement-optimised contrast).</p>\n";

  // Labels
  h << "<h2>Labels</h2>\n<p>Labels file: " << html_escape(at(labels, "file").is_string() ? at(labels, "file").get<std::string>() : "none (tags only)")
    << ", " << str(at(labels, "rows")) << " rows used; " << str(at(labels, "tracks_from_file")) << " tracks described by it, "
    << str(at(labels, "tracks_from_tags")) << " by tags only. Label class of indexed tracks: " << str(at(labels, "major"))
    << " major, " << str(at(labels, "independent")) << " independent, <b>" << str(at(labels, "unknown"))
    << " unknown</b>. " << str(at(labels, "with_style")) << " tracks have a style. Popularity: "
    << html_escape(at(lib, "popularity_source").is_string() ? at(lib, "popularity_source").get<std::string>() : "none") << ".</p>\n";
  if (!at(labels, "problems").empty()) {
    h << "<p>Rows skipped in the labels file:</p><ul>\n";
    for (const auto& p : at(labels, "problems"))
      h << "<li>line " << str(at(p, "line")) << ": " << html_escape(str(at(p, "message"))) << "</li>\n";
    h << "</ul>\n";
  }

  // Homogeneity
  h << "<h2>Label homogeneity</h2>\n<p class=\"note\">Share of major-label artists among the recommended tracks of known "
       "label (the original's measure), pooled over every top list; the baseline is the population share a label-blind "
       "system should match. Unknown-label recommendations are counted, not used.</p>\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : at(r, "systems")) {
    const auto& hm = at(s, "homogeneity");
    rows.push_back({str(at(s, "name")), num(at(hm, "share")), num(at(hm, "baseline"), 2), num(at(hm, "distance")),
                    num(at(hm, "mean_list_share")), str(at(hm, "major")), str(at(hm, "independent")), str(at(hm, "unknown")),
                    str(at(hm, "list_length"))});
  }
  const auto& ch = at(r, "catalog_homogeneity");
  rows.push_back({"catalog (all indexed tracks)", num(at(ch, "share")), num(at(ch, "baseline"), 2), num(at(ch, "distance")), "",
                  str(at(ch, "major")), str(at(ch, "independent")), str(at(ch, "unknown")), ""});
  h << table({"system", "share of majors", "baseline", "distance", "mean per list", "major", "independent", "unknown", "list length"}, rows);
  h << "<figure>" << homogeneity_svg(r) << "</figure>\n";

  // Diversity
  h << "<h2>Diversity and fairness</h2>\n";
  rows.clear();
  for (const auto& s : at(r, "systems")) {
    const auto& e = at(s, "entropy_bits");
    rows.push_back({str(at(s, "name")), str(at(s, "lists")), num(at(s, "ild")), num(at(e, "artist"), 2), num(at(e, "album"), 2),
                    num(at(e, "style"), 2), num(at(s, "coverage")), num(at(at(s, "gini"), "tracks")),
                    num(at(at(s, "gini"), "artists")), num(at(s, "novelty_bits"), 2), num(at(s, "popularity_percentile"))});
  }
  h << table({"system", "lists", "ILD", "artist entropy (bits)", "album entropy", "style entropy", "coverage", "Gini tracks",
              "Gini artists", "novelty (bits)", "popularity percentile"},
             rows);
  rows.clear();
  for (const auto& s : at(r, "systems"))
    for (const char* kind : {"tracks", "prompts"}) {
      const auto& k = at(at(s, "by_query_kind"), kind);
      rows.push_back({str(at(s, "name")) + " / " + kind, str(at(k, "lists")), num(at(k, "ild")),
                      num(at(at(k, "entropy_bits"), "artist"), 2), num(at(k, "homogeneity_share"))});
    }
  h << "<p class=\"note\">By query kind:</p>" << table({"system / queries", "lists", "ILD", "artist entropy", "share of majors"}, rows);
  h << "<figure>" << lorenz_svg(r) << "</figure>\n";

  // Retrieval
  h << "<h2>Retrieval quality (same style)</h2>\n";
  rows.clear();
  std::vector<std::vector<std::string>> style_rows;
  for (const auto& s : at(r, "systems")) {
    const auto& q = at(s, "retrieval");
    if (q.is_null()) continue;
    rows.push_back({str(at(s, "name")), str(at(q, "queries")), num(at(q, "precision_at_k")), num(at(q, "ndcg_at_k")), num(at(q, "map"))});
    for (const auto& [style, v] : at(q, "per_style").items())
      style_rows.push_back({str(at(s, "name")) + " / " + style, str(at(v, "queries")), num(at(v, "precision_at_k")),
                            num(at(v, "ndcg_at_k")), num(at(v, "map"))});
  }
  if (rows.empty()) h << "<p>Not computed: no track has a style.</p>\n";
  else {
    h << table({"system", "queries", "precision@k", "nDCG@k", "MAP"}, rows);
    h << "<details><summary>Per style</summary>" << table({"system / style", "queries", "precision@k", "nDCG@k", "MAP"}, style_rows)
      << "</details>\n";
  }
  rows.clear();
  for (const auto& p : at(at(r, "tradeoff"), "rule"))
    rows.push_back({"rule τ = " + num(at(p, "tau"), 2), num(at(p, "precision_at_k")), num(at(p, "ild"))});
  for (const auto& p : at(at(r, "tradeoff"), "mmr"))
    rows.push_back({"mmr λ = " + num(at(p, "lambda"), 2), num(at(p, "precision_at_k")), num(at(p, "ild"))});
  h << "<h3>Precision–diversity trade-off</h3>\n" << table({"setting", "precision@k", "ILD"}, rows);
  h << "<figure>" << tradeoff_svg(r) << "</figure>\n";

  // Queues
  h << "<h2>Queues</h2>\n<p class=\"note\">Repetition: share of consecutive tracks (seed included) by the same artist or "
       "album. Drift: cosine distance to the seed track.</p>\n";
  rows.clear();
  for (const auto& q : at(r, "queues"))
    rows.push_back({num(at(q, "drift"), 2), str(at(q, "runs")), num(at(q, "artist_repetition")), num(at(q, "album_repetition")),
                    num(at(q, "mean_distance_to_seed")), num(at(q, "final_distance_to_seed")), num(at(q, "ild"))});
  h << table({"drift", "runs", "artist repetition", "album repetition", "mean distance to seed", "final distance", "ILD"}, rows);

  // Horse
  const auto& horse = at(r, "horse");
  h << "<h2>“Is it a horse?” checks</h2>\n<p class=\"note\">Each transformed track must find its original as nearest "
       "neighbour (Sturm 2014). Tracks sampled: "
    << at(horse, "tracks").size() << ", skipped: " << str(at(horse, "skipped")) << ".</p>\n";
  rows.clear();
  for (const auto& t : at(horse, "transforms"))
    rows.push_back({str(at(t, "name")), str(at(t, "description")), str(at(t, "tried")), num(at(t, "hit_rate")),
                    num(at(t, "mean_cosine")), num(at(t, "mean_rank"), 2)});
  h << table({"transformation", "what", "tracks", "hit rate", "mean cosine to original", "mean rank of original"}, rows);
  if (!at(horse, "notes").empty()) {
    h << "<ul class=\"note\">";
    for (const auto& n : at(horse, "notes")) h << "<li>" << html_escape(str(n)) << "</li>";
    h << "</ul>\n";
  }

  h << "<h2>Not computed</h2>\n";
  if (at(r, "not_computed").empty()) h << "<p>Everything was computed.</p>\n";
  else {
    h << "<ul>\n";
    for (const auto& n : at(r, "not_computed"))
      h << "<li>" << html_escape(str(at(n, "metric"))) << ": " << html_escape(str(at(n, "reason"))) << "</li>\n";
    h << "</ul>\n";
  }
  h << "<p class=\"note\">The same protocol options on the same catalog give this page byte for byte; report.json holds "
       "every number.</p>\n</body></html>\n";
  return h.str();
}

std::string text_summary(const json& r) {
  std::ostringstream t;
  const auto& lib = at(r, "library");
  t << "Evaluated " << str(at(lib, "indexed")) << " indexed tracks; seeds " << at(at(r, "protocol"), "seeds").dump() << "\n";
  const auto& labels = at(lib, "labels");
  t << "Labels: " << str(at(labels, "major")) << " major, " << str(at(labels, "independent")) << " independent, "
    << str(at(labels, "unknown")) << " unknown; " << str(at(labels, "with_style")) << " with a style\n";
  for (const auto& p : at(labels, "problems"))
    t << "  labels file line " << str(at(p, "line")) << ": " << str(at(p, "message")) << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-11s %8s %8s %6s %8s %6s %6s %6s %6s\n", "system", "majors", "distance", "ILD",
                "coverage", "Gini", "P@k", "nDCG", "MAP");
  t << "\n" << line;
  for (const auto& s : at(r, "systems")) {
    const auto& q = at(s, "retrieval");
    std::snprintf(line, sizeof line, "%-11s %8s %8s %6s %8s %6s %6s %6s %6s\n", str(at(s, "name")).c_str(),
                  num(at(at(s, "homogeneity"), "share")).c_str(), num(at(at(s, "homogeneity"), "distance")).c_str(),
                  num(at(s, "ild")).c_str(), num(at(s, "coverage")).c_str(), num(at(at(s, "gini"), "tracks")).c_str(),
                  num(at(q, "precision_at_k")).c_str(), num(at(q, "ndcg_at_k")).c_str(), num(at(q, "map")).c_str());
    t << line;
  }
  t << "baseline share of majors: " << num(at(at(r, "protocol"), "baseline"), 2)
    << "; catalog: " << num(at(at(r, "catalog_homogeneity"), "share")) << "\n";
  if (!at(at(r, "horse"), "transforms").empty()) {
    t << "\nIs it a horse? (hit rate: the original is the nearest neighbour)\n";
    for (const auto& h : at(at(r, "horse"), "transforms"))
      t << "  " << str(at(h, "name")) << ": " << num(at(h, "hit_rate")) << " of " << str(at(h, "tried")) << "\n";
  }
  for (const auto& n : at(r, "not_computed")) t << "not computed — " << str(at(n, "metric")) << ": " << str(at(n, "reason")) << "\n";
  return t.str();
}

std::vector<fs::path> write_report(const json& r, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create report folder " + dir.string() + ": " + ec.message());
  const std::vector<std::pair<std::string, std::string>> files = {{"index.html", html_report(r)},
                                                                  {"homogeneity.svg", homogeneity_svg(r)},
                                                                  {"tradeoff.svg", tradeoff_svg(r)},
                                                                  {"lorenz.svg", lorenz_svg(r)},
                                                                  {"report.json", r.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"}};
  std::vector<fs::path> written;
  for (const auto& [name, content] : files) {
    const auto path = dir / name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) throw Error("cannot write " + path.string());
    written.push_back(path);
  }
  return written;
}

}  // namespace audiorium::eval
