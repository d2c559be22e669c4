#include "audio/decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <system_error>

#include "core/error.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libswresample/swresample.h>
}

namespace audiorium::audio {

namespace fs = std::filesystem;

AnalysisWindow AnalysisWindow::full() { return AnalysisWindow{Mode::Full, 0.0}; }
AnalysisWindow AnalysisWindow::middle(double seconds) { return AnalysisWindow{Mode::Middle, seconds}; }

namespace {

struct FormatCloser {
  void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
};
struct CodecFreer {
  void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct FrameFreer {
  void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwrFreer {
  void operator()(SwrContext* p) const { swr_free(&p); }
};
using FormatPtr = std::unique_ptr<AVFormatContext, FormatCloser>;
using CodecPtr = std::unique_ptr<AVCodecContext, CodecFreer>;
using FramePtr = std::unique_ptr<AVFrame, FrameFreer>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFreer>;
using SwrPtr = std::unique_ptr<SwrContext, SwrFreer>;

// AVChannelLayout may own a custom channel map; uninit releases it.
struct Layout {
  AVChannelLayout l{};
  Layout() = default;
  Layout(const Layout&) = delete;
  Layout& operator=(const Layout&) = delete;
  ~Layout() { av_channel_layout_uninit(&l); }
};

std::string av_error(int rc) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(rc, buf, sizeof buf);
  return buf;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// Decoding problems surface as audiorium::Error; FFmpeg's own chatter about skipped corrupt packets would only
// clutter the output of a library scan.
void quiet_ffmpeg_logs() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_FATAL); });
}

struct Source {
  FormatPtr fmt;
  int stream = -1;
  StreamInfo info;
};

Source open_source(const fs::path& file) {
  quiet_ffmpeg_logs();
  std::error_code ec;
  if (!fs::exists(file, ec)) throw Error("audio file not found: " + quoted(file));
  if (!fs::is_regular_file(file, ec)) throw Error("not a regular file: " + quoted(file));
  if (fs::file_size(file, ec) == 0) throw Error("audio file is empty (0 bytes): " + quoted(file));

  AVFormatContext* raw = nullptr;  // owned by FFmpeg until open succeeds, then by `src.fmt`
  int rc = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
  if (rc == AVERROR_INVALIDDATA || rc == AVERROR(EINVAL))
    throw Error("cannot open " + quoted(file) + ": not a recognised audio format (" + av_error(rc) + ")");
  if (rc < 0) throw Error("cannot open " + quoted(file) + " as audio: " + av_error(rc));
  Source src;
  src.fmt.reset(raw);
  AVFormatContext* fmt = src.fmt.get();
  rc = avformat_find_stream_info(fmt, nullptr);
  if (rc < 0) throw Error("cannot read the streams of " + quoted(file) + ": " + av_error(rc));
  src.stream = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (src.stream < 0) throw Error("no audio stream in " + quoted(file) + " (not an audio file?)");

  const AVStream* st = fmt->streams[src.stream];
  const AVCodecParameters* par = st->codecpar;
  StreamInfo& info = src.info;
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    info.duration_s = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  else if (st->duration != AV_NOPTS_VALUE && st->duration > 0)
    info.duration_s = static_cast<double>(st->duration) * av_q2d(st->time_base);
  info.codec = avcodec_get_name(par->codec_id);
  info.source_sample_rate = par->sample_rate;
  info.channels = par->ch_layout.nb_channels;
  info.bit_rate = par->bit_rate > 0 ? par->bit_rate : fmt->bit_rate;
  return src;
}

// Converts decoded frames of any layout/format/rate to mono float at the target rate. Built from the first
// frame (not the stream header) because some containers only know the real layout once decoding starts.
class Resampler {
 public:
  explicit Resampler(int out_rate) : out_rate_(out_rate) {}

