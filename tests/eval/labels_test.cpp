// The labels CSV: columns in any order, quoting, malformed rows reported by line, and how facts resolve per track.
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "eval/labels.h"

using namespace audiorium::eval;
using audiorium::catalog::Track;

namespace {

Track track(int64_t id, const std::string& path, const std::string& artist, const std::string& album,
            const std::string& label_tag = "", const std::string& genre = "") {
  Track t;
  t.id = id;
  t.path = path;
  t.tags.artist = artist;
  t.tags.album = album;
  t.tags.label = label_tag;
  t.tags.genre = genre;
  t.tags.title = "Title " + std::to_string(id);
  return t;
}

}  // namespace

TEST(LabelsCsv, MalformedRowsAreReportedWithLineNumbersAndSkipped) {
  std::istringstream in(
      "Artist,Label,Class,Style,Popularity\n"     // 1
      "Alpha,Big Records,major,rock,10\n"         // 2 ok
      "Beta,Small,indie\n"                        // 3 too few fields
      "Gamma,Small,sideways,pop,1\n"              // 4 bad class
      "\n"                                        // 5 blank: ignored
      "Delta,Small,independent,pop,lots\n"        // 6 bad popularity
      ",,,jazz,\n"                                // 7 no key
      "\"Eps, ilon\",\"Multi\nLine\",indie,,3\n"  // 8-9 quoted comma and newline: ok
      "Zeta,Small,indie,pop,-1\n"                 // 10 negative popularity
      "Eta,\"unterminated,indie,pop,1\n");        // 11 unterminated quote
  const auto f = read_labels_csv(in);
  ASSERT_EQ(f.rows.size(), 2u);
  EXPECT_EQ(f.rows[0].artist, "Alpha");
  EXPECT_EQ(f.rows[0].label_class, LabelClass::Major);
  EXPECT_EQ(f.rows[0].popularity, 10.0);
  EXPECT_EQ(f.rows[1].artist, "Eps, ilon");
  EXPECT_EQ(f.rows[1].label, "Multi\nLine");
  EXPECT_EQ(f.rows[1].line, 8u);
  std::vector<std::size_t> lines;
  for (const auto& p : f.problems) lines.push_back(p.line);
  EXPECT_EQ(lines, (std::vector<std::size_t>{3, 4, 6, 7, 10, 11}));
  EXPECT_NE(f.problems[0].message.find("expected 5 fields, found 3"), std::string::npos);
  EXPECT_NE(f.problems[1].message.find("sideways"), std::string::npos);
  EXPECT_NE(f.problems[5].message.find("unterminated"), std::string::npos);
}

TEST(LabelsCsv, HeaderMustNameAKeyAndAFact) {
  std::istringstream no_key("label_name,notes\nx,y\n");
  EXPECT_THROW(read_labels_csv(no_key), audiorium::Error);
  std::istringstream no_fact("artist,notes\nx,y\n");
  EXPECT_THROW(read_labels_csv(no_fact), audiorium::Error);
  std::istringstream empty("");
  EXPECT_THROW(read_labels_csv(empty), audiorium::Error);
}

TEST(LabelsResolve, MostSpecificRowWinsAndTagsFillTheRest) {
  std::istringstream in(
      "track,artist,album,label,class,style,popularity\n"
      ",Alpha,,Big Records,major,rock,5\n"
      ",,Quiet Album,,,ambient,\n"
      "3,,,,,,99\n"
      ",,,Tiny Tapes,independent,,\n"
      "b.ogg,,,Tiny Tapes,,,\n");
  const auto f = read_labels_csv(in);
  ASSERT_TRUE(f.problems.empty());
  const std::vector<Track> tracks = {
      track(1, "/m/a.ogg", "Alpha", "Loud Album"),
      track(2, "/m/b.ogg", "Beta", "Other"),
      track(3, "/m/c.ogg", "Alpha", "Quiet Album"),
      track(4, "/m/d.ogg", "Gamma", "", "Sony Music Entertainment", "jazz"),
      track(5, "/m/e.ogg", "Delta", "", "Academic Press"),
      track(6, "/m/f.ogg", "", ""),
  };
  const auto r = resolve_labels(tracks, &f);
  EXPECT_EQ(r.at(1).label, "Big Records");
  EXPECT_EQ(r.at(1).label_class, LabelClass::Major);
  EXPECT_EQ(r.at(1).style, "rock");
  EXPECT_EQ(r.at(1).source, "csv");
  EXPECT_EQ(r.at(2).label, "Tiny Tapes");  // by file name; its class from the label-only row
  EXPECT_EQ(r.at(2).label_class, LabelClass::Independent);
  EXPECT_EQ(r.at(3).style, "ambient");      // the album row beats the artist row
  EXPECT_EQ(r.at(3).popularity, 99.0);      // the track row (by id) beats both
  EXPECT_EQ(r.at(3).label_class, LabelClass::Major);
  EXPECT_EQ(r.at(4).label_class, LabelClass::Major);  // a major's name in the tag
  EXPECT_EQ(r.at(4).style, "jazz");                  // genre tag as style
  EXPECT_EQ(r.at(4).source, "tags");
  EXPECT_EQ(r.at(5).label_class, LabelClass::Independent);  // "emi" inside "Academic" is not EMI
  EXPECT_EQ(r.at(6).label_class, LabelClass::Unknown);
  EXPECT_EQ(r.at(6).source, "");
  const auto tags_only = resolve_labels(tracks, nullptr);
  EXPECT_EQ(tags_only.at(1).label_class, LabelClass::Unknown);
}

TEST(LabelsCsv, FieldsQuoteWhenTheyMust) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
}
