#include "query/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

namespace audiorium::query {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using Scale = DescriptorTarget::Scale;

std::vector<DescriptorTarget> on(const ParsedQuery& q, const std::string& descriptor) {
  std::vector<DescriptorTarget> out;
  for (const auto& t : q.targets)
    if (t.descriptor == descriptor) out.push_back(t);
  return out;
}

// The single target on descriptor (fails the test when there is not exactly one).
DescriptorTarget one(const ParsedQuery& q, const std::string& descriptor) {
  const auto ts = on(q, descriptor);
  EXPECT_EQ(ts.size(), 1u) << descriptor << " in '" << q.text << "'";
  return ts.empty() ? DescriptorTarget{} : ts.front();
}

bool all_negated(const ParsedQuery& q, const std::string& reason_suffix, bool negated) {
  bool any = false;
  for (const auto& t : q.targets) {
    if (t.reason.size() < reason_suffix.size() ||
        t.reason.compare(t.reason.size() - reason_suffix.size(), reason_suffix.size(), reason_suffix) != 0)
      continue;
    any = true;
    if (t.negated != negated) return false;
  }
  return any;
}

// ---- the examples users type ----

TEST(ParseQuery, SlowDarkPiano) {
  const auto q = parse_query("slow dark piano");
  const auto tempo = one(q, "tempo_bpm");
  EXPECT_EQ(tempo.scale, Scale::Absolute);
  EXPECT_GE(tempo.value, 60);
  EXPECT_LE(tempo.value, 85);
  EXPECT_FALSE(tempo.negated);
  EXPECT_EQ(tempo.reason, "slow");
  const auto mode = one(q, "mode");
  EXPECT_EQ(mode.value, 0);  // dark: minor
  const auto bright = one(q, "brightness_hz");
  EXPECT_EQ(bright.scale, Scale::Percentile);
  EXPECT_LT(bright.value, 0.5);
  EXPECT_GT(one(q, "tonalness").value, 0.5);  // piano, weakly
  EXPECT_LT(one(q, "tonalness").weight, 1.0);
  EXPECT_THAT(q.understood, ElementsAre("slow", "dark", "piano"));
  EXPECT_THAT(q.words, Contains("piano"));
  EXPECT_THAT(q.unknown, IsEmpty());
  EXPECT_FALSE(q.track_reference);
}

TEST(ParseQuery, Upbeat128BpmElectronicBright) {
  const auto q = parse_query("upbeat 128 bpm electronic, bright");
  const auto tempos = on(q, "tempo_bpm");
  ASSERT_EQ(tempos.size(), 2u);  // upbeat's and the explicit one, kept apart
  EXPECT_EQ(tempos[1].scale, Scale::Absolute);
  EXPECT_EQ(tempos[1].value, 128);
  EXPECT_EQ(tempos[1].width, 4);
  EXPECT_EQ(tempos[1].reason, "128 bpm");
  EXPECT_GT(one(q, "brightness_hz").value, 0.5);
  EXPECT_THAT(q.understood, ElementsAre("upbeat", "128 bpm", "electronic", "bright"));
  for (const auto* w : {"electronic", "electro", "edm", "synth"}) EXPECT_THAT(q.words, Contains(w));
  EXPECT_THAT(q.unknown, IsEmpty());
}

TEST(ParseQuery, QuotedReferenceWithComparative) {
  const auto q = parse_query("like 'Battle Theme' but calmer");
  ASSERT_TRUE(q.track_reference);
  EXPECT_EQ(*q.track_reference, "Battle Theme");
  const auto energy = one(q, "energy_db");
  EXPECT_LT(energy.value, 0.5);
  EXPECT_FALSE(energy.negated);
  EXPECT_EQ(energy.reason, "calmer");
  ASSERT_FALSE(q.modifiers.empty());
  EXPECT_EQ(q.modifiers[0].descriptor, "energy_db");
  EXPECT_LT(q.modifiers[0].delta, 0);
  EXPECT_THAT(q.understood, Contains("calmer"));
  EXPECT_THAT(q.unknown, IsEmpty());
  EXPECT_THAT(q.words, IsEmpty());  // the title is a reference, not tag words
}

TEST(ParseQuery, NotSadVeryFastNoDrums) {
  const auto q = parse_query("not sad, very fast, no drums");
  const auto mode = one(q, "mode");
  EXPECT_EQ(mode.value, 0);
  EXPECT_TRUE(mode.negated);
  EXPECT_EQ(mode.reason, "not sad");

  const auto fast = one(q, "tempo_bpm");
  const auto* plain = Vocabulary::builtin().find_term("fast");
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(fast.negated);
  EXPECT_DOUBLE_EQ(fast.weight, 1.5 * plain->targets[0].weight);
  EXPECT_GT(fast.value, plain->targets[0].value);  // "very fast" is faster than "fast"
  EXPECT_LT(fast.width, plain->targets[0].width);  // and narrower
  EXPECT_EQ(fast.reason, "very fast");

  EXPECT_TRUE(one(q, "percussiveness").negated);
  EXPECT_TRUE(all_negated(q, "drums", true));
  EXPECT_THAT(q.understood, ElementsAre("not sad", "very fast", "no drums"));
  EXPECT_THAT(q.unknown, IsEmpty());
}

TEST(ParseQuery, BpmRangeChill) {
  const auto q = parse_query("90-100 bpm chill");
  const auto tempo = one(q, "tempo_bpm");
  EXPECT_EQ(tempo.scale, Scale::Absolute);
  EXPECT_DOUBLE_EQ(tempo.value, 95);
  EXPECT_DOUBLE_EQ(tempo.width, 5);
  EXPECT_LT(one(q, "energy_db").value, 0.5);
  EXPECT_THAT(q.words, Contains("chill"));
  EXPECT_THAT(q.understood, ElementsAre("90-100 bpm", "chill"));
  EXPECT_THAT(q.unknown, IsEmpty());
}

TEST(ParseQuery, CalmAmbient) {
  const auto q = parse_query("calm ambient");
  EXPECT_LT(one(q, "energy_db").value, 0.5);
  for (const auto& t : on(q, "percussiveness")) EXPECT_LT(t.value, 0.5);
  EXPECT_EQ(on(q, "percussiveness").size(), 2u);
  EXPECT_THAT(q.words, Contains("ambient"));
  EXPECT_THAT(q.unknown, IsEmpty());
}

TEST(ParseQuery, FastRock) {
  const auto q = parse_query("fast rock");
  const auto tempo = one(q, "tempo_bpm");
  EXPECT_GE(tempo.value, 130);
  EXPECT_LE(tempo.value, 170);
  const auto energy = one(q, "energy_db");
  EXPECT_GT(energy.value, 0.5);
  EXPECT_LT(energy.weight, 1.0);  // a genre maps to descriptors weakly
  EXPECT_THAT(q.words, Contains("rock"));
  EXPECT_THAT(q.unknown, IsEmpty());
}

TEST(ParseQuery, Orchestral) {
  const auto q = parse_query("orchestral");
  EXPECT_GT(one(q, "tonalness").value, 0.5);
  EXPECT_THAT(q.words, Contains("orchestral"));
  EXPECT_THAT(q.words, Contains("classical"));
  EXPECT_THAT(q.understood, ElementsAre("orchestral"));
}

// ---- numbers ----

TEST(ParseQuery, ExplicitTempoForms) {
  struct Case {
    const char* text;
    double value, width;
    const char* understood;
  };
  for (const auto& c : {Case{"128 bpm", 128, 4, "128 bpm"}, Case{"128bpm", 128, 4, "128 bpm"},
                        Case{"128 BPM", 128, 4, "128 bpm"}, Case{"120-130 bpm", 125, 5, "120-130 bpm"},
                        Case{"120 – 130 bpm", 125, 5, "120-130 bpm"}, Case{"120 to 130 bpm", 125, 5, "120-130 bpm"},
                        Case{"between 100 and 140 bpm", 120, 20, "100-140 bpm"},
                        Case{"around 90 bpm", 90, 8, "around 90 bpm"}, Case{"~90 bpm", 90, 8, "~ 90 bpm"},
                        Case{"tempo 100", 100, 4, "tempo 100"}, Case{"tempo of 100", 100, 4, "tempo 100"},
                        Case{"92.5 bpm", 92.5, 4, "92.5 bpm"}, Case{"130-120bpm", 125, 5, "130-120 bpm"},
                        Case{"at 174 beats per minute", 174, 4, "174 bpm"}}) {
    const auto q = parse_query(c.text);
    ASSERT_EQ(q.targets.size(), 1u) << c.text;
    EXPECT_EQ(q.targets[0].descriptor, "tempo_bpm") << c.text;
    EXPECT_EQ(q.targets[0].scale, Scale::Absolute) << c.text;
    EXPECT_DOUBLE_EQ(q.targets[0].value, c.value) << c.text;
    EXPECT_DOUBLE_EQ(q.targets[0].width, c.width) << c.text;
    EXPECT_THAT(q.understood, ElementsAre(c.understood)) << c.text;
    EXPECT_THAT(q.unknown, IsEmpty()) << c.text;
  }
}

TEST(ParseQuery, BareNumbersAreNotTempos) {
  auto q = parse_query("90 chill");
  EXPECT_TRUE(on(q, "tempo_bpm").empty());
  EXPECT_THAT(q.unknown, ElementsAre("90"));
  q = parse_query("around 90");
  EXPECT_TRUE(q.targets.empty());
  EXPECT_THAT(q.unknown, ElementsAre("90"));
  q = parse_query("9999 bpm");
  EXPECT_TRUE(q.targets.empty());
  EXPECT_THAT(q.unknown, ElementsAre("9999 bpm"));
  EXPECT_FALSE(q.notes.empty());
  q = parse_query("99999999999999999999999999999999 bpm");
  EXPECT_TRUE(q.targets.empty());
  q = parse_query("not 128 bpm");
  EXPECT_TRUE(one(q, "tempo_bpm").negated);
}

// ---- negation and intensifiers ----

TEST(ParseQuery, NegationScopeIsTheNextTermOnly) {
  auto q = parse_query("no drums, happy");
  EXPECT_TRUE(all_negated(q, "drums", true));
  EXPECT_FALSE(one(q, "mode").negated);
  q = parse_query("no drums happy");  // even without a comma
  EXPECT_TRUE(all_negated(q, "drums", true));
  EXPECT_FALSE(one(q, "mode").negated);
  q = parse_query("without any drums");  // stopwords do not end the scope
  EXPECT_TRUE(all_negated(q, "drums", true));
  EXPECT_THAT(q.understood, ElementsAre("without drums"));
  q = parse_query("not, sad");  // a clause end does
  EXPECT_FALSE(one(q, "mode").negated);
  EXPECT_THAT(q.notes, Contains("'not' has nothing to negate"));
  q = parse_query("not without drums");  // two negations cancel
  EXPECT_TRUE(all_negated(q, "drums", false));
  q = parse_query("I don't want drums");
  EXPECT_TRUE(all_negated(q, "drums", true));
}

TEST(ParseQuery, NonPrefixAndNarrowNegations) {
  auto q = parse_query("non-electronic");
  EXPECT_TRUE(all_negated(q, "electronic", true));
  EXPECT_THAT(q.understood, ElementsAre("non electronic"));
  q = parse_query("quiet piano, no strings");  // negates the strings term, not all of "orchestral"
  EXPECT_FALSE(on(q, "loudness_lufs")[0].negated);
  EXPECT_TRUE(all_negated(q, "strings", true));
  EXPECT_THAT(q.negated_words, Contains("violin"));
  EXPECT_THAT(q.words, Contains("piano"));
}

TEST(ParseQuery, NegatedFreeWordsAndTags) {
  auto q = parse_query("no vocals");
  EXPECT_THAT(q.negated_words, ElementsAre("vocals"));
  EXPECT_THAT(q.words, IsEmpty());
  EXPECT_THAT(q.unknown, ElementsAre("vocals"));
  q = parse_query("not electronic, jazz");
  EXPECT_THAT(q.negated_words, Contains("electro"));
  EXPECT_THAT(q.words, Not(Contains("electro")));
  EXPECT_THAT(q.words, Contains("jazz"));
  EXPECT_TRUE(all_negated(q, "electronic", true));
}

TEST(ParseQuery, IntensifiersScaleWeightAndValue) {
  const auto base = one(parse_query("calm"), "energy_db");
  const auto very = one(parse_query("very calm"), "energy_db");
  const auto extremely = one(parse_query("extremely calm"), "energy_db");
  const auto slightly = one(parse_query("slightly calm"), "energy_db");
  const auto bit = one(parse_query("a little bit calm"), "energy_db");
  EXPECT_DOUBLE_EQ(very.weight, 1.5 * base.weight);
  EXPECT_DOUBLE_EQ(extremely.weight, 2.0 * base.weight);
  EXPECT_DOUBLE_EQ(slightly.weight, 0.5 * base.weight);
  EXPECT_DOUBLE_EQ(bit.weight, 0.6 * base.weight);
  EXPECT_LT(extremely.value, very.value);  // further from the middle
  EXPECT_LT(very.value, base.value);
  EXPECT_GT(slightly.value, base.value);   // closer to the middle
  EXPECT_LT(slightly.value, 0.5);
  EXPECT_GE(extremely.value, 0.0);
  EXPECT_EQ(very.reason, "very calm");

  const auto slow = one(parse_query("slow"), "tempo_bpm");
  const auto very_slow = one(parse_query("very slow"), "tempo_bpm");
  EXPECT_LT(very_slow.value, slow.value);
  EXPECT_GE(very_slow.value, 30);
  EXPECT_THAT(parse_query("a bit slow").understood, ElementsAre("a bit slow"));

  auto q = parse_query("not very sad");
  EXPECT_TRUE(one(q, "mode").negated);
  EXPECT_DOUBLE_EQ(one(q, "mode").weight, 1.5);
  EXPECT_THAT(q.understood, ElementsAre("not very sad"));
  // mode stays in 0..1 however intense
  EXPECT_LE(one(parse_query("extremely extremely happy"), "mode").value, 1.0);

  q = parse_query("slow and very");
  EXPECT_THAT(q.notes, Contains("'very' modifies nothing"));
  EXPECT_EQ(one(q, "tempo_bpm").weight, 1.0);
}

// ---- references ----

TEST(ParseQuery, UnquotedReference) {
  auto q = parse_query("like battle theme but calmer");
  ASSERT_TRUE(q.track_reference);
  EXPECT_EQ(*q.track_reference, "battle theme");
  EXPECT_LT(one(q, "energy_db").value, 0.5);
  EXPECT_THAT(q.unknown, IsEmpty());

  q = parse_query("something like Battle Theme, faster");
  ASSERT_TRUE(q.track_reference);
  EXPECT_EQ(*q.track_reference, "Battle Theme");  // as typed
  ASSERT_FALSE(q.modifiers.empty());
  EXPECT_EQ(q.modifiers[0].descriptor, "tempo_bpm");
  EXPECT_GT(q.modifiers[0].delta, 0);

  q = parse_query("like Battle Theme calmer");  // a comparative ends the title
  ASSERT_TRUE(q.track_reference);
  EXPECT_EQ(*q.track_reference, "Battle Theme");

  q = parse_query("sounds like Moonlight Drive; no drums");
  ASSERT_TRUE(q.track_reference);
  EXPECT_EQ(*q.track_reference, "Moonlight Drive");
  EXPECT_TRUE(all_negated(q, "drums", true));
}

TEST(ParseQuery, LikeFollowedByVocabularyIsADescription) {
  auto q = parse_query("something like calm piano");
  EXPECT_FALSE(q.track_reference);
  EXPECT_LT(one(q, "energy_db").value, 0.5);
  EXPECT_THAT(q.understood, ElementsAre("calm", "piano"));
  q = parse_query("like");
  EXPECT_FALSE(q.track_reference);
  EXPECT_TRUE(q.targets.empty());
  EXPECT_THAT(q.unknown, IsEmpty());
}

TEST(ParseQuery, LikeAsAVerbIsNotAReference) {
  auto q = parse_query("I'd like something for a rainy evening, kind of jazzy");
  EXPECT_FALSE(q.track_reference);
  EXPECT_THAT(q.unknown, ElementsAre("rainy", "evening"));
  EXPECT_THAT(q.understood, ElementsAre("kind of jazzy"));
  EXPECT_DOUBLE_EQ(one(q, "tonalness").weight, 0.6 * Vocabulary::builtin().find_term("jazz")->targets[0].weight);
  q = parse_query("i would like mellow guitar");
  EXPECT_FALSE(q.track_reference);
  EXPECT_THAT(q.understood, ElementsAre("mellow", "guitar"));
}

TEST(ParseQuery, QuoteStyles) {
  for (const auto* text : {"\"Battle Theme\" slow", "'Battle Theme' slow", "\xE2\x80\x9C" "Battle Theme" "\xE2\x80\x9D slow",
                           "\xE2\x80\x98" "Battle Theme" "\xE2\x80\x99 slow", "slow 'Battle Theme'"}) {
    const auto q = parse_query(text);
    ASSERT_TRUE(q.track_reference) << text;
    EXPECT_EQ(*q.track_reference, "Battle Theme") << text;
    EXPECT_EQ(one(q, "tempo_bpm").value, one(parse_query("slow"), "tempo_bpm").value) << text;
    EXPECT_THAT(q.unknown, IsEmpty()) << text;
  }
  // Apostrophes are not quotes.
  for (const auto* text : {"rock 'n' roll", "80's rock", "don't want drums", "'90s rock"}) {
    EXPECT_FALSE(parse_query(text).track_reference) << text;
  }
  EXPECT_THAT(parse_query("rock 'n' roll").understood, ElementsAre("rock n roll"));
  const auto two = parse_query("'First Song' or 'Second Song'");
  ASSERT_TRUE(two.track_reference);
  EXPECT_EQ(*two.track_reference, "First Song");
  EXPECT_FALSE(two.notes.empty());
}

// ---- words ----

TEST(ParseQuery, UnknownWordsAreReported) {
  const auto q = parse_query("slow rain piano");
  EXPECT_THAT(q.unknown, ElementsAre("rain"));  // piano is vocabulary (tags + weak targets)
  EXPECT_THAT(q.words, Contains("rain"));
  EXPECT_THAT(q.words, Contains("piano"));
  EXPECT_THAT(q.understood, ElementsAre("slow", "piano"));
}

TEST(ParseQuery, StopwordsAreDropped) {
  const auto q = parse_query("Play me some songs with the drums, please");
  EXPECT_THAT(q.unknown, IsEmpty());
  EXPECT_THAT(q.words, IsEmpty());
  EXPECT_THAT(q.understood, ElementsAre("drums"));
}

TEST(ParseQuery, MultiWordPhrasesLongestFirst) {
  auto q = parse_query("laid-back hip hop");
  EXPECT_THAT(q.understood, ElementsAre("laid back", "hip hop"));
  EXPECT_THAT(q.words, Contains("hiphop"));
  q = parse_query("Up-Tempo drum & bass");
  EXPECT_THAT(q.understood, ElementsAre("up tempo", "drum and bass"));
  EXPECT_EQ(on(q, "tempo_bpm").size(), 2u);
  q = parse_query("heavy metal, 8-bit");
  EXPECT_THAT(q.understood, ElementsAre("heavy metal", "8 bit"));
  EXPECT_THAT(q.unknown, IsEmpty());
}

TEST(ParseQuery, WordsAreNormalisedLikeBm25) {
  const auto q = parse_query("Beyoncé CAFÉ Tacvba");
  EXPECT_THAT(q.words, ElementsAre("beyonce", "cafe", "tacvba"));
  EXPECT_THAT(q.unknown, ElementsAre("beyonce", "cafe", "tacvba"));
  EXPECT_EQ(q.text, "Beyoncé CAFÉ Tacvba");
}

TEST(ParseQuery, RepeatedAndConflictingTermsStaySeparate) {
  const auto q = parse_query("slow, fast");
  EXPECT_EQ(on(q, "tempo_bpm").size(), 2u);
  EXPECT_EQ(on(parse_query("happy sad"), "mode").size(), 2u);
}

// ---- robustness ----

bool valid_utf8(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
    return true;
  } catch (...) {
    return false;
  }
}

