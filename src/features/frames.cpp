#include "features/frames.h"

#include <fftw3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <numbers>
#include <string>
#include <tuple>

#include "core/error.h"

namespace audiorium::features {

namespace {

struct FftwPlanDestroy {
  void operator()(fftwf_plan_s* p) const { fftwf_destroy_plan(p); }
};
struct FftwFree {
  void operator()(void* p) const { fftwf_free(p); }
};
using PlanPtr = std::unique_ptr<fftwf_plan_s, FftwPlanDestroy>;
using RealBuf = std::unique_ptr<float[], FftwFree>;
using ComplexBuf = std::unique_ptr<fftwf_complex[], FftwFree>;

RealBuf alloc_real(int n) {
  RealBuf b(fftwf_alloc_real(static_cast<std::size_t>(n)));
  if (!b) throw Error("out of memory allocating an FFT buffer");
  return b;
}
ComplexBuf alloc_complex(int n) {
  ComplexBuf b(fftwf_alloc_complex(static_cast<std::size_t>(n)));
  if (!b) throw Error("out of memory allocating an FFT buffer");
  return b;
}

struct Band {
  int first = 0;           // first FFT bin with a non-zero weight
  std::vector<float> w;    // weights for bins first, first+1, …
};

constexpr int kContrastBands = 7;  // 6 octaves from 200 Hz + the remainder up to Nyquist

// Everything that depends only on FrameParams: window, filter banks, DCT matrix, FFT plan. Built once per
// distinct params and shared read-only between threads.
struct Setup {
  FrameParams p;
  int n_bins = 0;
  std::vector<float> window, freqs;
  std::vector<Band> mel;
  std::vector<float> dct;  // n_mfcc x n_mels
  int chroma_lo = 0, chroma_hi = 0;  // bin range [lo, hi) searched for peaks
  std::vector<float> bin_midi;       // fractional MIDI note of each bin centre (A4 = 69 = 440 Hz)
  std::array<int, kContrastBands> band_lo{}, band_hi{}, alpha{};
  fftwf_plan plan = nullptr;  // owned by the plan cache
};

// FFTW's planner is not thread-safe; execution of an existing plan on new arrays is.
std::mutex g_plan_mutex;

fftwf_plan plan_for(int n_fft) {
  static std::map<int, PlanPtr> plans;
  std::lock_guard lock(g_plan_mutex);
  auto it = plans.find(n_fft);
  if (it != plans.end()) return it->second.get();
  RealBuf in = alloc_real(n_fft);
  ComplexBuf out = alloc_complex(n_fft / 2 + 1);
  // FFTW_ESTIMATE keeps results bit-identical from run to run (MEASURE may pick different algorithms), so
  // re-analysing a file reproduces the stored features; FFTW_UNALIGNED is not needed as all buffers come from
  // fftwf_malloc.
  PlanPtr plan(fftwf_plan_dft_r2c_1d(n_fft, in.get(), out.get(), FFTW_ESTIMATE));
  if (!plan) throw Error("FFTW could not plan an FFT of size " + std::to_string(n_fft));
  return plans.emplace(n_fft, std::move(plan)).first->second.get();
}

// Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above.
double hz_to_mel(double f) {
  constexpr double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
  const double logstep = std::log(6.4) / 27.0;
  return f < min_log_hz ? f / f_sp : min_log_mel + std::log(f / min_log_hz) / logstep;
}
double mel_to_hz(double m) {
  constexpr double f_sp = 200.0 / 3.0, min_log_hz = 1000.0, min_log_mel = min_log_hz / f_sp;
  const double logstep = std::log(6.4) / 27.0;
  return m < min_log_mel ? m * f_sp : min_log_hz * std::exp(logstep * (m - min_log_mel));
}

std::shared_ptr<const Setup> build_setup(const FrameParams& p) {
  auto s = std::make_shared<Setup>();
  s->p = p;
  const int nb = p.n_fft / 2 + 1;
  s->n_bins = nb;
  s->window.resize(static_cast<std::size_t>(p.n_fft));
  for (int i = 0; i < p.n_fft; ++i)  // periodic Hann, as scipy's get_window('hann') for spectra
    s->window[static_cast<std::size_t>(i)] =
        static_cast<float>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * i / p.n_fft));
  s->freqs.resize(static_cast<std::size_t>(nb));
  for (int k = 0; k < nb; ++k) s->freqs[static_cast<std::size_t>(k)] = static_cast<float>(double(k) * p.sample_rate / p.n_fft);

