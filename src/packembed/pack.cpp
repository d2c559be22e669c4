#include "packembed/pack.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/error.h"
#include "core/vector_math.h"
#include "image/decode.h"
#include "tokenize/bpe_tokenizer.h"

namespace audiorium::packembed {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<float> normalised(std::vector<float> v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  n = std::sqrt(n);
  if (n > 1e-12)
    for (auto& x : v) x = static_cast<float>(x / n);
  return v;
}

std::vector<std::vector<float>> rows_of(const std::vector<float>& flat, int dim) {
  std::vector<std::vector<float>> out;
  for (std::size_t r = 0; r * static_cast<std::size_t>(dim) < flat.size(); ++r)
    out.push_back(normalised(std::vector<float>(flat.begin() + static_cast<std::ptrdiff_t>(r * dim),
                                                flat.begin() + static_cast<std::ptrdiff_t>((r + 1) * dim))));
  return out;
}

std::string pack_label(const PackSpec& s) { return "pack '" + s.name + "' (" + s.dir.string() + ")"; }

class L2Finisher final : public embed::Finisher {
 public:
  std::vector<float> apply(std::span<const float> raw) const override {
    return normalised(std::vector<float>(raw.begin(), raw.end()));
  }
  json to_json() const override { return {{"finisher", "l2"}}; }
};

}  // namespace