void check_sane(const ParsedQuery& q) {
  EXPECT_LE(q.text.size(), ParsedQuery::kMaxInputBytes);
  EXPECT_TRUE(valid_utf8(q.text));
  if (q.track_reference) {
    EXPECT_TRUE(valid_utf8(*q.track_reference));
  }
  for (const auto& w : q.words) EXPECT_TRUE(valid_utf8(w));
  for (const auto& w : q.unknown) EXPECT_TRUE(valid_utf8(w));
  for (const auto& t : q.targets) {
    EXPECT_TRUE(std::isfinite(t.value));
    EXPECT_GT(t.width, 0);
    EXPECT_GT(t.weight, 0);
    if (t.scale == Scale::Percentile) {
      EXPECT_GE(t.value, 0);
      EXPECT_LE(t.value, 1);
    }
  }
}

TEST(ParseQueryRobustness, EmptyAndBlank) {
  for (const auto* text : {"", " ", "\t\n", ",,,;;;", "''", "\"\"", "' '", "-", "~", "&", "...", "- - 1 -"}) {
    ParsedQuery q;
    EXPECT_NO_THROW(q = parse_query(text)) << text;
    check_sane(q);
    EXPECT_TRUE(q.targets.empty()) << text;
    EXPECT_FALSE(q.track_reference) << text;
  }
}

