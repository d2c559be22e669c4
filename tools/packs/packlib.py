"""The generic half of writing an Audiorium model pack, shared by tools/export_pack.py (real CLAP/CLIP
weights) and tools/packs/make_test_pack.py (tiny or realistic-size random models).

A pack is a folder with manifest.json (format_version 1, see src/packs/manifest.h), one TorchScript file per
tower, the tokenizer files and references.json (embeddings of generated inputs, so `audiorium packs verify`
and the tests can compare the C++ runtime against this side).

Tower contract (what the C++ runtime feeds and expects):
  audio  float32 [B, T] mono waveform at manifest audio.sample_rate  -> [B, D]
  text   (int64 ids [B, L], int64 attention_mask [B, L])            -> [B, D]
  image  float32 [B, 3, S, S], RGB, (x/255 - mean) / std            -> [B, D]
Outputs need not be normalised: the runtime L2-normalises every output, mean-pools audio windows and
re-normalises. Everything here runs with torch 1.13 (Debian's python3-torch) as well as torch 2.x.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

FORMAT_VERSION = 1
REFERENCES_VERSION = 1

# Inputs whose embeddings go into references.json. The C++ side regenerates them bit for bit from these specs
# (src/packembed/references.cpp), so change both together.
REFERENCE_TEXTS = [
    "a calm piano melody",
    "aggressive 808 trap with dark strings",
    "Café del Mar — ünïcödé, emoji 🎵🔥 and punctuation?!",
    "",
]
REFERENCE_AUDIO = [  # seconds as a multiple of the window; "sines": sum of a*sin(2*pi*f*n/sr)
    {"type": "sines", "windows": 1.0, "freqs": [220.0, 330.0], "amps": [0.5, 0.25]},
    {"type": "sines", "windows": 1.0, "freqs": [1000.0], "amps": [0.3]},
]
REFERENCE_POOLED = [  # long audio: per-window embeddings and their pooled mean
    {"type": "sines", "windows": 3.5, "freqs": [110.0, 440.0, 2000.0], "amps": [0.3, 0.2, 0.1]},
]
REFERENCE_IMAGES = [{"type": "gradient"}, {"type": "checker"}]


# --- Inputs --------------------------------------------------------------------------------------------------

def sines(spec: dict, sample_rate: int, window_s: float) -> torch.Tensor:
    """float32 [T]; computed in float64 as the C++ side does, then rounded."""
    n = int(round(spec["windows"] * window_s * sample_rate))
    t = torch.arange(n, dtype=torch.float64)
    x = torch.zeros(n, dtype=torch.float64)
    for f, a in zip(spec["freqs"], spec["amps"]):
        x += a * torch.sin(2.0 * math.pi * f * t / sample_rate)
    return x.to(torch.float32)


def reference_image(spec: dict, size: int) -> torch.Tensor:
    """uint8 [S, S, 3] RGB, integer formulas only (identical in C++)."""
    y = torch.arange(size, dtype=torch.int64).view(-1, 1).expand(size, size)
    x = torch.arange(size, dtype=torch.int64).view(1, -1).expand(size, size)
    if spec["type"] == "gradient":
        r = (x * 255) // (size - 1)
        g = (y * 255) // (size - 1)
        b = ((x + y) * 255) // (2 * (size - 1))
    elif spec["type"] == "checker":
        v = ((x // 16 + y // 16) % 2) * 200 + 30
        r, g, b = v, 255 - v, torch.full_like(v, 128)
    else:
        raise ValueError(spec["type"])
    return torch.stack([r, g, b], dim=-1).to(torch.uint8)


def normalise_image(rgb: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 [S, S, 3] -> float32 [3, S, S] as the C++ runtime does: (x / 255 - mean) / std per channel."""
    x = rgb.to(torch.float32) / 255.0
    m = torch.tensor(mean, dtype=torch.float32)
    s = torch.tensor(std, dtype=torch.float32)
    return ((x - m) / s).permute(2, 0, 1).contiguous()


