// The C++ tokenizers, two ways: small cases whose ids are worked out by hand (a hand-written vocabulary and merges),
// and a bank of tricky strings compared id for id with the exporting side's reference implementation
// (tools/packs/bpe_reference.py, run with python3 at test time on vocabularies it derives from a corpus).
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "support/test_support.h"
#include "tokenize/bpe_tokenizer.h"

namespace {

using audiorium::Error;
using audiorium::testing::TempDir;
using namespace audiorium::tokenize;
using nlohmann::json;
namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::vector<int64_t> padded(std::vector<int64_t> ids, std::size_t n, int64_t pad) {
  ids.resize(n, pad);
  return ids;
}

// ---------------------------------------------------------------- by hand

// A RoBERTa-layout vocabulary small enough to follow: "hello" merges h+e, l+l, he+ll, hell+o; "Ġ" is GPT-2's
// symbol for the space byte.
struct HandRoberta {
  TempDir dir;
  TokenizerSpec spec;
  HandRoberta(std::size_t max_length = 8) {
    write(dir / "vocab.json",
          R"({"<s>":0,"<pad>":1,"</s>":2,"<unk>":3,"h":4,"e":5,"l":6,"o":7,"he":8,"ll":9,"hell":10,"hello":11,)"
          R"("Ġ":12,"Ġhello":13,"!":14,"Ġh":15})");
    write(dir / "merges.txt", "#version: 0.2\nh e\nl l\nhe ll\nhell o\nĠ h\n");
    spec = {"roberta-bpe", dir / "vocab.json", dir / "merges.txt", max_length, std::nullopt};
  }
};

TEST(TokenizeByHand, RobertaMergesByRank) {
  HandRoberta h;
  const auto tok = load_tokenizer(h.spec);
  EXPECT_EQ(tok->max_length(), 8u);
  const auto t = tok->encode("hello");
  EXPECT_EQ(t.ids, padded({0, 11, 2}, 8, 1));
  EXPECT_EQ(t.attention_mask, padded({1, 1, 1}, 8, 0));
  // " hello" is Ġ h e l l o: h e (rank 0) wins over Ġ h (rank 4), then l l, he ll, hell o → Ġ hello; there
  // is no "Ġ hello" merge, so two tokens (the vocabulary's "Ġhello" is never reached, as in GPT-2).
  EXPECT_EQ(tok->encode_words("hello hello"), (std::vector<int64_t>{11, 12, 11}));
  // Symbols outside the vocabulary become <unk>, one per leftover symbol.
  EXPECT_EQ(tok->encode_words("hex!"), (std::vector<int64_t>{8, 3, 14}));
}

TEST(TokenizeByHand, RobertaTruncationKeepsEndToken) {
  HandRoberta h(4);
  const auto tok = load_tokenizer(h.spec);
  const auto t = tok->encode("hello hello hello");
  EXPECT_EQ(t.ids, (std::vector<int64_t>{0, 11, 12, 2}));
  EXPECT_EQ(t.attention_mask, (std::vector<int64_t>{1, 1, 1, 1}));
  const auto empty = tok->encode("");
  EXPECT_EQ(empty.ids, (std::vector<int64_t>{0, 2, 1, 1}));
  EXPECT_EQ(empty.attention_mask, (std::vector<int64_t>{1, 1, 0, 0}));
}

TEST(TokenizeByHand, PadIdFromSpecOverridesVocabulary) {
  HandRoberta h(5);
  h.spec.pad_id = 7;
  EXPECT_EQ(load_tokenizer(h.spec)->encode("hello").ids, (std::vector<int64_t>{0, 11, 2, 7, 7}));
}

// CLIP layout: every byte symbol alone and with "</w>", then merges, then the two specials.
TEST(TokenizeByHand, ClipWordEndsAndSpecials) {
  TempDir dir;
  json vocab = json::object();
  std::vector<std::string> symbols;
  // Build the symbol list exactly as CLIP does: printable bytes first (their own code points), then the rest.
  std::vector<char32_t> cps;
  for (int b = '!'; b <= '~'; ++b) cps.push_back(static_cast<char32_t>(b));
  for (int b = 0xA1; b <= 0xAC; ++b) cps.push_back(static_cast<char32_t>(b));
  for (int b = 0xAE; b <= 0xFF; ++b) cps.push_back(static_cast<char32_t>(b));
  for (char32_t n = 256; cps.size() < 256; ++n) cps.push_back(n);
  auto utf8 = [](char32_t c) {
    std::string s;
    if (c < 0x80) s += static_cast<char>(c);
    else {
      s += static_cast<char>(0xC0 | (c >> 6));
      s += static_cast<char>(0x80 | (c & 0x3F));
    }
    return s;
  };
  for (auto c : cps) symbols.push_back(utf8(c));
  int id = 0;
  for (const auto& s : symbols) vocab[s] = id++;
  for (const auto& s : symbols) vocab[s + "</w>"] = id++;
  // "la</w>" from l + a</w>; "lala</w>"? no: "la" (non-final) from l + a, then la + la</w>.
  vocab["la</w>"] = id++;  // 512
  vocab["la"] = id++;      // 513
  vocab["lala</w>"] = id++;  // 514
  vocab["<|startoftext|>"] = id++;  // 515
  vocab["<|endoftext|>"] = id++;    // 516
  write(dir / "vocab.json", vocab.dump());
  write(dir / "merges.txt", "#version: 0.2\nl a</w>\nl a\nla la</w>\n");
  const auto tok = load_tokenizer({"clip-bpe", dir / "vocab.json", dir / "merges.txt", 6, std::nullopt});
  // "La  LALA!" → clean + lower → "la lala!" → words la | lala | ! (CLIP's regex splits letters from punctuation).
  EXPECT_EQ(tok->encode_words("La  LALA!"), (std::vector<int64_t>{512, 514, vocab["!</w>"].get<int64_t>()}));
  const auto t = tok->encode("la");
  EXPECT_EQ(t.ids, (std::vector<int64_t>{515, 512, 516, 0, 0, 0}));  // open_clip pads with 0
  EXPECT_EQ(t.attention_mask, (std::vector<int64_t>{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(tok->encode("la la la la la la").ids, (std::vector<int64_t>{515, 512, 512, 512, 512, 516}));
  EXPECT_EQ(tok->encode_words("<|endoftext|>"), (std::vector<int64_t>{516}));
}

TEST(TokenizeByHand, Gpt2Pretokenisation) {
  using V = std::vector<std::string>;
  EXPECT_EQ(pretokenize("roberta-bpe", "I'm  here!! 42x"), (V{"I", "'m", " ", " here", "!!", " 42", "x"}));
  EXPECT_EQ(pretokenize("roberta-bpe", "a   \n"), (V{"a", "   \n"}));   // trailing white space: one piece
  EXPECT_EQ(pretokenize("roberta-bpe", " a\t b"), (V{" a", "\t", " b"}));  // the last space leads the word
  EXPECT_EQ(pretokenize("roberta-bpe", "café"), (V{"café"}));
  EXPECT_EQ(pretokenize("roberta-bpe", ""), V{});
}

TEST(TokenizeByHand, ClipPretokenisation) {
  using V = std::vector<std::string>;
  EXPECT_EQ(pretokenize("clip-bpe", "  Don't  STOP\t12 R&amp;B "), (V{"don", "'t", "stop", "1", "2", "r", "&", "b"}));
  EXPECT_EQ(pretokenize("clip-bpe", "ΣΊΣΥΦΟΣ"), (V{"σίσυφος"}));  // final sigma, as Python's str.lower()
}

TEST(TokenizeErrors, ClearMessages) {
  HandRoberta h;
  const auto tok = load_tokenizer(h.spec);
  try {
    tok->encode("ok \xC3\x28 bad");
    FAIL() << "invalid UTF-8 accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not valid UTF-8 (bad byte 0xC3 at offset 3)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tok->encode("\xED\xA0\x80"), Error);  // a surrogate
  auto expect_error = [](TokenizerSpec spec, const std::string& fragment) {
    try {
      load_tokenizer(spec);
      ADD_FAILURE() << "no error, expected: " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  auto spec = h.spec;
  spec.type = "wordpiece";
  expect_error(spec, "unknown tokenizer type 'wordpiece'");
  spec = h.spec;
  spec.vocab = h.dir / "nope.json";
  expect_error(spec, "nope.json cannot be read");
  write(h.dir / "bad.json", "{\"a\": 1,");
  spec.vocab = h.dir / "bad.json";
  expect_error(spec, "is not valid JSON");
  // A number beyond double is valid JSON that nlohmann refuses with out_of_range (not parse_error): it escaped
  // load_tokenizer as a json exception (found by fuzzing the same kind of file in fuzz_manifest).
  write(h.dir / "huge.json", R"({"<s>": 1e999})");
  spec.vocab = h.dir / "huge.json";
  expect_error(spec, "huge.json cannot be read: ");
  write(h.dir / "nos.json", R"({"<pad>":1,"</s>":2,"<unk>":3})");
  spec.vocab = h.dir / "nos.json";
  expect_error(spec, "has no '<s>' token");
  spec = h.spec;
  write(h.dir / "bad.txt", "#version: 0.2\nh e\nhe\n");
  spec.merges = h.dir / "bad.txt";
  expect_error(spec, "line 3: expected two symbols");
  spec = h.spec;
  spec.max_length = 1;
  expect_error(spec, "max_length must be at least 2");
  spec = h.spec;
  spec.type = "clip-bpe";
  expect_error(spec, "has no '<|startoftext|>' token");
}

// ---------------------------------------------------------------- against the exporting side

std::vector<std::string> tricky_strings() {
  std::vector<std::string> bank = {
      "",
      " ",
      "  ",
      "\t\t",
      "hello world",
      "Hello World HELLO",
      "  leading and trailing  ",
      "ends with a space ",
      "multiple   spaces\tand\ttabs\nand\nnewlines\r\nwindows",
      "tab\tseparated\tvalues\t",
      "I'm sure it's what they've said, we'll see; you'd ... I'M SURE IT'S",
      "don't stop 'til you're done",
      "'s 't 'S 're've'll 'd 'x",
      "!!!???... ---- ***",
      "rock'n'roll & R&B — 70s/80s vibes (remix) [live] {demo}",
      "R&amp;B &lt;3 &#39;quoted&#39; &#x1F3B8; &amp;amp; &ampersand AT&T",
      "café naïve résumé Ångström",
      "e\u0301 combining accent vs \u00e9",
      "日本語の音楽とピアノ",
      "周杰伦 稻香",
      "한국어 노래",
      "Ελληνικά ΣΊΣΥΦΟΣ ΑΣ.",
      "İstanbul Straße ǅemal ﬁne",
      "Здравствуй, мир! Ёлка",
      "مرحبا بالعالم ١٢٣",
      "emoji 🎸🔥 and 😀😀😀",
      "👍🏽 skin tone 👋🏿",
      "👨‍👩‍👧‍👦 family ZWJ 🏳️‍🌈 flag",
      "numbers 1234567 3.14 -42 1e10 ½ ² Ⅻ",
      "mixed123abc456",
      "\u00a0non-breaking\u00a0space \u3000ideographic\u3000space",
      "\x1c\x1d file separators \x1e\x1f",
      "\x0b vertical tab \xc2\x85 next line a\u2028b",
      "zero\u200bwidth\u200djoiner",
      "<s> </s> <pad> <mask>",
      "<|startoftext|>hi<|endoftext|> <|ENDOFTEXT|> upper",
      "Ω≈ç√∫ ™ © ® € £ ¥",
      "slow dark piano with rain",
      "aggressive 808 trap with dark strings",
      "lo-fi hip hop beats to relax/study to",
      "Beethoven: Symphony No. 9 in D minor, Op. 125",
  };
  std::string long_text;
  while (long_text.size() < 5000) long_text += "La musique électronique 🎹 ";
  long_text.resize(5000);
  // Cut on a character boundary: 5000 bytes of that text end inside the ASCII part.
  bank.push_back(long_text);
  return bank;
}

std::vector<std::string> training_corpus(const std::vector<std::string>& bank) {
  std::vector<std::string> corpus = bank;
  const std::vector<std::string> prompts = {
      "slow dark piano", "upbeat electronic dance music with heavy bass", "calm acoustic guitar in the morning",
      "sad strings and a lonely cello", "energetic rock with distorted guitars and loud drums",
      "ambient pads, rain and soft synthesizers", "jazz trio with brushed drums and walking bass",
      "the hello world of music: la la la", "happy children's songs", "Don't stop, it's the weekend",
      "hip hop beats, 90 bpm, vinyl crackle", "orchestral film score with epic brass",
  };
  for (int i = 0; i < 4; ++i) corpus.insert(corpus.end(), prompts.begin(), prompts.end());
  return corpus;
}

std::string python() {
  const char* p = std::getenv("AUDIORIUM_PYTHON");
  return p && *p ? p : "python3";
}

// Runs the reference script; its output goes to a log that is shown when it fails.
void run_reference(const TempDir& dir, const std::string& args) {
  const fs::path script = fs::path(AUDIORIUM_SOURCE_DIR) / "tools/packs/bpe_reference.py";
  const std::string log = (dir / "python.log").string();
  const std::string cmd = python() + " '" + script.string() + "' " + args + " > '" + log + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream in(log);
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(rc, 0) << cmd << "\n" << out
                   << "\n(the reference needs python3 with the `regex` module: Debian's python3-regex, installed by "
                      "scripts/install-deps.sh; AUDIORIUM_PYTHON picks another interpreter)";
}

struct Flavour {
  std::string cpp, py;
};

class AgainstReference : public ::testing::TestWithParam<Flavour> {};

TEST_P(AgainstReference, SameIdsForTrickyStrings) {
  const auto& f = GetParam();
  TempDir dir;
  const auto bank = tricky_strings();
  write(dir / "bank.json", json(bank).dump());
  write(dir / "corpus.json", json(training_corpus(bank)).dump());
  ASSERT_NO_FATAL_FAILURE(run_reference(
      dir, "train --flavour " + f.py + " --merges 400 --corpus '" + (dir / "corpus.json").string() + "' --out '" +
               dir.path().string() + "'"));
  struct Run {
    std::size_t max_length;
    std::optional<int64_t> pad;
  };
  std::size_t compared = 0;
  for (const Run run : {Run{77, std::nullopt}, Run{12, std::nullopt}, Run{20, 5}}) {
    const std::string out = (dir / ("ids-" + std::to_string(run.max_length) + ".json")).string();
    ASSERT_NO_FATAL_FAILURE(run_reference(
        dir, "encode --flavour " + f.py + " --vocab '" + (dir / "vocab.json").string() + "' --merges '" +
                 (dir / "merges.txt").string() + "' --max-length " + std::to_string(run.max_length) +
                 (run.pad ? " --pad-id " + std::to_string(*run.pad) : "") + " --input '" +
                 (dir / "bank.json").string() + "' --output '" + out + "'"));
    const json expected = json::parse(std::ifstream(out));
    ASSERT_EQ(expected.size(), bank.size());
    const auto tok = load_tokenizer({f.cpp, dir / "vocab.json", dir / "merges.txt", run.max_length, run.pad});
    for (std::size_t i = 0; i < bank.size(); ++i) {
      SCOPED_TRACE("string " + std::to_string(i) + ": '" + bank[i].substr(0, 80) + "'");
      EXPECT_EQ(pretokenize(f.cpp, bank[i]), expected[i]["words"].get<std::vector<std::string>>());
      const auto t = tok->encode(bank[i]);
      EXPECT_EQ(t.ids, expected[i]["ids"].get<std::vector<int64_t>>());
      EXPECT_EQ(t.attention_mask, expected[i]["attention_mask"].get<std::vector<int64_t>>());
      ++compared;
    }
    // The long input fills the context and still ends with the end token.
    const auto last = tok->encode(bank.back());
    EXPECT_EQ(last.ids.size(), run.max_length);
    EXPECT_EQ(last.attention_mask.back(), 1);
    EXPECT_EQ(last.ids.back(), expected.back()["ids"].back().get<int64_t>());
  }
  EXPECT_EQ(compared, 3 * bank.size());
  std::cout << "[ compared ] " << compared << " encodings of " << bank.size() << " strings (" << f.cpp << ")\n";
}

INSTANTIATE_TEST_SUITE_P(Flavours, AgainstReference,
                         ::testing::Values(Flavour{"roberta-bpe", "roberta"}, Flavour{"clip-bpe", "clip"}),
                         [](const auto& param_info) { return param_info.param.py; });

}  // namespace
