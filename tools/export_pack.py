#!/usr/bin/env python3
"""Exports real CLAP / CLIP weights to an Audiorium model pack (TorchScript towers + tokenizer files +
manifest.json with sha256 + references.json), on a machine that has the weights and the Python libraries:

  python3 tools/export_pack.py clap laion/clap-htsat-unfused packs/clap          # transformers' ClapModel
  python3 tools/export_pack.py clap laion/larger_clap_music_and_speech packs/clap-music
  python3 tools/export_pack.py clip ViT-B-32/openai packs/clip                    # open_clip
  audiorium packs verify clap                                                     # C++ runtime vs references

Needs: torch, transformers (clap), open_clip_torch (clip). NOT RUN in this project's CI: those packages and the
weights are not available here. What is run here is the generic half it shares with
tools/packs/make_test_pack.py (packlib: tracing with checks, the SDPA refusal, manifest, references).

Rules that make a pack load in Debian's libtorch 1.13:
- eager attention: transformers models load with attn_implementation="eager"; every nn.MultiheadAttention
  (open_clip) gets an explicit attention forward, so no aten::scaled_dot_product_attention enters the graph;
- torch.jit.trace (not script), checked against eager on batch sizes 1 and 2;
- the audio tower takes the raw 48 kHz waveform: CLAP's mel front-end (STFT, the feature extractor's own
  Slaney filterbank, power → dB) is written in torch inside the traced graph.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "packs"))
import packlib  # noqa: E402


# --- CLAP (transformers) -------------------------------------------------------------------------------------------

class ClapAudio(nn.Module):
    """Waveform [B, T] at 48 kHz -> ClapModel.get_audio_features, with ClapFeatureExtractor's log-mel in torch."""

    def __init__(self, model, feature_extractor):
        super().__init__()
        self.model = model
        fe = feature_extractor
        self.n_fft, self.hop = fe.fft_window_size, fe.hop_length
        # "rand_trunc" (unfused) checkpoints use the Slaney filterbank; fused ones the HTK one.
        filters = fe.mel_filters_slaney if fe.truncation != "fusion" else fe.mel_filters
        self.register_buffer("mel", torch.tensor(filters, dtype=torch.float32).T.contiguous())  # [M, F]
        self.register_buffer("window", torch.hann_window(self.n_fft, periodic=True))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(wave, self.n_fft, self.hop, window=self.window, center=True, pad_mode="reflect",
                          return_complex=True)
        power = spec.real ** 2 + spec.imag ** 2                                 # [B, F, frames]
        mel = torch.matmul(self.mel, power).clamp_min(1e-10)
        db = 10.0 * torch.log10(mel)                                            # [B, M, frames]
        features = db.transpose(1, 2).unsqueeze(1)                              # [B, 1, frames, M]
        is_longer = torch.zeros(wave.shape[0], 1, dtype=torch.bool)
        return self.model.get_audio_features(input_features=features, is_longer=is_longer)