  // Mel filter bank: triangles equally spaced on the mel scale, area-normalised (Slaney).
  std::vector<double> mel_f(static_cast<std::size_t>(p.n_mels + 2));
  const double mmax = hz_to_mel(p.sample_rate / 2.0);
  for (int i = 0; i < p.n_mels + 2; ++i) mel_f[static_cast<std::size_t>(i)] = mel_to_hz(mmax * i / (p.n_mels + 1));
  s->mel.resize(static_cast<std::size_t>(p.n_mels));
  for (int m = 0; m < p.n_mels; ++m) {
    const double lo = mel_f[static_cast<std::size_t>(m)], c = mel_f[static_cast<std::size_t>(m) + 1],
                 hi = mel_f[static_cast<std::size_t>(m) + 2];
    const double enorm = 2.0 / (hi - lo);
    Band& b = s->mel[static_cast<std::size_t>(m)];
    b.first = -1;
    for (int k = 0; k < nb; ++k) {
      const double f = s->freqs[static_cast<std::size_t>(k)];
      const double w = std::max(0.0, std::min((f - lo) / (c - lo), (hi - f) / (hi - c)));
      if (w <= 0) {
        if (b.first >= 0) break;
        continue;
      }
      if (b.first < 0) b.first = k;
      b.w.push_back(static_cast<float>(w * enorm));
    }
    if (b.first < 0) b.first = 0;  // a band narrower than one bin stays empty (its energy reads as the floor)
  }

  // Orthonormal DCT-II rows (scipy.fft.dct(type=2, norm='ortho')).
  s->dct.resize(static_cast<std::size_t>(p.n_mfcc) * p.n_mels);
  for (int k = 0; k < p.n_mfcc; ++k)
    for (int n = 0; n < p.n_mels; ++n)
      s->dct[static_cast<std::size_t>(k) * p.n_mels + n] = static_cast<float>(
          std::sqrt((k == 0 ? 1.0 : 2.0) / p.n_mels) * std::cos(std::numbers::pi * k * (2 * n + 1) / (2.0 * p.n_mels)));

  // Chroma looks at spectral peaks between 50 Hz and 5 kHz (see the frame loop).
  s->chroma_lo = std::max(1, static_cast<int>(std::ceil(50.0 * p.n_fft / p.sample_rate)));
  s->chroma_hi = std::min(nb - 1, static_cast<int>(std::floor(5000.0 * p.n_fft / p.sample_rate)) + 1);
  s->bin_midi.assign(static_cast<std::size_t>(nb), 0.0f);
  for (int k = 1; k < nb; ++k)
    s->bin_midi[static_cast<std::size_t>(k)] = static_cast<float>(69.0 + 12.0 * std::log2(s->freqs[static_cast<std::size_t>(k)] / 440.0));