  // Appends the converted samples of `f` to `out`.
  void convert(const AVFrame* f, std::vector<float>& out) {
    if (!swr_ || f->format != in_format_ || f->sample_rate != in_rate_ || f->ch_layout.nb_channels != in_channels_) {
      flush(out);
      init(f);
    }
    run(const_cast<const uint8_t**>(f->extended_data), f->nb_samples, out);
  }

  // Appends what the resampler still holds (its filter delay).
  void flush(std::vector<float>& out) {
    if (swr_) run(nullptr, 0, out);
  }

 private:
  void init(const AVFrame* f) {
    Layout in;
    if (f->ch_layout.nb_channels > 0 && f->ch_layout.order != AV_CHANNEL_ORDER_UNSPEC)
      av_channel_layout_copy(&in.l, &f->ch_layout);
    else
      av_channel_layout_default(&in.l, std::max(1, f->ch_layout.nb_channels));
    Layout mono;
    av_channel_layout_default(&mono.l, 1);
    SwrContext* raw = nullptr;
    int rc = swr_alloc_set_opts2(&raw, &mono.l, AV_SAMPLE_FMT_FLT, out_rate_, &in.l,
                                 static_cast<AVSampleFormat>(f->format), f->sample_rate, 0, nullptr);
    SwrPtr swr(raw);
    if (rc < 0 || !swr) throw Error("cannot set up the resampler: " + av_error(rc));
    // swresample's default downmix weights channels by 1/sqrt(2) and does not normalise float output; the
    // contract is the plain average of the channels, so the matrix is set explicitly.
    const int n = in.l.nb_channels;
    std::vector<double> matrix(static_cast<std::size_t>(n), 1.0 / n);
    rc = swr_set_matrix(swr.get(), matrix.data(), n);
    if (rc >= 0) rc = swr_init(swr.get());
    if (rc < 0) throw Error("cannot set up the resampler: " + av_error(rc));
    swr_ = std::move(swr);
    in_format_ = f->format;
    in_rate_ = f->sample_rate;
    in_channels_ = f->ch_layout.nb_channels;
  }

  void run(const uint8_t** in, int in_count, std::vector<float>& out) {
    const int cap = swr_get_out_samples(swr_.get(), in_count);
    if (cap <= 0) return;
    const std::size_t old = out.size();
    out.resize(old + static_cast<std::size_t>(cap));
    auto* dst = reinterpret_cast<uint8_t*>(out.data() + old);
    const int got = swr_convert(swr_.get(), &dst, cap, in, in_count);
    out.resize(old + static_cast<std::size_t>(std::max(got, 0)));
    // Float and double sources (WAV/AIFF/CAF float, some decoders) carry any value, NaN and infinities included,
    // and swresample passes them on: keep the promise of finite samples in [-1, 1] (found by fuzz_audio).
    for (auto it = out.begin() + static_cast<std::ptrdiff_t>(old); it != out.end(); ++it)
      *it = std::isfinite(*it) ? std::clamp(*it, -1.0f, 1.0f) : 0.0f;
  }

  int out_rate_;
  SwrPtr swr_;
  int in_format_ = -1, in_rate_ = 0, in_channels_ = 0;
};

// Keeps the output samples that fall in [want_start, want_start + want_len) of the track and hands them on in
// blocks. Output sample k lies at origin + k / rate, the origin being the timestamp of the first decoded frame.
class WindowSink {
 public:
  WindowSink(int rate, double want_start, double want_len, std::size_t block, const BlockCallback& cb)
      : rate_(rate), want_start_(want_start), want_len_(want_len), block_(std::max<std::size_t>(block, 1)), cb_(cb) {}

  bool has_origin() const { return has_origin_; }
  void set_origin(double t0) {
    has_origin_ = true;
    k0_ = std::max<int64_t>(0, std::llround((want_start_ - t0) * rate_));
    k1_ = std::isfinite(want_len_) ? k0_ + std::llround(want_len_ * rate_) : std::numeric_limits<int64_t>::max();
    offset_ = t0 + static_cast<double>(k0_) / rate_;
  }