TEST(ParseQueryRobustness, HugeInputIsCapped) {
  std::string text;
  while (text.size() < 10000) text += "very slow rain ";
  const auto q = parse_query(text);
  EXPECT_TRUE(q.truncated);
  EXPECT_THAT(q.notes, Contains(::testing::HasSubstr("truncated")));
  EXPECT_LE(q.text.size(), ParsedQuery::kMaxInputBytes);
  EXPECT_FALSE(q.targets.empty());
  check_sane(q);
  // A multi-byte character is never cut in half.
  std::string accents;
  while (accents.size() < 3000) accents += "é";
  check_sane(parse_query("x" + accents));
  EXPECT_FALSE(parse_query("slow").truncated);
}

TEST(ParseQueryRobustness, UnicodeEmojiAndControlCharacters) {
  auto q = parse_query("🔥 fast 🎸 rock 💀");
  EXPECT_EQ(on(q, "tempo_bpm").size(), 1u);
  EXPECT_THAT(q.unknown, IsEmpty());
  q = parse_query("slow\x01\x02\x1b[31mdark\x7f");
  EXPECT_EQ(on(q, "tempo_bpm").size(), 1u);
  EXPECT_THAT(q.understood, Contains("slow"));
  check_sane(q);
  q = parse_query(std::string("slow\0dark", 9));
  EXPECT_THAT(q.understood, ElementsAre("slow", "dark"));
  q = parse_query("\xff\xfe\xc3 slow \xe2\x80 \xf0\x9f");  // invalid UTF-8
  EXPECT_THAT(q.understood, ElementsAre("slow"));
  check_sane(q);
  q = parse_query("медленный 静か slow");
  EXPECT_THAT(q.unknown, ElementsAre("медленный", "静か"));  // other scripts are kept, lower-cased
}

TEST(ParseQueryRobustness, RandomInputNeverThrows) {
  const std::vector<std::string> pieces = {
      "slow", "very", "not", "no", "like", "'", "\"", "bpm", "128", "-", "~", ",", " ", "a bit", "calmer", "but",
      "\xe2\x80\x9c", "é", "\xff", "\x01", "🎸", "tempo", "to", "and", "8", "bit", "hip", "hop", ".", "0", "99999"};
  std::mt19937 rng(42);
  for (int n = 0; n < 3000; ++n) {
    std::string text;
    const int len = static_cast<int>(rng() % 30);
    for (int k = 0; k < len; ++k) text += pieces[rng() % pieces.size()] + (rng() % 2 ? " " : "");
    ParsedQuery q;
    ASSERT_NO_THROW(q = parse_query(text)) << text;
    check_sane(q);
  }
  for (int n = 0; n < 500; ++n) {  // raw bytes
    std::string text(rng() % 300, '\0');
    for (auto& c : text) c = static_cast<char>(rng() % 256);
    ParsedQuery q;
    ASSERT_NO_THROW(q = parse_query(text));
    check_sane(q);
  }
}

}  // namespace
}  // namespace audiorium::query