  // Spectral contrast bands, following librosa's edge rules (each band after the first borrows the bin below
  // it; the last takes everything up to Nyquist).
  for (int b = 0; b < kContrastBands; ++b) {
    const double f_lo = b == 0 ? 0.0 : 200.0 * std::pow(2.0, b - 1), f_hi = 200.0 * std::pow(2.0, b);
    int lo = nb, hi = -1;
    for (int k = 0; k < nb; ++k) {
      const double f = s->freqs[static_cast<std::size_t>(k)];
      if (f >= f_lo && f <= f_hi) {
        lo = std::min(lo, k);
        hi = std::max(hi, k);
      }
    }
    if (hi < lo) {  // band above Nyquist for a low sample rate
      s->band_lo[static_cast<std::size_t>(b)] = s->band_hi[static_cast<std::size_t>(b)] = 0;
      s->alpha[static_cast<std::size_t>(b)] = 0;
      continue;
    }
    if (b > 0) lo = std::max(0, lo - 1);
    if (b == kContrastBands - 1) hi = nb - 1;
    const int count = hi - lo + 1;
    s->alpha[static_cast<std::size_t>(b)] = std::max(1, static_cast<int>(std::lround(0.02 * count)));
    s->band_lo[static_cast<std::size_t>(b)] = lo;
    s->band_hi[static_cast<std::size_t>(b)] = b < kContrastBands - 1 ? hi : hi + 1;  // exclusive end
  }

  s->plan = plan_for(p.n_fft);
  return s;
}

std::shared_ptr<const Setup> setup_for(const FrameParams& p) {
  static std::mutex mutex;
  static std::map<std::tuple<int, int, int, int, int>, std::shared_ptr<const Setup>> cache;
  const auto key = std::make_tuple(p.sample_rate, p.n_fft, p.hop, p.n_mels, p.n_mfcc);
  std::lock_guard lock(mutex);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  auto s = build_setup(p);
  cache.emplace(key, s);
  return s;
}

void validate(const FrameParams& p) {
  if (p.sample_rate < 1000 || p.n_fft < 16 || p.n_fft % 2 != 0 || p.hop < 1 || p.n_mels < 1 || p.n_mfcc < 1 ||
      p.n_mfcc > p.n_mels)
    throw Error("invalid frame parameters (sample_rate " + std::to_string(p.sample_rate) + ", n_fft " +
                std::to_string(p.n_fft) + ", hop " + std::to_string(p.hop) + ", n_mels " + std::to_string(p.n_mels) +
                ", n_mfcc " + std::to_string(p.n_mfcc) + ")");
}

FrameMatrix matrix(int rows, int cols) {
  return FrameMatrix{rows, cols, std::vector<float>(static_cast<std::size_t>(rows) * cols, 0.0f)};
}

// log of the geometric mean of v (all > 0), without a log per element: multiply in double in groups of 8 and
// keep the binary exponent apart (values lie in [1e-10, ~1e12], so 8 of them cannot overflow a double).
double mean_log(const float* v, int n) {
  double log2_sum = 0;
  for (int i = 0; i < n;) {
    double prod = 1.0;
    const int end = std::min(n, i + 8);
    for (; i < end; ++i) prod *= v[i];
    int e = 0;
    const double m = std::frexp(prod, &e);
    log2_sum += e + std::log2(m);
  }
  return log2_sum * std::numbers::ln2 / n;
}

// Means of the `a` smallest and `a` largest of v[0..n) (a <= n, a small): one pass keeping two short sorted
// lists, cheaper than sorting or two nth_element partitions per band and frame.
std::pair<float, float> extreme_means(const float* v, int n, int a, float* scratch) {
  float* lo = scratch;      // ascending, the a smallest so far
  float* hi = scratch + a;  // descending, the a largest so far
  int nlo = 0, nhi = 0;
  for (int i = 0; i < n; ++i) {
    const float x = v[i];
    if (nlo < a || x < lo[nlo - 1]) {
      int j = nlo < a ? nlo++ : a - 1;
      for (; j > 0 && lo[j - 1] > x; --j) lo[j] = lo[j - 1];
      lo[j] = x;
    }
    if (nhi < a || x > hi[nhi - 1]) {
      int j = nhi < a ? nhi++ : a - 1;
      for (; j > 0 && hi[j - 1] < x; --j) hi[j] = hi[j - 1];
      hi[j] = x;
    }
  }
  float sl = 0, sh = 0;
  for (int i = 0; i < a; ++i) {
    sl += lo[i];
    sh += hi[i];
  }
  return {sl / static_cast<float>(a), sh / static_cast<float>(a)};
}

}  // namespace