  // Returns false once the window is complete or the consumer stopped.
  bool push(std::span<const float> s) {
    const int64_t n = static_cast<int64_t>(s.size());
    const int64_t a = std::max(produced_, k0_), b = std::min(produced_ + n, k1_);
    for (int64_t k = a; k < b && !stopped_;) {
      const int64_t take = std::min<int64_t>(b - k, static_cast<int64_t>(block_ - pending_.size()));
      pending_.insert(pending_.end(), s.begin() + (k - produced_), s.begin() + (k - produced_ + take));
      k += take;
      if (pending_.size() == block_) emit();
    }
    produced_ += n;
    return !stopped_ && produced_ < k1_;
  }

  void finish() {
    if (!pending_.empty() && !stopped_) emit();
  }
  std::size_t emitted() const { return emitted_; }
  double offset() const { return offset_; }

 private:
  void emit() {
    emitted_ += pending_.size();
    if (!cb_(std::span<const float>(pending_))) stopped_ = true;
    pending_.clear();
  }

  int rate_;
  double want_start_, want_len_;
  std::size_t block_;
  const BlockCallback& cb_;
  bool has_origin_ = false, stopped_ = false;
  int64_t k0_ = 0, k1_ = 0, produced_ = 0;
  double offset_ = 0;
  std::vector<float> pending_;
  std::size_t emitted_ = 0;
};

// Decodes `src` from its start (or from a seek to want_start) and feeds the window to `cb`.
void run_decoder(Source& src, const fs::path& file, int rate, double want_start, double want_len,
                 const BlockCallback& cb, std::size_t block, double* offset_out) {
  AVFormatContext* fmt = src.fmt.get();
  AVStream* st = fmt->streams[src.stream];
  for (unsigned i = 0; i < fmt->nb_streams; ++i)
    if (static_cast<int>(i) != src.stream) fmt->streams[i]->discard = AVDISCARD_ALL;  // e.g. cover art

  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec) throw Error("no decoder for codec '" + src.info.codec + "' in " + quoted(file));
  CodecPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw Error("out of memory decoding " + quoted(file));
  int rc = avcodec_parameters_to_context(ctx.get(), st->codecpar);
  ctx->pkt_timebase = st->time_base;  // without it mp3 timestamps come with warnings and guesses
  if (rc >= 0) rc = avcodec_open2(ctx.get(), codec, nullptr);
  if (rc < 0) throw Error("cannot open the '" + src.info.codec + "' decoder for " + quoted(file) + ": " + av_error(rc));

  const double tb = av_q2d(st->time_base);
  const int64_t start_pts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
  bool seeked = false;
  if (want_start > 0) {
    // Backward to the keyframe before the target; samples before the target are dropped by timestamp.
    const auto ts = start_pts + static_cast<int64_t>(want_start / tb);
    if (av_seek_frame(fmt, src.stream, ts, AVSEEK_FLAG_BACKWARD) >= 0) {
      avcodec_flush_buffers(ctx.get());
      seeked = true;
    }  // a failed seek leaves us at the start: decode from there and crop by timestamp
  }

  WindowSink sink(rate, want_start, want_len, block, cb);
  Resampler resampler(rate);
  PacketPtr pkt(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  if (!pkt || !frame) throw Error("out of memory decoding " + quoted(file));
  std::vector<float> converted;
  bool done = false, restart = false;

  auto drain = [&] {
    while (!done && !restart) {
      const int r = avcodec_receive_frame(ctx.get(), frame.get());
      if (r < 0) return;  // EAGAIN, EOF, or a frame the decoder gave up on: carry on with the next packet
      if (!sink.has_origin()) {
        int64_t pts = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : frame->pts;
        if (pts != AV_NOPTS_VALUE) {
          sink.set_origin(static_cast<double>(pts - start_pts) * tb);
        } else if (!seeked) {
          sink.set_origin(0.0);
        } else {
          restart = true;  // after a seek we cannot place samples without timestamps
          av_frame_unref(frame.get());
          return;
        }
      }
      converted.clear();
      resampler.convert(frame.get(), converted);
      av_frame_unref(frame.get());
      done = !sink.push(converted);
    }
  };

  while (!done) {
    const int r = av_read_frame(fmt, pkt.get());
    if (r < 0) break;  // end of file, or the rest is unreadable (truncated): keep what was decoded
    if (pkt->stream_index != src.stream) {
      av_packet_unref(pkt.get());
      continue;
    }
    const int s = avcodec_send_packet(ctx.get(), pkt.get());
    av_packet_unref(pkt.get());
    if (s < 0 && s != AVERROR(EAGAIN)) continue;  // corrupt packet: skip it
    drain();
    if (restart) {
      av_seek_frame(fmt, src.stream, start_pts, AVSEEK_FLAG_BACKWARD);
      avcodec_flush_buffers(ctx.get());
      seeked = restart = false;
    }
  }
  if (!done) {
    avcodec_send_packet(ctx.get(), nullptr);  // drain the decoder's delayed frames
    drain();
    if (!done) {
      converted.clear();
      resampler.flush(converted);
      sink.push(converted);
    }
  }
  sink.finish();
  if (sink.emitted() == 0) throw Error("no decodable audio in " + quoted(file));
  if (offset_out) *offset_out = sink.offset();
}

}  // namespace

