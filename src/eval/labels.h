// What the evaluation knows about each track beyond its sound: record label, whether that label is a major,
// style, and popularity. From a labels CSV, else from the catalog's tags.
//
// The CSV (RFC 4180: commas, "quoted, fields" with "" for a quote) starts with a header naming its columns, in any
// order, case-insensitive:
//   keys     track (a catalog id, a path, a file name or an exact title) | artist | album
//   facts    label | class (major, independent/indie, unknown; also yes/no, 1/0) | style (or genre) | popularity
// A row applies to the tracks its most specific key names: track, else album, else artist. A row with no key but
// a label and a class says how to classify that label wherever it appears (in the CSV or in tags). The most
// specific row wins per fact: a track row's style overrides its album row's.
// Malformed rows (wrong number of fields, no key and no label class, an unknown class, a popularity that is not a
// non-negative number, an unterminated quote) are reported with their line number and skipped.
//
// Without a CSV row, a track's label is its label tag (LABEL, else ORGANIZATION, else PUBLISHER, as catalog/tags
// reads it) and its style its genre tag. A label's class, when no CSV row gives it, is Major when its name contains
// one of the majors' names as whole words (Universal, Sony, Warner and best-known imprints; kMajorLabelNames) and
// Independent otherwise; a track with no label at all is Unknown.
#pragma once

#include <cstdint>
#include <filesystem>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "eval/metrics.h"

namespace audiorium::eval {

struct CsvProblem {
  std::size_t line = 0;  // 1-based, in the file
  std::string message;
};

// One parsed fact row; empty strings and nullopt mean "this row does not say".
struct LabelRow {
  std::size_t line = 0;
  std::string track, artist, album;
  std::string label;
  std::optional<LabelClass> label_class;
  std::string style;
  std::optional<double> popularity;
};

struct LabelsFile {
  std::vector<LabelRow> rows;
  std::vector<CsvProblem> problems;
  std::vector<std::string> columns;  // the header's recognised columns, lower-case
};

// Throws Error when the file cannot be read or its header names no key or fact column; row problems are
// collected, not thrown.
LabelsFile read_labels_csv(std::istream& in);
LabelsFile read_labels_csv(const std::filesystem::path& file);

// Splits one CSV record (which may span lines inside quotes) into fields. Returns false for an unterminated quote.
bool split_csv_record(std::istream& in, std::vector<std::string>& fields, std::size_t& lines_read);
// Quotes a field when it needs it, for the CSV files the study writes.
std::string csv_field(const std::string& value);

// "major", "independent", "indie", "unknown", "yes"/"no", "1"/"0", "true"/"false" (case-insensitive).
std::optional<LabelClass> parse_label_class(const std::string& text);
std::string to_string(LabelClass c);

// Lower-case names that make a label a major (matched as a substring of the lower-cased label).
extern const std::vector<std::string> kMajorLabelNames;

struct TrackLabel {
  std::string label;  // "" unknown
  LabelClass label_class = LabelClass::Unknown;
  std::string style;  // "" unknown
  std::optional<double> popularity;
  std::string source;  // "csv", "tags" or "" (nothing known)
};

// Resolves every track's facts; `file` may be null (tags only).
std::map<int64_t, TrackLabel> resolve_labels(const std::vector<catalog::Track>& tracks, const LabelsFile* file);

}  // namespace audiorium::eval