FrameFeatures compute_frame_features(std::span<const float> mono, const FrameParams& params) {
  validate(params);
  const auto setup = setup_for(params);
  const Setup& s = *setup;
  FrameFeatures out;
  out.params = params;
  const long len = static_cast<long>(mono.size());
  const int n_fft = params.n_fft, nb = s.n_bins, pad = n_fft / 2;
  const int T = len > 0 ? static_cast<int>(1 + len / params.hop) : 0;
  out.n_frames = T;
  out.mel_db = matrix(T, params.n_mels);
  out.mfcc = matrix(T, params.n_mfcc);
  out.chroma = matrix(T, 12);
  out.contrast = matrix(T, kContrastBands);
  for (auto* v : {&out.centroid_hz, &out.bandwidth_hz, &out.rolloff_hz, &out.flatness, &out.zcr, &out.rms,
                  &out.onset_strength})
    v->assign(static_cast<std::size_t>(T), 0.0f);
  if (T == 0) return out;

  // Centre frames by reflect-padding n_fft/2 on both sides (repeated reflection for very short input).
  std::vector<float> xp(static_cast<std::size_t>(len + 2 * pad));
  std::copy(mono.begin(), mono.end(), xp.begin() + pad);
  const long period = 2 * (len - 1);
  auto fold = [&](long j) {  // index into mono after reflecting at both ends
    if (len == 1) return 0L;
    j = ((j % period) + period) % period;
    return j >= len ? period - j : j;
  };
  for (long i = 0; i < pad; ++i) {
    xp[static_cast<std::size_t>(i)] = mono[static_cast<std::size_t>(fold(i - pad))];
    xp[static_cast<std::size_t>(pad + len + i)] = mono[static_cast<std::size_t>(fold(len + i))];
  }
  // Prefix sums make RMS and zero-crossing rate O(1) per frame.
  std::vector<double> sq(xp.size() + 1, 0.0);
  std::vector<int> zc(xp.size() + 1, 0);
  for (std::size_t i = 0; i < xp.size(); ++i) {
    sq[i + 1] = sq[i] + double(xp[i]) * xp[i];
    const bool neg = xp[i] < -1e-10f, prev_neg = i > 0 && xp[i - 1] < -1e-10f;  // tiny values count as zero
    zc[i + 1] = zc[i] + (i > 0 && neg != prev_neg ? 1 : 0);
  }

  RealBuf in = alloc_real(n_fft);
  ComplexBuf spec = alloc_complex(nb);
  std::vector<float> power(static_cast<std::size_t>(nb)), mag(static_cast<std::size_t>(nb)),
      floored(static_cast<std::size_t>(nb)), scratch(static_cast<std::size_t>(nb));
  const float* freqs = s.freqs.data();

  for (int t = 0; t < T; ++t) {
    const std::size_t start = static_cast<std::size_t>(t) * params.hop;
    const float* frame = xp.data() + start;
    for (int i = 0; i < n_fft; ++i) in[i] = frame[i] * s.window[static_cast<std::size_t>(i)];
    fftwf_execute_dft_r2c(s.plan, in.get(), spec.get());
    double mag_sum = 0, weighted = 0;
    float frame_max = 0;
    for (int k = 0; k < nb; ++k) {
      const float re = spec[k][0], im = spec[k][1];
      const float pw = re * re + im * im;
      power[static_cast<std::size_t>(k)] = pw;
      mag[static_cast<std::size_t>(k)] = std::sqrt(pw);
      floored[static_cast<std::size_t>(k)] = std::max(pw, 1e-10f);
      frame_max = std::max(frame_max, pw);
      mag_sum += mag[static_cast<std::size_t>(k)];
      weighted += double(mag[static_cast<std::size_t>(k)]) * freqs[k];
    }
    const auto ts = static_cast<std::size_t>(t);
    // Time-domain energy and zero crossings of the unwindowed frame.
    out.rms[ts] = static_cast<float>(std::sqrt(std::max(0.0, sq[start + n_fft] - sq[start]) / n_fft));
    out.zcr[ts] = static_cast<float>(zc[start + n_fft] - zc[start + 1]) / static_cast<float>(n_fft);

    // Mel power → dB, then MFCC.
    float* mel_row = out.mel_db.data.data() + ts * params.n_mels;
    for (int m = 0; m < params.n_mels; ++m) {
      const Band& b = s.mel[static_cast<std::size_t>(m)];
      float acc = 0;
      const float* pw = power.data() + b.first;
      for (std::size_t i = 0; i < b.w.size(); ++i) acc += b.w[i] * pw[i];
      mel_row[m] = 10.0f * std::log10(std::max(acc, 1e-10f));
    }
    float* mfcc_row = out.mfcc.data.data() + ts * params.n_mfcc;
    for (int k = 0; k < params.n_mfcc; ++k) {
      const float* d = s.dct.data() + static_cast<std::size_t>(k) * params.n_mels;
      float acc = 0;
      for (int m = 0; m < params.n_mels; ++m) acc += d[m] * mel_row[m];
      mfcc_row[k] = acc;
    }

    // Chroma from spectral peaks (HPCP-style): below ~400 Hz the Hann main lobe is wider than a semitone, so
    // mapping every bin would smear each note over its neighbours. Each local maximum is located to a fraction
    // of a bin (parabola on magnitude) and its power goes to the nearest semitones with a bump 4/3 semitone wide.
    std::array<float, 12> ch{};
    const float peak_floor = std::max(1e-10f, frame_max * 1e-6f);  // ignore peaks 60 dB below the frame's top
    for (int k = s.chroma_lo; k < s.chroma_hi; ++k) {
      const auto ku = static_cast<std::size_t>(k);
      const float b = power[ku];
      if (!(b > peak_floor) || b <= power[ku - 1] || b < power[ku + 1]) continue;
      const float ma = mag[ku - 1], mb = mag[ku], mc = mag[ku + 1];
      const float den = ma - 2 * mb + mc;
      const float delta = den < 0 ? std::clamp(0.5f * (ma - mc) / den, -0.5f, 0.5f) : 0.0f;
      // midi(k + delta) = midi(k) + 12*log2(1 + delta/k); two Taylor terms are exact enough for |delta/k| <= 0.1.
      const float x = delta / static_cast<float>(k);
      const float midi = s.bin_midi[ku] + 17.312340f * (x - 0.5f * x * x);
      const float base = std::floor(midi);
      for (int j = 0; j < 2; ++j) {
        const float dist = std::abs(midi - (base + static_cast<float>(j)));
        if (dist >= 2.0f / 3.0f) continue;
        const float u = 1.5f * dist, w = (1 - u * u) * (1 - u * u);  // smooth bump, 4/3 semitone wide
        const int pc = ((static_cast<int>(base) + j) % 12 + 12) % 12;
        ch[static_cast<std::size_t>(pc)] += w * b;
      }
    }
    const float cmax = *std::max_element(ch.begin(), ch.end());
    float* chroma_row = out.chroma.data.data() + ts * 12;
    if (cmax > 1e-10f)
      for (int c = 0; c < 12; ++c) chroma_row[c] = ch[static_cast<std::size_t>(c)] / cmax;

    // Spectral shape from the magnitude spectrum.
    if (mag_sum > 1e-10) {
      const double centroid = weighted / mag_sum;
      double var = 0, cum = 0;
      const double target = 0.85 * mag_sum;
      float rolloff = -1;
      for (int k = 0; k < nb; ++k) {
        const double mk = mag[static_cast<std::size_t>(k)];
        const double d = freqs[k] - centroid;
        var += mk * d * d;
        cum += mk;
        if (rolloff < 0 && cum >= target) rolloff = freqs[k];
      }
      out.centroid_hz[ts] = static_cast<float>(centroid);
      out.bandwidth_hz[ts] = static_cast<float>(std::sqrt(var / mag_sum));
      out.rolloff_hz[ts] = rolloff < 0 ? freqs[nb - 1] : rolloff;
    }
    double arith = 0;
    for (int k = 0; k < nb; ++k) arith += floored[static_cast<std::size_t>(k)];
    arith /= nb;
    out.flatness[ts] = static_cast<float>(std::exp(mean_log(floored.data(), nb)) / arith);

    // Spectral contrast: peak minus valley (means of the top and bottom 2% of magnitudes) per band, in dB.
    float* con_row = out.contrast.data.data() + ts * kContrastBands;
    for (int b = 0; b < kContrastBands; ++b) {
      const int lo = s.band_lo[static_cast<std::size_t>(b)], hi = s.band_hi[static_cast<std::size_t>(b)],
                a = s.alpha[static_cast<std::size_t>(b)];
      const int n = hi - lo;
      if (a <= 0 || n <= 0) continue;
      const auto [valley, peak] = extreme_means(mag.data() + lo, n, std::min(a, n), scratch.data());
      con_row[b] = 10.0f * std::log10(std::max(peak, 1e-10f) / std::max(valley, 1e-10f));
    }
  }

  // Onset strength: rectified rise of log-mel; quieter than 80 dB below the track's peak counts as silence so
  // noise-floor flicker does not read as onsets.
  const float top = *std::max_element(out.mel_db.data.begin(), out.mel_db.data.end());
  const float floor_db = top - 80.0f;
  const int M = params.n_mels;
  for (int t = 1; t < T; ++t) {
    const float* cur = out.mel_db.data.data() + static_cast<std::size_t>(t) * M;
    const float* prev = cur - M;
    float acc = 0;
    for (int m = 0; m < M; ++m) acc += std::max(0.0f, std::max(cur[m], floor_db) - std::max(prev[m], floor_db));
    out.onset_strength[static_cast<std::size_t>(t)] = acc / static_cast<float>(M);
  }
  return out;
}

