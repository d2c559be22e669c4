#include "eval/labels.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>

#include "core/ascii.h"
#include "core/error.h"

namespace audiorium::eval {

namespace fs = std::filesystem;

const std::vector<std::string> kMajorLabelNames = {
    // The three majors and the imprints people most often see on a release.
    "universal", "sony", "warner", "emi", "columbia", "rca", "epic", "atlantic", "elektra", "capitol",
    "interscope", "geffen", "island records", "def jam", "republic records", "polydor", "decca",
    "deutsche grammophon", "virgin records", "parlophone", "motown", "mercury records", "arista",
    "reprise", "sire records", "asylum records", "legacy recordings", "masterworks"};

namespace {

// `needle` occurs in `text` on word boundaries ("emi" in "EMI Music", not in "Academic").
bool contains_word(const std::string& text, const std::string& needle) {
  const auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    const bool start_ok = pos == 0 || !word_char(text[pos - 1]);
    const auto end = pos + needle.size();
    const bool end_ok = end == text.size() || !word_char(text[end]);
    if (start_ok && end_ok) return true;
  }
  return false;
}

enum class Column { Track, Artist, Album, Label, Class, Style, Popularity, Ignored };

Column column_of(const std::string& name) {
  const auto n = ascii_lower(trim_ascii_space(name));
  if (n == "track" || n == "path" || n == "id" || n == "title") return Column::Track;
  if (n == "artist") return Column::Artist;
  if (n == "album") return Column::Album;
  if (n == "label" || n == "publisher" || n == "organization") return Column::Label;
  if (n == "class" || n == "major" || n == "type" || n == "label_class") return Column::Class;
  if (n == "style" || n == "genre") return Column::Style;
  if (n == "popularity" || n == "plays") return Column::Popularity;
  return Column::Ignored;
}

bool all_blank(const std::vector<std::string>& fields) {
  return std::all_of(fields.begin(), fields.end(), [](const std::string& f) { return trim_ascii_space(f).empty(); });
}

}  // namespace

bool split_csv_record(std::istream& in, std::vector<std::string>& fields, std::size_t& lines_read) {
  fields.clear();
  lines_read = 0;
  std::string line;
  if (!std::getline(in, line)) return true;
  ++lines_read;
  std::string field;
  bool quoted = false;
  for (;;) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            ++i;
          } else {
            quoted = false;
          }
        } else {
          field += c;
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.push_back(field);
        field.clear();
      } else if (c != '\r' || i + 1 != line.size()) {  // a CRLF file's '\r' is not data
        field += c;
      }
    }
    if (!quoted) break;
    // A quoted field goes on past the line end.
    if (!std::getline(in, line)) {
      fields.push_back(field);
      return false;
    }
    ++lines_read;
    field += '\n';
  }
  fields.push_back(field);
  return true;
}

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::optional<LabelClass> parse_label_class(const std::string& text) {
  const auto t = ascii_lower(trim_ascii_space(text));
  if (t == "major" || t == "yes" || t == "1" || t == "true") return LabelClass::Major;
  if (t == "independent" || t == "indie" || t == "no" || t == "0" || t == "false") return LabelClass::Independent;
  if (t == "unknown" || t.empty()) return LabelClass::Unknown;
  return std::nullopt;
}

std::string to_string(LabelClass c) {
  switch (c) {
    case LabelClass::Major: return "major";
    case LabelClass::Independent: return "independent";
    case LabelClass::Unknown: break;
  }
  return "unknown";
}

LabelsFile read_labels_csv(std::istream& in) {
  LabelsFile out;
  std::vector<std::string> fields;
  std::size_t line_no = 0, used = 0;
  // The header: the first non-blank record.
  std::vector<Column> columns;
  while (in) {
    const bool ok = split_csv_record(in, fields, used);
    line_no += used;
    if (used == 0) break;
    if (!ok) throw Error("labels CSV: unterminated quote in the header (line " + std::to_string(line_no) + ")");
    if (all_blank(fields)) continue;
    for (const auto& f : fields) {
      columns.push_back(column_of(f));
      if (columns.back() != Column::Ignored) out.columns.push_back(ascii_lower(trim_ascii_space(f)));
    }
    break;
  }
  const auto has = [&](Column c) { return std::find(columns.begin(), columns.end(), c) != columns.end(); };
  if (columns.empty()) throw Error("labels CSV is empty: it needs a header such as track,artist,album,label,class,style,popularity");
  if (!has(Column::Track) && !has(Column::Artist) && !has(Column::Album) && !has(Column::Label))
    throw Error("labels CSV header names no key column (track, artist, album or label)");
  if (!has(Column::Label) && !has(Column::Class) && !has(Column::Style) && !has(Column::Popularity))
    throw Error("labels CSV header names no fact column (label, class, style or popularity)");

  while (in) {
    const std::size_t first_line = line_no + 1;
    const bool ok = split_csv_record(in, fields, used);
    line_no += used;
    if (used == 0) break;
    auto problem = [&](const std::string& message) { out.problems.push_back({first_line, message}); };
    if (!ok) {
      problem("unterminated quote; row skipped");
      break;  // the rest of the file went into the quoted field
    }
    if (all_blank(fields)) continue;
    if (fields.size() != columns.size()) {
      problem("expected " + std::to_string(columns.size()) + " fields, found " + std::to_string(fields.size()) +
              "; row skipped");
      continue;
    }
    LabelRow row;
    row.line = first_line;
    std::string error;
    for (std::size_t i = 0; i < columns.size() && error.empty(); ++i) {
      const auto value = trim_ascii_space(fields[i]);
      switch (columns[i]) {
        case Column::Track: row.track = value; break;
        case Column::Artist: row.artist = value; break;
        case Column::Album: row.album = value; break;
        case Column::Label: row.label = value; break;
        case Column::Style: row.style = value; break;
        case Column::Class:
          if (value.empty()) break;
          row.label_class = parse_label_class(value);
          if (!row.label_class) error = "class '" + value + "' is not major, independent or unknown";
          break;
        case Column::Popularity: {
          if (value.empty()) break;
          double v = 0;
          const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
          if (ec != std::errc() || end != value.data() + value.size() || !std::isfinite(v) || v < 0)
            error = "popularity '" + value + "' is not a non-negative number";
          else
            row.popularity = v;
          break;
        }
        case Column::Ignored: break;
      }
    }
    if (error.empty() && row.track.empty() && row.artist.empty() && row.album.empty() &&
        (row.label.empty() || !row.label_class))
      error = "no track, album or artist (and not a label with its class)";
    if (!error.empty()) {
      problem(error + "; row skipped");
      continue;
    }
    out.rows.push_back(std::move(row));
  }
  return out;
}