class ClapText(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.model.get_text_features(input_ids=ids, attention_mask=mask)


def export_clap(name: str, out_dir: str, max_length: int) -> None:
    from transformers import ClapModel, ClapProcessor
    try:
        model = ClapModel.from_pretrained(name, attn_implementation="eager", torchscript=True)
    except TypeError:  # transformers older than 4.36 has no attn_implementation (and no SDPA either)
        model = ClapModel.from_pretrained(name, torchscript=True)
    model.eval()
    processor = ClapProcessor.from_pretrained(name)
    fe, tok = processor.feature_extractor, processor.tokenizer
    sr = fe.sampling_rate
    window_s = fe.nb_max_samples / sr if hasattr(fe, "nb_max_samples") else 10.0

    with tempfile.TemporaryDirectory() as tmp:
        tok.save_pretrained(tmp)
        for f in ("vocab.json", "merges.txt"):
            os.replace(os.path.join(tmp, f), os.path.join(out_dir, f))

    def tokenize(text: str):
        enc = tok(text, padding="max_length", truncation=True, max_length=max_length)
        return list(enc["input_ids"]), list(enc["attention_mask"])

    n = int(round(window_s * sr))
    audio = ClapAudio(model, fe)
    wave = torch.randn(2, n) * 0.1
    # Self-check of the in-graph front-end against the feature extractor (numpy, float64) on one clip.
    with torch.no_grad():
        ref_in = processor(audios=wave[0].numpy(), sampling_rate=sr, return_tensors="pt")
        want = model.get_audio_features(**{k: v for k, v in ref_in.items() if k in ("input_features", "is_longer")})
        got = audio(wave[:1])
        want = want[0] if isinstance(want, tuple) else want
        diff = (packlib.l2(want) - packlib.l2(got)).abs().max().item()
        print(f"audio front-end vs ClapFeatureExtractor: max abs diff {diff:.2e}")
        if diff > 1e-3:
            raise RuntimeError("the torch mel front-end disagrees with ClapFeatureExtractor; not writing a pack")
    audio_ts = packlib.trace_tower(audio, (wave,), os.path.join(out_dir, "audio.pt"), checks=[(wave[:1],)])
    ids, mask = tokenize("a calm piano melody")
    ex = (torch.tensor([ids, ids]), torch.tensor([mask, mask]))
    text_ts = packlib.trace_tower(ClapText(model), ex, os.path.join(out_dir, "text.pt"), checks=[(ex[0][:1], ex[1][:1])])

    dim = model.config.projection_dim
    manifest = {"name": os.path.basename(os.path.normpath(out_dir)), "kind": "clap", "version": name,
                "embedding_dim": dim, "source": name,
                "audio": {"tower": "audio.pt", "sample_rate": sr, "window_s": window_s, "hop_s": window_s / 2,
                          "pooling": "mean-l2", "max_windows": 32},
                "text": {"tower": "text.pt", "tokenizer": {"type": "roberta-bpe", "vocab": "vocab.json",
                                                           "merges": "merges.txt", "max_length": max_length,
                                                           "pad_id": tok.pad_token_id}}}
    packlib.write_references(out_dir, manifest, audio_ts, text_ts, None, tokenize)
    manifest["references"] = "references.json"
    packlib.write_manifest(out_dir, manifest)


# --- CLIP (open_clip) ----------------------------------------------------------------------------------------------

def eager_attention(module: nn.Module) -> None:
    """Gives every nn.MultiheadAttention an explicit forward (torch 2.x's F.multi_head_attention_forward would
    call scaled_dot_product_attention, which libtorch 1.13 cannot load). Supports what open_clip uses:
    batch_first or not, an additive/boolean attn_mask, no key padding mask."""
    for mha in [m for m in module.modules() if isinstance(m, nn.MultiheadAttention)]:
        def forward(query, key, value, key_padding_mask=None, need_weights=False, attn_mask=None,
                    average_attn_weights=True, is_causal=False, _m=mha):
            x = query.transpose(0, 1) if not _m.batch_first else query    # [B, L, E]
            b, l, e = x.shape
            h = _m.num_heads
            qkv = torch.nn.functional.linear(x, _m.in_proj_weight, _m.in_proj_bias)
            q, k, v = qkv.reshape(b, l, 3, h, e // h).permute(2, 0, 3, 1, 4)
            att = (q @ k.transpose(-2, -1)) / math.sqrt(e // h)
            if attn_mask is not None:
                att = att.masked_fill(attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else att + attn_mask
            out = (att.softmax(dim=-1) @ v).transpose(1, 2).reshape(b, l, e)
            out = _m.out_proj(out)
            return (out.transpose(0, 1) if not _m.batch_first else out), None
        mha.forward = forward


class ClipImage(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.model.encode_image(image)


class ClipText(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.model.encode_text(ids)  # CLIP masks causally and pools at the end token; mask unused


def export_clip(spec: str, out_dir: str) -> None:
    import open_clip
    from open_clip.tokenizer import SimpleTokenizer
    arch, _, pretrained = spec.partition("/")
    model, _, _ = open_clip.create_model_and_transforms(arch, pretrained=pretrained or "openai")
    model.eval()
    eager_attention(model)
    st = SimpleTokenizer()
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(st.encoder, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for (a, b), _rank in sorted(st.bpe_ranks.items(), key=lambda kv: kv[1]):
            f.write(f"{a} {b}\n")
    context = model.context_length if hasattr(model, "context_length") else 77

    def tokenize(text: str):
        ids = open_clip.tokenize([text], context_length=context)[0].tolist()
        return ids, [1 if i != 0 else 0 for i in ids]

    size = model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    mean = list(getattr(model.visual, "image_mean", None) or open_clip.OPENAI_DATASET_MEAN)
    std = list(getattr(model.visual, "image_std", None) or open_clip.OPENAI_DATASET_STD)
    img = torch.randn(2, 3, size, size)
    image_ts = packlib.trace_tower(ClipImage(model), (img,), os.path.join(out_dir, "image.pt"), checks=[(img[:1],)])
    ids, mask = tokenize("a photo of a calm lake")
    ex = (torch.tensor([ids, ids]), torch.tensor([mask, mask]))
    text_ts = packlib.trace_tower(ClipText(model), ex, os.path.join(out_dir, "text.pt"), checks=[(ex[0][:1], ex[1][:1])])
    dim = int(model.text_projection.shape[1])
    manifest = {"name": os.path.basename(os.path.normpath(out_dir)), "kind": "clip", "version": spec,
                "embedding_dim": dim, "source": spec,
                "text": {"tower": "text.pt", "tokenizer": {"type": "clip-bpe", "vocab": "vocab.json",
                                                           "merges": "merges.txt", "max_length": context,
                                                           "pad_id": 0}},
                "image": {"tower": "image.pt", "size": size, "resize": "shorter-side", "crop": "center",
                          "mean": mean, "std": std}}
    packlib.write_references(out_dir, manifest, None, text_ts, image_ts, tokenize)
    manifest["references"] = "references.json"
    packlib.write_manifest(out_dir, manifest)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["clap", "clip"])
    ap.add_argument("model", help="HF id (clap) or ARCH/PRETRAINED (clip), e.g. ViT-B-32/openai")
    ap.add_argument("out_dir")
    ap.add_argument("--max-length", type=int, default=77, help="CLAP text context (tokens)")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(0)
    if args.kind == "clap":
        export_clap(args.model, args.out_dir, args.max_length)
    else:
        export_clip(args.model, args.out_dir)
    print(f"wrote {args.out_dir}; check it with: audiorium packs verify {os.path.basename(os.path.normpath(args.out_dir))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