FrameMatrix deltas(const FrameMatrix& m, int width) {
  if (width < 3 || width % 2 == 0) throw Error("delta width must be odd and at least 3, got " + std::to_string(width));
  FrameMatrix d = matrix(m.rows, m.cols);
  if (m.rows < 2) return d;
  // Slope of a least-squares line through rows [a, a+n) for column c.
  auto slope = [&](int a, int n, int c) {
    const double mean_i = (n - 1) / 2.0;
    double num = 0, den = 0;
    for (int i = 0; i < n; ++i) {
      num += (i - mean_i) * m.at(a + i, c);
      den += (i - mean_i) * (i - mean_i);
    }
    return static_cast<float>(num / den);
  };
  const int half = width / 2;
  if (m.rows < width) {
    for (int c = 0; c < m.cols; ++c) {
      const float s = slope(0, m.rows, c);
      for (int r = 0; r < m.rows; ++r) d.data[static_cast<std::size_t>(r) * m.cols + c] = s;
    }
    return d;
  }
  double den = 0;
  for (int n = 1; n <= half; ++n) den += 2.0 * n * n;
  for (int c = 0; c < m.cols; ++c) {
    const float head = slope(0, width, c), tail = slope(m.rows - width, width, c);
    for (int r = 0; r < m.rows; ++r) {
      float v;
      if (r < half) {
        v = head;
      } else if (r >= m.rows - half) {
        v = tail;
      } else {
        double num = 0;
        for (int n = 1; n <= half; ++n) num += n * (double(m.at(r + n, c)) - m.at(r - n, c));
        v = static_cast<float>(num / den);
      }
      d.data[static_cast<std::size_t>(r) * m.cols + c] = v;
    }
  }
  return d;
}

}  // namespace audiorium::features
