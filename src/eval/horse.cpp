#include "eval/horse.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
#include <libavutil/samplefmt.h>
}

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numbers>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "features/descriptors.h"
#include "features/frames.h"

namespace audiorium::eval {

namespace fs = std::filesystem;

// --- the transformations ----------------------------------------------------------------------------------------

std::vector<float> apply_gain_db(const std::vector<float>& samples, double db) {
  const double g = std::pow(10.0, db / 20.0);
  std::vector<float> out(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i)
    out[i] = static_cast<float>(std::clamp(samples[i] * g, -1.0, 1.0));
  return out;
}

// Two cascaded Butterworth biquads (Q = 0.5412 and 1.3066, the 4th-order pole pairs), coefficients from the
// bilinear transform as in R. Bristow-Johnson's Audio EQ Cookbook. libavfilter has a lowpass, but the project does
// not link it, and a biquad is a few lines.
std::vector<float> lowpass(const std::vector<float>& samples, int sample_rate, double cutoff_hz) {
  std::vector<double> x(samples.begin(), samples.end());
  const double w0 = 2 * std::numbers::pi * std::min(cutoff_hz, 0.45 * sample_rate) / sample_rate;
  for (double q : {0.54119610, 1.30656296}) {
    const double alpha = std::sin(w0) / (2 * q), c = std::cos(w0);
    const double a0 = 1 + alpha;
    const double b0 = (1 - c) / 2 / a0, b1 = (1 - c) / a0, b2 = b0, a1 = -2 * c / a0, a2 = (1 - alpha) / a0;
    double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (double& v : x) {
      const double y = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = v;
      y2 = y1;
      y1 = y;
      v = y;
    }
  }
  return std::vector<float>(x.begin(), x.end());
}

namespace {

struct CodecContextFree {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using CodecContext = std::unique_ptr<AVCodecContext, CodecContextFree>;
using Frame = std::unique_ptr<AVFrame, FrameFree>;
using Packet = std::unique_ptr<AVPacket, PacketFree>;

std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

void check(int rc, const char* what) {
  if (rc < 0) throw Error(std::string("re-encoding: ") + what + ": " + av_error(rc));
}

// Channel 0 of a decoded frame as float, whatever its sample format.
void append_channel0(const AVFrame& f, std::vector<float>& out) {
  const auto fmt = static_cast<AVSampleFormat>(f.format);
  const int channels = f.ch_layout.nb_channels;
  const int stride = av_sample_fmt_is_planar(fmt) ? 1 : channels;
  const uint8_t* data = f.data[0];
  for (int i = 0; i < f.nb_samples; ++i) {
    const int j = i * stride;
    switch (av_get_packed_sample_fmt(fmt)) {
      case AV_SAMPLE_FMT_FLT: out.push_back(reinterpret_cast<const float*>(data)[j]); break;
      case AV_SAMPLE_FMT_DBL: out.push_back(static_cast<float>(reinterpret_cast<const double*>(data)[j])); break;
      case AV_SAMPLE_FMT_S16: out.push_back(reinterpret_cast<const int16_t*>(data)[j] / 32768.0f); break;
      case AV_SAMPLE_FMT_S32:
        out.push_back(static_cast<float>(reinterpret_cast<const int32_t*>(data)[j] / 2147483648.0));
        break;
      default: throw Error("re-encoding: the decoder gave an unexpected sample format");
    }
  }
}

AVSampleFormat pick_format(const AVCodec& codec) {
  if (!codec.sample_fmts) return AV_SAMPLE_FMT_FLTP;
  for (auto want : {AV_SAMPLE_FMT_FLTP, AV_SAMPLE_FMT_FLT, AV_SAMPLE_FMT_S16P, AV_SAMPLE_FMT_S16})
    for (const auto* f = codec.sample_fmts; *f != AV_SAMPLE_FMT_NONE; ++f)
      if (*f == want) return want;
  return AV_SAMPLE_FMT_NONE;
}

void fill(AVFrame& frame, const float* src, int n) {
  const auto fmt = static_cast<AVSampleFormat>(frame.format);
  for (int i = 0; i < n; ++i) {
    if (fmt == AV_SAMPLE_FMT_FLTP || fmt == AV_SAMPLE_FMT_FLT)
      reinterpret_cast<float*>(frame.data[0])[i] = src[i];
    else
      reinterpret_cast<int16_t*>(frame.data[0])[i] =
          static_cast<int16_t>(std::lround(std::clamp(src[i], -1.0f, 1.0f) * 32767.0f));
  }
}

}  // namespace

std::vector<float> reencode(const std::vector<float>& samples, int sample_rate, int kbps, std::string* codec_used) {
  // Lossy encoders Debian's FFmpeg carries that take any of our analysis rates, best known first.
  const AVCodec* enc = nullptr;
  for (const char* name : {"libmp3lame", "libvorbis", "aac", "libshine"})
    if ((enc = avcodec_find_encoder_by_name(name)) && pick_format(*enc) != AV_SAMPLE_FMT_NONE) break;
    else enc = nullptr;
  if (!enc) throw Error("re-encoding: no lossy audio encoder (libmp3lame, libvorbis, aac) in this FFmpeg");
  if (codec_used) *codec_used = enc->name;

  CodecContext ectx(avcodec_alloc_context3(enc));
  if (!ectx) throw Error("re-encoding: out of memory");
  ectx->sample_rate = sample_rate;
  av_channel_layout_default(&ectx->ch_layout, 1);
  ectx->sample_fmt = pick_format(*enc);
  ectx->bit_rate = static_cast<int64_t>(kbps) * 1000;
  ectx->time_base = AVRational{1, sample_rate};
  check(avcodec_open2(ectx.get(), enc, nullptr), "opening the encoder");

  const AVCodec* dec = avcodec_find_decoder(enc->id);
  if (!dec) throw Error("re-encoding: no decoder for the encoder's codec");
  CodecContext dctx(avcodec_alloc_context3(dec));
  if (!dctx) throw Error("re-encoding: out of memory");
  dctx->sample_rate = sample_rate;
  av_channel_layout_default(&dctx->ch_layout, 1);
  if (ectx->extradata_size > 0) {  // Vorbis and AAC carry their setup here
    dctx->extradata = static_cast<uint8_t*>(av_mallocz(static_cast<std::size_t>(ectx->extradata_size) + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!dctx->extradata) throw Error("re-encoding: out of memory");
    std::copy_n(ectx->extradata, ectx->extradata_size, dctx->extradata);
    dctx->extradata_size = ectx->extradata_size;
  }
  check(avcodec_open2(dctx.get(), dec, nullptr), "opening the decoder");

  Frame in(av_frame_alloc()), out(av_frame_alloc());
  Packet pkt(av_packet_alloc());
  if (!in || !out || !pkt) throw Error("re-encoding: out of memory");
  std::vector<float> decoded;
  decoded.reserve(samples.size() + 8192);

  bool decoder_skips = false;  // the encoder marked its priming samples, and the decoder drops them itself
  auto drain_decoder = [&] {
    for (;;) {
      const int rc = avcodec_receive_frame(dctx.get(), out.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      check(rc, "decoding");
      append_channel0(*out, decoded);
      av_frame_unref(out.get());
    }
  };
  auto drain_encoder = [&] {
    for (;;) {
      const int rc = avcodec_receive_packet(ectx.get(), pkt.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      check(rc, "encoding");
      if (av_packet_get_side_data(pkt.get(), AV_PKT_DATA_SKIP_SAMPLES, nullptr)) decoder_skips = true;
      const int sent = avcodec_send_packet(dctx.get(), pkt.get());
      av_packet_unref(pkt.get());
      if (sent != AVERROR_INVALIDDATA) check(sent, "decoding");  // a damaged packet is dropped, as a player would
      drain_decoder();
    }
  };

  const int frame_size = ectx->frame_size > 0 ? ectx->frame_size : 1024;
  for (std::size_t pos = 0; pos < samples.size(); pos += static_cast<std::size_t>(frame_size)) {
    const int n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(frame_size), samples.size() - pos));
    in->nb_samples = (ectx->frame_size > 0 && !(enc->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE)) ? frame_size : n;
    in->format = ectx->sample_fmt;
    in->sample_rate = sample_rate;
    check(av_channel_layout_copy(&in->ch_layout, &ectx->ch_layout), "setting the channel layout");
    check(av_frame_get_buffer(in.get(), 0), "allocating a frame");
    av_samples_set_silence(in->data, 0, in->nb_samples, 1, ectx->sample_fmt);
    fill(*in, samples.data() + pos, n);
    in->pts = static_cast<int64_t>(pos);
    check(avcodec_send_frame(ectx.get(), in.get()), "encoding");
    av_frame_unref(in.get());
    drain_encoder();
  }
  check(avcodec_send_frame(ectx.get(), nullptr), "flushing the encoder");
  drain_encoder();
  check(avcodec_send_packet(dctx.get(), nullptr), "flushing the decoder");
  drain_decoder();

  // The encoder primes its first frame with `initial_padding` samples of delay. FFmpeg's MP3 encoder marks them on
  // the first packet (skip-samples side data) and the decoder drops them; otherwise drop them here, so the round
  // trip stays aligned with the input.
  const auto skip = decoder_skips ? std::size_t{0}
                                  : std::min<std::size_t>(static_cast<std::size_t>(std::max(0, ectx->initial_padding)), decoded.size());
  decoded.erase(decoded.begin(), decoded.begin() + static_cast<std::ptrdiff_t>(skip));
  decoded.resize(samples.size(), 0.0f);
  return decoded;
}

// --- the checks --------------------------------------------------------------------------------------------------

namespace {

struct Job {
  int64_t id = 0;
  std::string path;
  double duration_s = 0;
  double analysed_s = 0;  // the window the indexer used; ≥ duration: the whole track
  std::vector<float> original;
  std::vector<int64_t> same;  // the id and its fingerprint duplicates
};

struct Outcome {
  std::string error;
  std::vector<std::vector<float>> raw;  // one raw vector per transformation
};

constexpr int kTransforms = 6;
const char* const kNames[kTransforms] = {"identity", "reencode", "lowpass", "gain+6dB", "gain-6dB", "trim2s"};

std::span<const float> slice(const std::vector<float>& v, double start_s, double seconds, int sr) {
  const auto n = static_cast<double>(v.size());
  const auto a = static_cast<std::size_t>(std::clamp(std::round(start_s * sr), 0.0, n));
  const auto b = static_cast<std::size_t>(std::clamp(std::round((start_s + seconds) * sr), static_cast<double>(a), n));
  return std::span<const float>(v).subspan(a, b - a);
}

Outcome analyse(const Job& job, const embed::Embedder& embedder, const HorseOptions& o, std::string* codec) {
  Outcome out;
  try {
    const int sr = embedder.sample_rate();
    const bool whole = job.analysed_s <= 0 || job.duration_s <= 0 || job.analysed_s >= job.duration_s - 0.05;
    const double W = job.analysed_s;
    // Decode 2 s more than the window so both the original window and the trimmed track's window (1 s later:
    // trimming 2 s moves the middle by 1 s) lie inside it.
    const auto decoded = audio::decode(job.path, sr, whole ? audio::AnalysisWindow::full()
                                                           : audio::AnalysisWindow::middle(W + 2.0));
    const double duration = job.duration_s > 0 ? job.duration_s
                                                : static_cast<double>(decoded.samples.size()) / sr;
    std::vector<float> base, trimmed;
    if (whole) {
      base = decoded.samples;
      const auto t = slice(decoded.samples, 2.0, duration, sr);
      trimmed.assign(t.begin(), t.end());
    } else {
      const double start = (duration - W) / 2 - decoded.offset_s;  // where the indexer's window began
      const auto b = slice(decoded.samples, start, W, sr);
      base.assign(b.begin(), b.end());
      // The trimmed track lasts duration − 2; its window is the middle W of that, or all of it when shorter.
      const auto t = duration - 2 <= W ? slice(decoded.samples, 2.0 - decoded.offset_s, duration, sr)
                                       : slice(decoded.samples, start + 1.0, W, sr);
      trimmed.assign(t.begin(), t.end());
    }
    if (base.size() < static_cast<std::size_t>(sr / 4) || trimmed.size() < static_cast<std::size_t>(sr / 4))
      throw Error("too short for the checks");

    std::vector<std::vector<float>> variants;
    variants.push_back(base);
    variants.push_back(reencode(base, sr, o.bitrate_kbps, codec));
    variants.push_back(lowpass(base, sr, o.lowpass_hz));
    variants.push_back(apply_gain_db(base, 6.0));
    variants.push_back(apply_gain_db(base, -6.0));
    variants.push_back(std::move(trimmed));

    features::FrameParams params;
    params.sample_rate = sr;
    for (const auto& v : variants) {
      audio::DecodedAudio audio{v, sr, 0.0, decoded.info};
      const auto frames = features::compute_frame_features(audio.samples, params);
      const auto descriptors = features::compute_descriptors(audio.samples, sr, frames);
      out.raw.push_back(embedder.embed({audio, frames, descriptors}));
    }
  } catch (const std::exception& e) {
    out.error = e.what();
    out.raw.clear();
  }
  return out;
}

}  // namespace

HorseReport run_horse_checks(library::Library& lib, const HorseOptions& o) {
  HorseReport report;
  const auto descriptions = std::vector<std::string>{
      "decoded and analysed again, unchanged (the control)",
      "re-encoded at " + std::to_string(o.bitrate_kbps) + " kbps and decoded again",
      "low-passed at " + std::to_string(static_cast<int>(o.lowpass_hz)) + " Hz (4th-order Butterworth)",
      "gain +6 dB (clipped at full scale)",
      "gain −6 dB",
      "first 2 s trimmed"};
  for (int t = 0; t < kTransforms; ++t) report.transforms.push_back({kNames[t], descriptions[static_cast<std::size_t>(t)]});
  if (o.tracks <= 0) return report;

  const auto& index = lib.vector_index();
  auto& cat = lib.catalog();
  const auto& embedder = lib.embedder();
  // The finisher the index was built with (stored beside the catalog; vector_index() has just made it current).
  const auto state = cat.embedder_state(embedder.id());
  if (!state || index.size() == 0) {
    report.notes.push_back("no indexed tracks: the checks need an index");
    return report;
  }
  const auto finisher = embedder.load_finisher(nlohmann::json::parse(*state));

  // The sample: a seeded partial Fisher–Yates over the indexed tracks (our own index arithmetic, not
  // std::shuffle, whose output the standard leaves to the library).
  std::vector<int64_t> ids;
  for (const auto& t : cat.tracks())
    if (index.contains(t.id)) ids.push_back(t.id);
  std::mt19937_64 rng(o.seed ^ 0x686f727365ULL);  // "horse": this draw differs from the protocol's
  const std::size_t n = std::min(ids.size(), static_cast<std::size_t>(o.tracks));
  for (std::size_t i = 0; i < n; ++i) std::swap(ids[i], ids[i + rng() % (ids.size() - i)]);
  ids.resize(n);
  report.tracks = ids;

  std::vector<Job> jobs;
  for (auto id : ids) {
    const auto t = cat.track(id);
    Job j;
    j.id = id;
    j.path = t->path;
    j.duration_s = t->duration_s;
    for (const auto& [name, value] : cat.descriptors(id))
      if (name == "analysed_s") j.analysed_s = value;
    j.original = *index.vector(id);
    j.same.push_back(id);
    if (!t->fingerprint.empty())
      for (auto d : cat.tracks_with_fingerprint(t->fingerprint))
        if (d != id) j.same.push_back(d);
    jobs.push_back(std::move(j));
  }

  std::vector<Outcome> outcomes(jobs.size());
  std::vector<std::string> codecs(jobs.size());
  std::atomic<std::size_t> next{0};
  const unsigned threads = std::max(1u, std::min<unsigned>(o.jobs > 0 ? static_cast<unsigned>(o.jobs)
                                                                      : std::thread::hardware_concurrency(),
                                                           static_cast<unsigned>(jobs.size())));
  {
    std::vector<std::jthread> pool;
    for (unsigned w = 0; w < threads; ++w)
      pool.emplace_back([&] {
        for (std::size_t i; (i = next++) < jobs.size();) outcomes[i] = analyse(jobs[i], embedder, o, &codecs[i]);
      });
  }

  const int depth = static_cast<int>(std::min<std::size_t>(index.size(), 100));
  std::vector<double> cos_sum(kTransforms, 0), rank_sum(kTransforms, 0);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const auto& job = jobs[i];
    if (!codecs[i].empty()) report.codec = codecs[i];
    if (!outcomes[i].error.empty()) {
      ++report.skipped;
      report.notes.push_back("track " + std::to_string(job.id) + " (" + fs::path(job.path).filename().string() +
                             ") skipped: " + outcomes[i].error);
      continue;
    }
    for (int t = 0; t < kTransforms; ++t) {
      const auto v = finisher->apply(outcomes[i].raw[static_cast<std::size_t>(t)]);
      const auto hits = index.search(v, depth);
      int rank = depth + 1;
      for (std::size_t r = 0; r < hits.size(); ++r)
        if (std::find(job.same.begin(), job.same.end(), hits[r].id) != job.same.end()) {
          rank = static_cast<int>(r) + 1;
          break;
        }
      double dot = 0;
      for (std::size_t d = 0; d < v.size() && d < job.original.size(); ++d) dot += static_cast<double>(v[d]) * job.original[d];
      auto& tr = report.transforms[static_cast<std::size_t>(t)];
      ++tr.tried;
      if (rank == 1) ++tr.hits;
      cos_sum[static_cast<std::size_t>(t)] += dot;
      rank_sum[static_cast<std::size_t>(t)] += rank;
    }
  }
  for (int t = 0; t < kTransforms; ++t) {
    auto& tr = report.transforms[static_cast<std::size_t>(t)];
    if (tr.tried == 0) continue;
    tr.hit_rate = static_cast<double>(tr.hits) / static_cast<double>(tr.tried);
    tr.mean_cosine = cos_sum[static_cast<std::size_t>(t)] / static_cast<double>(tr.tried);
    tr.mean_rank = rank_sum[static_cast<std::size_t>(t)] / static_cast<double>(tr.tried);
  }
  if (!report.codec.empty())
    report.transforms[1].description = "re-encoded with " + report.codec + " at " + std::to_string(o.bitrate_kbps) +
                                       " kbps and decoded again";
  return report;
}

}  // namespace audiorium::eval
