// Model packs on disk: a folder holding manifest.json, the TorchScript towers and the tokenizer files, each
// named in the manifest with its SHA-256. This module reads and checks a pack without loading libtorch, so
// listing and verifying packs costs nothing at start-up; src/neural runs the towers.
//
// manifest.json, format_version 1:
//   {"format_version": 1, "name": "clap-htsat-unfused", "kind": "clap" | "clip", "version": "...",
//    "embedding_dim": 512,
//    "audio": {"tower": "audio.pt", "sample_rate": 48000, "window_s": 10.0, "hop_s": 5.0, "pooling": "mean-l2",
//              "max_windows": 32},
//    "text":  {"tower": "text.pt", "tokenizer": {"type": "roberta-bpe" | "clip-bpe", "vocab": "vocab.json",
//              "merges": "merges.txt", "max_length": 77, "pad_id": 1}},
//    "image": {"tower": "image.pt", "size": 224, "resize": "shorter-side", "crop": "center",
//              "mean": [r, g, b], "std": [r, g, b]},
//    "files": {"audio.pt": "<sha256 hex>", ...},
//    "references": "references.json"}
// A clap pack has audio and/or text towers, a clip pack image and/or text towers (at least one). Every file the
// manifest names must be listed under "files". Unknown keys are ignored, so later versions of format 1 can add
// optional fields; anything that changes the meaning of an existing field bumps format_version.
//
// Where packs live: each folder of $AUDIORIUM_PACKS (a ':'-separated list) and then <data dir>/packs/, one pack
// per sub-folder (<data dir>/packs/<name>/manifest.json). The first folder holding a name wins.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tokenize/bpe_tokenizer.h"

namespace audiorium::packs {

inline constexpr int kFormatVersion = 1;

struct AudioTower {
  std::filesystem::path tower;
  int sample_rate = 0;    // Hz of the waveform the tower takes (mono)
  double window_s = 0;    // a track is cut into windows this long…
  double hop_s = 0;       // …starting this far apart (≤ window_s),
  std::string pooling;    // …whose embeddings are pooled: "mean-l2" (mean, then L2-normalised)
  int max_windows = 0;    // at most this many windows per track (spread over it)
};

struct TextTower {
  std::filesystem::path tower;
  tokenize::TokenizerSpec tokenizer;  // vocab and merges resolved against the pack folder
};

struct ImageTower {
  std::filesystem::path tower;
  int size = 0;                         // square input, pixels
  std::string resize;                   // "shorter-side": scale so the shorter side is `size`
  std::string crop;                     // "center": then crop the middle size × size
  std::array<double, 3> mean{}, std{};  // RGB normalisation of [0, 1] pixels: (x - mean) / std
};

struct PackManifest {
  std::filesystem::path dir;  // the pack folder; every path below is resolved against it
  int format_version = 0;
  std::string name, kind, version;  // kind: "clap" | "clip"
  int embedding_dim = 0;
  std::optional<AudioTower> audio;
  std::optional<TextTower> text;
  std::optional<ImageTower> image;
  std::map<std::string, std::string> files;    // file name (relative) → lower-case sha256 hex
  std::optional<std::filesystem::path> references;  // reference embeddings written by the export script

  std::vector<std::string> towers() const;  // "audio", "text", "image" — those present, in that order
};

// Reads and checks dir/manifest.json, that every named file exists and, with verify_checksums, that each file's
// SHA-256 matches. Throws audiorium::Error saying what is wrong and where ("pack 'x' (dir): …").
PackManifest read_pack(const std::filesystem::path& dir, bool verify_checksums = true);

enum class ChecksumStatus { ok, mismatch, not_checked };

struct PackInfo {
  std::string name;  // the manifest's name, or the folder's name when the manifest cannot be read
  std::filesystem::path dir;
  std::string kind, version;
  int embedding_dim = 0;
  std::vector<std::string> towers;
  ChecksumStatus checksums = ChecksumStatus::not_checked;
  std::string error;  // empty when the pack is valid
  bool valid() const { return error.empty(); }
};

// Every sub-folder of packs_dir, sorted by folder name; an invalid pack is listed with its error and does not
// hide the others. A missing packs_dir lists nothing.
std::vector<PackInfo> list_packs(const std::filesystem::path& packs_dir, bool verify_checksums = true);

// Where packs are looked for, in order: the folders in $AUDIORIUM_PACKS, then data_dir/packs.
std::vector<std::filesystem::path> pack_search_path(const std::filesystem::path& data_dir);

// The folder of the pack called `name` (manifest name or folder name) in the search path; throws audiorium::Error
// listing where it looked when there is none.
std::filesystem::path find_pack(const std::string& name, const std::vector<std::filesystem::path>& search_path);

// Lower-case hex SHA-256 of a file's bytes (throws audiorium::Error when it cannot be read).
std::string sha256_file(const std::filesystem::path& path);

}  // namespace audiorium::packs