std::string embedder_id_for(const PackSpec& spec) {
  std::string id = spec.kind + "." + spec.name + "." + spec.version;
  for (auto& c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  return id;
}

std::vector<std::size_t> window_starts(std::size_t n, std::size_t win, std::size_t hop, int max_windows) {
  if (n <= win || win == 0) return {0};
  if (hop == 0) hop = win;
  std::vector<std::size_t> starts;
  for (std::size_t s = 0; s + win <= n; s += hop) starts.push_back(s);
  if (starts.back() != n - win) starts.push_back(n - win);
  if (max_windows > 0 && starts.size() > static_cast<std::size_t>(max_windows)) {
    const std::size_t last = n - win;
    starts.clear();
    if (max_windows == 1) return {last / 2};
    for (int i = 0; i < max_windows; ++i) starts.push_back(static_cast<std::size_t>(i) * last / static_cast<std::size_t>(max_windows - 1));
  }
  return starts;
}

std::shared_ptr<Pack> Pack::open(const fs::path& dir) {
  auto p = std::shared_ptr<Pack>(new Pack());
  p->spec_ = packs::read_pack(dir, /*verify_checksums=*/false);
  const auto& s = p->spec_;
  if (s.embedding_dim <= 0) throw Error(pack_label(s) + ": embedding_dim must be positive");
  auto load = [&](const fs::path& tower) {
    try {
      return std::make_unique<Tower>(Tower::load(tower.is_absolute() ? tower : s.dir / tower));
    } catch (const Error& e) {
      throw Error(pack_label(s) + ": " + e.what());
    }
  };
  if (s.audio) p->audio_ = load(s.audio->tower);
  if (s.text) {
    p->text_ = load(s.text->tower);
    p->tokenizer_ = tokenize::load_tokenizer(s.text->tokenizer);
  }
  if (s.image) p->image_ = load(s.image->tower);
  return p;
}

Pack::~Pack() = default;

std::vector<std::vector<float>> Pack::embed_clips(const std::vector<std::span<const float>>& clips) const {
  if (!audio_) throw Error(pack_label(spec_) + " has no audio tower");
  std::vector<std::vector<float>> out;
  if (clips.empty()) return out;
  const std::size_t len = clips.front().size();
  std::vector<float> batch;
  for (std::size_t i = 0; i < clips.size(); i += static_cast<std::size_t>(batch_)) {
    const std::size_t b = std::min(clips.size() - i, static_cast<std::size_t>(batch_));
    batch.assign(b * len, 0.0f);
    for (std::size_t j = 0; j < b; ++j) {
      if (clips[i + j].size() != len) throw Error("audio clips of one batch must have the same length");
      std::copy(clips[i + j].begin(), clips[i + j].end(), batch.begin() + static_cast<std::ptrdiff_t>(j * len));
    }
    auto rows = rows_of(audio_->run(batch, {static_cast<int64_t>(b), static_cast<int64_t>(len)}, dim()), dim());
    for (auto& r : rows) out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::vector<float>> Pack::window_embeddings(std::span<const float> wave) const {
  if (!audio_) throw Error(pack_label(spec_) + " has no audio tower");
  if (wave.empty()) throw Error("no audio samples to embed");
  const auto& a = *spec_.audio;
  const auto win = static_cast<std::size_t>(std::llround(a.window_s * a.sample_rate));
  const auto hop = static_cast<std::size_t>(std::llround(a.hop_s * a.sample_rate));
  std::vector<float> padded;
  if (wave.size() < win) {  // repeat-pad a short track to one window (as CLAP's "repeatpad")
    padded.reserve(win);
    while (padded.size() < win) padded.insert(padded.end(), wave.begin(), wave.begin() + static_cast<std::ptrdiff_t>(std::min(wave.size(), win - padded.size())));
    wave = padded;
  }
  std::vector<std::span<const float>> clips;
  for (auto s : window_starts(wave.size(), win, hop, a.max_windows)) clips.push_back(wave.subspan(s, win));
  return embed_clips(clips);
}

std::vector<float> Pack::embed_audio(std::span<const float> wave) const {
  const auto rows = window_embeddings(wave);
  std::vector<double> sum(static_cast<std::size_t>(dim()), 0.0);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += r[i];
  std::vector<float> mean(sum.size());
  for (std::size_t i = 0; i < sum.size(); ++i) mean[i] = static_cast<float>(sum[i] / static_cast<double>(rows.size()));
  return normalised(std::move(mean));
}

const tokenize::Tokenizer& Pack::tokenizer() const {
  if (!tokenizer_) throw Error(pack_label(spec_) + " has no text tower");
  return *tokenizer_;
}

std::vector<std::vector<float>> Pack::embed_texts(const std::vector<std::string>& texts) const {
  if (!text_) throw Error(pack_label(spec_) + " has no text tower");
  std::vector<std::vector<float>> out;
  std::vector<int64_t> ids, mask;
  for (std::size_t i = 0; i < texts.size(); i += static_cast<std::size_t>(batch_)) {
    const std::size_t b = std::min(texts.size() - i, static_cast<std::size_t>(batch_));
    ids.clear();
    mask.clear();
    std::size_t len = 0;
    for (std::size_t j = 0; j < b; ++j) {
      auto t = tokenizer_->encode(texts[i + j]);
      if (len == 0) len = t.ids.size();
      if (t.ids.size() != len) throw Error("tokenizer gave texts of different lengths");
      ids.insert(ids.end(), t.ids.begin(), t.ids.end());
      mask.insert(mask.end(), t.attention_mask.begin(), t.attention_mask.end());
    }
    auto rows = rows_of(text_->run_tokens(ids, mask, static_cast<int64_t>(b), static_cast<int64_t>(len), dim()), dim());
    for (auto& r : rows) out.push_back(std::move(r));
  }
  return out;
}

std::vector<float> Pack::embed_text(std::string_view text) const { return embed_texts({std::string(text)}).front(); }

std::vector<float> Pack::embed_image_exact(std::span<const uint8_t> rgb) const {
  if (!image_) throw Error(pack_label(spec_) + " has no image tower");
  const auto& im = *spec_.image;
  const auto s = static_cast<std::size_t>(im.size);
  if (rgb.size() != s * s * 3) throw Error("image must be size × size RGB");
  std::vector<float> chw(3 * s * s);
  for (std::size_t c = 0; c < 3; ++c) {
    // float32 throughout, as the Python side computes (x / 255 - mean) / std
    const float mean = static_cast<float>(im.mean[c]), stdev = static_cast<float>(im.std[c]);
    for (std::size_t i = 0; i < s * s; ++i) chw[c * s * s + i] = (static_cast<float>(rgb[i * 3 + c]) / 255.0f - mean) / stdev;
  }
  const auto n = static_cast<int64_t>(s);
  return rows_of(image_->run(chw, {1, 3, n, n}, dim()), dim()).front();
}

namespace {

// Shorter side → size, centre crop; input and output CV_8UC3 RGB.
cv::Mat resize_and_crop(const cv::Mat& rgb, int size) {
  const double scale = static_cast<double>(size) / std::min(rgb.cols, rgb.rows);
  const int w = std::max(size, static_cast<int>(std::lround(rgb.cols * scale)));
  const int h = std::max(size, static_cast<int>(std::lround(rgb.rows * scale)));
  cv::Mat resized;
  cv::resize(rgb, resized, cv::Size(w, h), 0, 0, scale < 1.0 ? cv::INTER_AREA : cv::INTER_CUBIC);
  const int x = (w - size) / 2, y = (h - size) / 2;
  return resized(cv::Rect(x, y, size, size)).clone();
}

}  // namespace

std::vector<float> Pack::embed_image_rgb(std::span<const uint8_t> rgb, int width, int height) const {
  if (!image_) throw Error(pack_label(spec_) + " has no image tower");
  if (width <= 0 || height <= 0 || rgb.size() != static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3)
    throw Error("image buffer does not match its size");
  cv::Mat m(height, width, CV_8UC3, const_cast<uint8_t*>(rgb.data()));
  cv::Mat crop = resize_and_crop(m, spec_.image->size);
  return embed_image_exact(std::span<const uint8_t>(crop.data, crop.total() * 3));
}

std::vector<float> Pack::embed_image_file(const fs::path& file) const {
  if (!image_) throw Error(pack_label(spec_) + " has no image tower");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("cannot read " + file.string());
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return embed_image_bytes(bytes, file.filename().string());
}

std::vector<float> Pack::embed_image_bytes(std::span<const unsigned char> bytes, std::string_view name) const {
  if (!image_) throw Error(pack_label(spec_) + " has no image tower");
  image::ImageLimits limits;
  limits.analysis_long_side = 4 * std::max(spec_.image->size, 512);  // keep detail; the crop resizes below
  const auto decoded = image::detail::decode_for_analysis(bytes, limits, name);
  cv::Mat bgr8, rgb8;
  decoded.bgr.convertTo(bgr8, CV_8UC3, 255.0);
  cv::cvtColor(bgr8, rgb8, cv::COLOR_BGR2RGB);
  cv::Mat crop = resize_and_crop(rgb8, spec_.image->size);
  return embed_image_exact(std::span<const uint8_t>(crop.data, crop.total() * 3));
}

fs::path find_pack(const std::string& which, const std::vector<fs::path>& search_path) {
  std::error_code ec;
  if (which.find('/') != std::string::npos && fs::is_directory(which, ec)) return which;
  const auto colon = which.find(':');
  const std::string kind = which.substr(0, colon);
  if (kind != "clap" && kind != "clip")
    throw Error("unknown embedder '" + which + "': use dsp-v1, clap, clip, clap:<pack>, clip:<pack> or a pack folder");
  if (colon != std::string::npos) {
    const auto dir = packs::find_pack(which.substr(colon + 1), search_path);
    const auto m = packs::read_pack(dir, false);
    if (m.kind != kind) throw Error("pack '" + m.name + "' is a " + m.kind + " pack, not " + kind);
    return dir;
  }
  std::string looked;
  for (const auto& dir : search_path) {
    looked += (looked.empty() ? "" : ", ") + dir.string();
    for (const auto& info : packs::list_packs(dir, /*verify_checksums=*/false))
      if (info.valid() && info.kind == kind) return info.dir;
  }
  throw Error("no " + kind + " pack found (looked in " + (looked.empty() ? std::string("nothing") : looked) +
              "); export one with tools/export_pack.py " + kind + " … and put it there, or set $AUDIORIUM_PACKS");
}

PackEmbedder::PackEmbedder(std::shared_ptr<Pack> pack) : pack_(std::move(pack)) {
  if (!pack_->has_audio())
    throw Error("pack '" + pack_->spec().name + "' has no audio tower, so it cannot embed tracks");
}

std::vector<float> PackEmbedder::embed(const embed::AnalysedAudio& input) const {
  if (input.audio.sample_rate != sample_rate())
    throw Error("audio at " + std::to_string(input.audio.sample_rate) + " Hz given to a pack that needs " +
                std::to_string(sample_rate()) + " Hz");
  return pack_->embed_audio(input.audio.samples);
}

std::unique_ptr<embed::Finisher> PackEmbedder::fit(std::span<const float>, std::size_t) const {
  return std::make_unique<L2Finisher>();
}

std::unique_ptr<embed::Finisher> PackEmbedder::load_finisher(const json& state) const {
  if (state.value("finisher", std::string()) != "l2") throw Error("not a pack finisher state");
  return std::make_unique<L2Finisher>();
}

// --- references.json ---------------------------------------------------------------------------------------------

std::vector<float> reference_sines(const json& spec, int sample_rate, double window_s) {
  const auto n = static_cast<std::size_t>(std::llround(spec.at("windows").get<double>() * window_s * sample_rate));
  const auto freqs = spec.at("freqs").get<std::vector<double>>();
  const auto amps = spec.at("amps").get<std::vector<double>>();
  std::vector<double> x(n, 0.0);
  for (std::size_t k = 0; k < freqs.size() && k < amps.size(); ++k)
    for (std::size_t i = 0; i < n; ++i) x[i] += amps[k] * std::sin(2.0 * M_PI * freqs[k] * static_cast<double>(i) / sample_rate);
  return std::vector<float>(x.begin(), x.end());
}

std::vector<uint8_t> reference_image(const json& spec, int size) {
  const std::string type = spec.at("type");
  std::vector<uint8_t> out(static_cast<std::size_t>(size) * static_cast<std::size_t>(size) * 3);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      int r, g, b;
      if (type == "gradient") {
        r = (x * 255) / (size - 1);
        g = (y * 255) / (size - 1);
        b = ((x + y) * 255) / (2 * (size - 1));
      } else if (type == "checker") {
        const int v = ((x / 16 + y / 16) % 2) * 200 + 30;
        r = v, g = 255 - v, b = 128;
      } else {
        throw Error("unknown reference image type " + type);
      }
      auto* p = &out[(static_cast<std::size_t>(y) * static_cast<std::size_t>(size) + static_cast<std::size_t>(x)) * 3];
      p[0] = static_cast<uint8_t>(r), p[1] = static_cast<uint8_t>(g), p[2] = static_cast<uint8_t>(b);
    }
  return out;
}

namespace {

double max_diff(const std::vector<float>& a, const json& b) {
  const auto v = b.get<std::vector<float>>();
  if (v.size() != a.size()) return INFINITY;
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - v[i]));
  return m;
}

std::string describe(const json& spec) {
  std::string s = spec.value("type", std::string("?"));
  if (spec.contains("freqs")) {
    s += " ";
    for (auto& f : spec["freqs"]) s += std::to_string(static_cast<int>(f.get<double>())) + "+";
    s.back() = ' ';
    s += "Hz, " + std::to_string(spec.value("windows", 1.0)).substr(0, 4) + " windows";
  }
  return s;
}

}  // namespace