StreamInfo probe(const fs::path& file) { return open_source(file).info; }

StreamInfo decode_stream(const fs::path& file, int target_sample_rate, const AnalysisWindow& window,
                         const BlockCallback& on_block, std::size_t block_frames, double* offset_s) {
  if (target_sample_rate < 1000 || target_sample_rate > 768000)
    throw Error("invalid target sample rate " + std::to_string(target_sample_rate) + " for " + quoted(file));
  if (!on_block) throw Error("no consumer given for the audio of " + quoted(file));
  Source src = open_source(file);
  const double dur = src.info.duration_s;
  const bool middle = window.mode == AnalysisWindow::Mode::Middle && window.seconds > 0;
  const double inf = std::numeric_limits<double>::infinity();

  if (middle && dur <= 0) {
    // Unknown duration: the middle is only known at the end, so decode everything and crop.
    std::vector<float> all;
    double off = 0;
    run_decoder(src, file, target_sample_rate, 0.0, inf,
                [&](std::span<const float> b) { all.insert(all.end(), b.begin(), b.end()); return true; }, 1 << 16,
                &off);
    const auto len = static_cast<std::size_t>(std::llround(window.seconds * target_sample_rate));
    const std::size_t first = all.size() > len ? (all.size() - len) / 2 : 0;
    const std::size_t last = std::min(all.size(), first + len);
    const std::size_t block = std::max<std::size_t>(block_frames, 1);
    for (std::size_t i = first; i < last; i += block)
      if (!on_block(std::span<const float>(all.data() + i, std::min(block, last - i)))) break;
    if (offset_s) *offset_s = off + static_cast<double>(first) / target_sample_rate;
    return src.info;
  }

  double want_start = 0, want_len = inf;
  if (middle && dur > window.seconds) {
    want_start = (dur - window.seconds) / 2;
    want_len = window.seconds;
  }
  run_decoder(src, file, target_sample_rate, want_start, want_len, on_block, block_frames, offset_s);
  return src.info;
}

DecodedAudio decode(const fs::path& file, int target_sample_rate, const AnalysisWindow& window) {
  DecodedAudio out;
  out.sample_rate = target_sample_rate;
  if (window.mode == AnalysisWindow::Mode::Middle && window.seconds > 0)
    out.samples.reserve(static_cast<std::size_t>(window.seconds * target_sample_rate) + 1);
  out.info = decode_stream(
      file, target_sample_rate, window,
      [&](std::span<const float> b) { out.samples.insert(out.samples.end(), b.begin(), b.end()); return true; },
      1 << 16, &out.offset_s);
  return out;
}

}  // namespace audiorium::audio
