#!/usr/bin/env python3
"""Builds a randomly initialised model pack with exactly the contract of a real one (see packlib.py), with
Debian's python3-torch: the tests build tiny packs at test time, the benchmark a realistic-size one.

  python3 tools/packs/make_test_pack.py OUT_DIR --kind clap [--size tiny|realistic] [--name NAME] [--seed 0]
  python3 tools/packs/make_test_pack.py OUT_DIR --kind clip ...

clap: audio tower (waveform in: torch.stft + mel filterbank + patch conv + transformer) and a token-in text tower
      (roberta-bpe tokenizer); clip: image tower (ViT-like) and a text tower (clip-bpe tokenizer). The tokenizer
      files are the small vocab/merges bpe_reference.py generates. Sizes: "tiny" (tens of thousands of
      parameters, fast tests) or "realistic" (CLAP-HTSAT ≈ 30M audio, RoBERTa-base ≈ 125M text, CLIP ViT-B/32 ≈
      88M image parameters — random weights, for timing only).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402
import packlib  # noqa: E402

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


# The tokenizer's training text: music prompts, the mood prompts of the image bridge, and the reference strings.
CORPUS = [
    "a calm piano melody", "aggressive 808 trap with dark strings", "slow dark ambient drone", "happy upbeat pop",
    "energetic rock with loud drums", "sad acoustic guitar ballad", "dreamy synthwave at night", "epic orchestral battle",
    "peaceful morning birdsong and flute", "warm jazz trio in a smoky bar", "melancholic rainy day lo-fi beats",
    "bright cheerful ukulele", "tense suspenseful cinematic strings", "romantic candlelit dinner music",
    "Café del Mar, chill-out; ünïcödé and emoji 🎵", "a photo of a calm lake", "the the the music music sound",
]


def build_tokenizer(out_dir: str, flavour: str, max_length: int):
    """Writes vocab.json + merges.txt trained by bpe_reference.py on CORPUS, and returns (the manifest's
    tokenizer section, tokenize(text) -> (ids, mask), vocabulary size)."""
    import bpe_reference  # tools/packs/bpe_reference.py
    short = "roberta" if flavour == "roberta-bpe" else "clip"
    vocab, merges = bpe_reference.train(short, CORPUS, 300)
    bpe_reference.write_files(out_dir, short, vocab, merges)
    tok = bpe_reference.Reference(short, os.path.join(out_dir, "vocab.json"), os.path.join(out_dir, "merges.txt"),
                                  max_length=max_length)
    section = {"type": flavour, "vocab": "vocab.json", "merges": "merges.txt", "max_length": max_length,
               "pad_id": tok.pad}

    def tokenize(text: str):
        ids, mask = tok.encode(text)
        return list(ids), list(mask)
    return section, tokenize, len(vocab)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--kind", choices=["clap", "clip"], required=True)
    ap.add_argument("--size", choices=["tiny", "realistic"], default="tiny")
    ap.add_argument("--name", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dim", type=int, default=None, help="embedding dimension (default: 32 tiny, 512 realistic)")
    ap.add_argument("--no-references", action="store_true")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    size = models.SIZES[args.size]
    dim = args.dim or size["dim"]
    os.makedirs(args.out_dir, exist_ok=True)
    name = args.name or f"test-{args.kind}-{args.size}"
    started = time.time()

    flavour = "roberta-bpe" if args.kind == "clap" else "clip-bpe"
    context = 77
    tok_section, tokenize, vocab_size = build_tokenizer(args.out_dir, flavour, context)
    t = dict(size["text"])
    t["vocab"] = max(t["vocab"] or 0, vocab_size)
    text = models.TextTower(t["vocab"], context, dim, t["width"], t["layers"], t["heads"])
    ids, mask = tokenize("a calm piano melody")
    ex_ids, ex_mask = torch.tensor([ids, ids]), torch.tensor([mask, mask])
    one = (ex_ids[:1], ex_mask[:1])
    text_ts = packlib.trace_tower(text, (ex_ids, ex_mask), os.path.join(args.out_dir, "text.pt"), checks=[one])
    manifest = {"name": name, "kind": args.kind, "version": f"{args.size}-seed{args.seed}", "embedding_dim": dim,
                "text": {"tower": "text.pt", "tokenizer": tok_section}}
    params = {"text": packlib.count_parameters(text)}

    audio_ts = image_ts = None
    if args.kind == "clap":
        sr, window_s, hop_s = 48000, 10.0, 5.0
        a = size["audio"]
        audio = models.AudioTower(sr, dim, a["width"], a["layers"], a["heads"])
        n = int(sr * window_s)
        ex = torch.randn(2, n) * 0.1
        audio_ts = packlib.trace_tower(audio, (ex,), os.path.join(args.out_dir, "audio.pt"),
                                       checks=[(ex[:1],), (torch.randn(3, n // 2) * 0.1,)])
        manifest["audio"] = {"tower": "audio.pt", "sample_rate": sr, "window_s": window_s, "hop_s": hop_s,
                             "pooling": "mean-l2", "max_windows": 32}
        params["audio"] = packlib.count_parameters(audio)
    else:
        i = size["image"]
        image = models.ImageTower(i["size"], dim, i["width"], i["layers"], i["heads"], i["patch"])
        ex = torch.randn(2, 3, i["size"], i["size"])
        image_ts = packlib.trace_tower(image, (ex,), os.path.join(args.out_dir, "image.pt"), checks=[(ex[:1],)])
        manifest["image"] = {"tower": "image.pt", "size": i["size"], "resize": "shorter-side", "crop": "center",
                             "mean": CLIP_MEAN, "std": CLIP_STD}
        params["image"] = packlib.count_parameters(image)

    if not args.no_references:
        packlib.write_references(args.out_dir, manifest, audio_ts, text_ts, image_ts, tokenize)
        manifest["references"] = "references.json"
    manifest["parameters"] = params
    packlib.write_manifest(args.out_dir, manifest)
    print(f"{args.out_dir}: {args.kind} pack '{name}', dim {dim}, parameters "
          + ", ".join(f"{k} {v / 1e6:.2f}M" for k, v in params.items()) + f", {time.time() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