VerifyReport verify_references(const Pack& pack) {
  const auto& s = pack.spec();
  if (!s.references) throw Error(pack_label(s) + " has no references.json to verify against");
  const fs::path file = s.references->is_absolute() ? *s.references : s.dir / *s.references;
  std::ifstream in(file);
  if (!in) throw Error("cannot read " + file.string());
  json refs;
  try {
    refs = json::parse(in);
  } catch (const std::exception& e) {
    throw Error(file.string() + ": not JSON: " + e.what());
  }
  VerifyReport report;
  auto add = [&](VerifyItem item) {
    report.max_abs_diff = std::max(report.max_abs_diff, item.max_abs_diff);
    report.tokens_match = report.tokens_match && item.tokens_match;
    report.items.push_back(std::move(item));
  };
  if (pack.has_audio() && refs.contains("audio")) {
    const auto& a = *s.audio;
    for (const auto& r : refs["audio"]) {
      const auto wave = reference_sines(r.at("input"), a.sample_rate, a.window_s);
      add({"audio " + describe(r["input"]), max_diff(pack.embed_clips({wave}).front(), r.at("embedding")), true});
    }
    for (const auto& r : refs.value("audio_pooled", json::array())) {
      const auto wave = reference_sines(r.at("input"), a.sample_rate, a.window_s);
      add({"audio pooled " + describe(r["input"]), max_diff(pack.embed_audio(wave), r.at("embedding")), true});
    }
  }
  if (pack.has_text() && refs.contains("text")) {
    for (const auto& r : refs["text"]) {
      const std::string text = r.at("text");
      const auto tok = pack.tokenizer().encode(text);
      const bool same = tok.ids == r.at("ids").get<std::vector<int64_t>>();
      add({"text '" + text + "'", max_diff(pack.embed_text(text), r.at("embedding")), same});
    }
  }
  if (pack.has_image() && refs.contains("image")) {
    for (const auto& r : refs["image"]) {
      const auto rgb = reference_image(r.at("input"), s.image->size);
      add({"image " + describe(r["input"]), max_diff(pack.embed_image_exact(rgb), r.at("embedding")), true});
    }
  }
  return report;
}

}  // namespace audiorium::packembed