def window_starts(n: int, win: int, hop: int, max_windows: int) -> List[int]:
    """Where the windows of an n-sample track start (the C++ runtime's rule, src/packembed/pack.h):
    0, hop, 2*hop, ... while a whole window fits, plus one window ending at the last sample when the tail is not
    covered; a track shorter than a window is one window (repeat-padded). More than max_windows: that many, evenly
    spread from the first to the last start."""
    if n <= win:
        return [0]
    starts = list(range(0, n - win + 1, hop))
    if starts[-1] != n - win:
        starts.append(n - win)
    if max_windows > 0 and len(starts) > max_windows:
        last = n - win
        if max_windows == 1:
            return [last // 2]
        starts = [int((i * last) // (max_windows - 1)) for i in range(max_windows)]
    return starts


def window_batch(wave: torch.Tensor, win: int, hop: int, max_windows: int) -> torch.Tensor:
    n = wave.shape[0]
    if n < win:  # repeat-pad (as CLAP's "repeatpad")
        reps = (win + n - 1) // n
        return wave.repeat(reps)[:win].unsqueeze(0)
    return torch.stack([wave[s:s + win] for s in window_starts(n, win, hop, max_windows)])


def l2(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)


# --- Tracing and files -----------------------------------------------------------------------------------------

def trace_tower(module: torch.nn.Module, example: Tuple[torch.Tensor, ...], path: str,
                checks: Sequence[Tuple[torch.Tensor, ...]] = ()) -> torch.jit.ScriptModule:
    """torch.jit.trace, refuse graphs libtorch 1.13 cannot run, check against eager on other shapes, save."""
    module = module.eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, example, check_trace=False)
        graph = str(traced.inlined_graph)
        if "scaled_dot_product_attention" in graph:
            raise RuntimeError(f"{path}: the traced graph uses aten::scaled_dot_product_attention, which Debian's "
                               "libtorch 1.13 cannot load; load the model with eager attention "
                               "(attn_implementation='eager') and trace again")
        for inputs in [example, *checks]:
            want = module(*inputs)
            got = traced(*inputs)
            if isinstance(want, (tuple, list)):
                want, got = want[0], got[0]
            diff = (want - got).abs().max().item()
            if diff > 1e-4:
                raise RuntimeError(f"{path}: the traced tower differs from eager by {diff} on shapes "
                                   f"{[tuple(t.shape) for t in inputs]}")
    traced.save(path)
    return torch.jit.load(path)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def count_parameters(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def write_manifest(out_dir: str, manifest: dict) -> dict:
    """Fills format_version and files (sha256 of every tower, tokenizer and reference file) and writes
    manifest.json last, so a half-written pack has no manifest."""
    files = {}
    for key in ("audio", "text", "image"):
        part = manifest.get(key)
        if not part:
            continue
        files[part["tower"]] = None
        tok = part.get("tokenizer")
        if tok:
            files[tok["vocab"]] = None
            files[tok["merges"]] = None
    if manifest.get("references"):
        files[manifest["references"]] = None
    manifest = {"format_version": FORMAT_VERSION, **manifest}
    manifest["files"] = {name: sha256_file(os.path.join(out_dir, name)) for name in files}
    tmp = os.path.join(out_dir, "manifest.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, os.path.join(out_dir, "manifest.json"))
    return manifest


Tokenize = Callable[[str], Tuple[List[int], List[int]]]


def write_references(out_dir: str, manifest: dict, audio: Optional[torch.jit.ScriptModule],
                     text: Optional[torch.jit.ScriptModule], image: Optional[torch.jit.ScriptModule],
                     tokenize: Optional[Tokenize], name: str = "references.json") -> dict:
    """Runs the saved (re-loaded) towers on the reference inputs and writes their L2-normalised embeddings."""
    refs: Dict[str, object] = {"format_version": REFERENCES_VERSION}
    with torch.no_grad():
        if audio is not None:
            a = manifest["audio"]
            sr, window_s = a["sample_rate"], a["window_s"]
            win, hop = int(round(window_s * sr)), int(round(a["hop_s"] * sr))
            refs["audio"] = [{"input": spec, "embedding": l2(audio(sines(spec, sr, window_s).unsqueeze(0)))[0].tolist()}
                             for spec in REFERENCE_AUDIO]
            pooled = []
            for spec in REFERENCE_POOLED:
                windows = window_batch(sines(spec, sr, window_s), win, hop, a.get("max_windows", 0))
                per_window = l2(audio(windows))
                pooled.append({"input": spec, "windows": per_window.shape[0],
                               "window_embeddings": per_window.tolist(),
                               "embedding": l2(per_window.mean(dim=0)).tolist()})
            refs["audio_pooled"] = pooled
        if text is not None and tokenize is not None:
            out = []
            for s in REFERENCE_TEXTS:
                ids, mask = tokenize(s)
                emb = l2(text(torch.tensor([ids], dtype=torch.int64), torch.tensor([mask], dtype=torch.int64)))[0]
                out.append({"text": s, "ids": ids, "attention_mask": mask, "embedding": emb.tolist()})
            refs["text"] = out
        if image is not None:
            im = manifest["image"]
            out = []
            for spec in REFERENCE_IMAGES:
                x = normalise_image(reference_image(spec, im["size"]), im["mean"], im["std"]).unsqueeze(0)
                out.append({"input": spec, "embedding": l2(image(x))[0].tolist()})
            refs["image"] = out
    with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
        json.dump(refs, f, ensure_ascii=False)
    return refs