LabelsFile read_labels_csv(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read labels file " + file.string());
  try {
    return read_labels_csv(in);
  } catch (const Error& e) {
    throw Error(file.string() + ": " + e.what());
  }
}

std::map<int64_t, TrackLabel> resolve_labels(const std::vector<catalog::Track>& tracks, const LabelsFile* file) {
  // Label → class from label-only rows (and from any row that gives both).
  std::map<std::string, LabelClass> label_class;
  // Rows by key, lower-cased; later rows override earlier ones for the same key.
  std::map<std::string, const LabelRow*> by_track, by_album, by_artist;
  if (file) {
    for (const auto& r : file->rows) {
      if (!r.label.empty() && r.label_class && *r.label_class != LabelClass::Unknown &&
          r.track.empty() && r.album.empty() && r.artist.empty())
        label_class[ascii_lower(r.label)] = *r.label_class;
      if (!r.track.empty()) by_track[ascii_lower(r.track)] = &r;
      else if (!r.album.empty()) by_album[ascii_lower(r.album)] = &r;
      else if (!r.artist.empty()) by_artist[ascii_lower(r.artist)] = &r;
    }
    for (const auto& r : file->rows)  // a row giving a label and its class also classifies the label
      if (!r.label.empty() && r.label_class && *r.label_class != LabelClass::Unknown)
        label_class.try_emplace(ascii_lower(r.label), *r.label_class);
  }
  auto classify = [&](const std::string& label) {
    if (label.empty()) return LabelClass::Unknown;
    const auto l = ascii_lower(label);
    if (auto it = label_class.find(l); it != label_class.end()) return it->second;
    for (const auto& major : kMajorLabelNames)
      if (contains_word(l, major)) return LabelClass::Major;
    return LabelClass::Independent;
  };

  std::map<int64_t, TrackLabel> out;
  for (const auto& t : tracks) {
    // Most specific first: track (id, path, file name, title), album, artist.
    std::vector<const LabelRow*> rows;
    for (const auto& key : {std::to_string(t.id), ascii_lower(t.path), ascii_lower(fs::path(t.path).filename().string()),
                            ascii_lower(t.tags.title)})
      if (!key.empty())
        if (auto it = by_track.find(key); it != by_track.end()) {
          rows.push_back(it->second);
          break;
        }
    if (!t.tags.album.empty())
      if (auto it = by_album.find(ascii_lower(t.tags.album)); it != by_album.end()) rows.push_back(it->second);
    if (!t.tags.artist.empty())
      if (auto it = by_artist.find(ascii_lower(t.tags.artist)); it != by_artist.end()) rows.push_back(it->second);

    TrackLabel l;
    std::optional<LabelClass> explicit_class;
    for (const auto* r : rows) {  // the first row that says a fact wins
      if (l.label.empty() && !r->label.empty()) l.label = r->label;
      if (!explicit_class && r->label_class && *r->label_class != LabelClass::Unknown) explicit_class = r->label_class;
      if (l.style.empty() && !r->style.empty()) l.style = r->style;
      if (!l.popularity && r->popularity) l.popularity = r->popularity;
    }
    if (!rows.empty()) l.source = "csv";
    if (l.label.empty() && !t.tags.label.empty()) {
      l.label = t.tags.label;
      if (l.source.empty()) l.source = "tags";
    }
    if (l.style.empty() && !t.tags.genre.empty()) {
      l.style = t.tags.genre;
      if (l.source.empty()) l.source = "tags";
    }
    l.label_class = explicit_class ? *explicit_class : classify(l.label);
    out.emplace(t.id, std::move(l));
  }
  return out;
}

}  // namespace audiorium::eval
