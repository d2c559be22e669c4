// Frame-level DSP: one short-time spectrum every `hop` samples (Hann window of n_fft, frames centred on
// t = frame * hop with reflect padding, as librosa does) and the per-frame features derived from it.
// Fast by construction: one FFTW plan per size, filter banks precomputed as sparse weights and cached.
#pragma once

#include <span>
#include <vector>

namespace audiorium::features {

struct FrameMatrix {
  int rows = 0, cols = 0;
  std::vector<float> data;  // row-major: one row per frame
  float at(int r, int c) const { return data[static_cast<std::size_t>(r) * cols + c]; }
  std::span<const float> row(int r) const {
    return {data.data() + static_cast<std::size_t>(r) * cols, static_cast<std::size_t>(cols)};
  }
};

struct FrameParams {
  int sample_rate = 22050;
  int n_fft = 2048;
  int hop = 512;
  int n_mels = 64;
  int n_mfcc = 20;
};

struct FrameFeatures {
  FrameParams params;
  int n_frames = 0;  // 1 + samples / hop (0 for empty input)
  FrameMatrix mel_db;    // log-mel power in dB: 10*log10(max(p, 1e-10)); n_mels cols; Slaney mel scale and
                         // area-normalised triangles (librosa's default), 0 Hz .. sr/2
  FrameMatrix mfcc;      // n_mfcc cols: orthonormal DCT-II of mel_db, c0 included
  FrameMatrix chroma;    // 12 cols, pitch class 0=C … 9=A … 11=B, from the STFT power of spectral peaks in
                         // 50 Hz–5 kHz (A=440 tuning); each row normalised to max 1, silent rows stay zero
  FrameMatrix contrast;  // 7 cols: spectral contrast in dB (librosa: 6 octave bands from 200 Hz + the
                         // remainder; mean of top 2% minus mean of bottom 2% of magnitudes in each band)
  std::vector<float> centroid_hz;     // magnitude-weighted mean frequency (0 for silence)
  std::vector<float> bandwidth_hz;    // magnitude-weighted standard deviation around the centroid
  std::vector<float> rolloff_hz;      // frequency below which 85% of the magnitude lies
  std::vector<float> flatness;        // geometric / arithmetic mean of power (1e-10 floor; silence → 1, as librosa)
  std::vector<float> zcr;             // zero crossings per sample over the n_fft frame, 0..1
  std::vector<float> rms;             // linear RMS of the (unwindowed) n_fft frame
  std::vector<float> onset_strength;  // spectral flux of log-mel (clamped to 80 dB below the track's peak),
                                      // half-wave rectified, mean over bands; frame 0 is 0
};

// Throws audiorium::Error for invalid params (n_fft not even, hop < 1, …).
FrameFeatures compute_frame_features(std::span<const float> mono, const FrameParams& params = {});

// librosa-style regression deltas along time (Savitzky–Golay order 1, `width` odd >= 3; the first and last
// width/2 frames use the slope of the edge window). Fewer rows than width: slope over all rows.
FrameMatrix deltas(const FrameMatrix& m, int width = 9);

}  // namespace audiorium::features
