"""Randomly initialised towers with the pack contract (packlib.py), for the tests (tiny) and the benchmark
(realistic parameter counts). Attention is written out by hand ("eager"): the traced graphs hold only
operators Debian's libtorch 1.13 has, whatever torch version traces them.
"""
from __future__ import annotations

import math

import torch
from torch import nn


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None) -> torch.Tensor:
    """[n_mels, n_fft // 2 + 1] triangular HTK-mel filters."""
    fmax = fmax or sample_rate / 2
    def hz_to_mel(f): return 2595.0 * math.log10(1.0 + f / 700.0)
    def mel_to_hz(m): return 700.0 * (10 ** (m / 2595.0) - 1.0)
    mels = torch.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2, dtype=torch.float64)
    hz = torch.tensor([mel_to_hz(m.item()) for m in mels], dtype=torch.float64)
    bins = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    fb = torch.zeros(n_mels, bins.numel(), dtype=torch.float64)
    for i in range(n_mels):
        lo, mid, hi = hz[i], hz[i + 1], hz[i + 2]
        up = (bins - lo) / (mid - lo)
        down = (hi - bins) / (hi - mid)
        fb[i] = torch.clamp(torch.minimum(up, down), min=0.0)
    return fb.to(torch.float32)


class Block(nn.Module):
    """Pre-norm transformer block with explicit (eager) attention and an optional key mask [B, L] (1 = keep)."""

    def __init__(self, dim: int, heads: int, ffn: int):
        super().__init__()
        self.heads = heads
        self.scale = 1.0 / math.sqrt(dim // heads)
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ffn), nn.GELU(), nn.Linear(ffn, dim))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        b, l, d = x.shape
        h = self.norm1(x)
        q, k, v = self.qkv(h).reshape(b, l, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        att = (q @ k.transpose(-2, -1)) * self.scale
        if mask is not None:
            att = att + (1.0 - mask[:, None, None, :].to(att.dtype)) * -1e4
        att = att.softmax(dim=-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, l, d))
        return x + self.ff(self.norm2(x))


class AudioTower(nn.Module):
    """Waveform [B, T] -> STFT power -> log-mel -> patches of `patch` frames -> transformer -> mean -> [B, D]."""

    def __init__(self, sample_rate: int, dim: int, width: int, layers: int, heads: int,
                 n_fft: int = 1024, hop: int = 480, n_mels: int = 64, patch: int = 4):
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft))
        self.register_buffer("mel", mel_filterbank(sample_rate, n_fft, n_mels, 50.0, 14000.0))
        self.patch = nn.Conv1d(n_mels, width, kernel_size=patch, stride=patch)
        self.blocks = nn.ModuleList([Block(width, heads, 4 * width) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, dim)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(wave, self.n_fft, self.hop, window=self.window, center=True, return_complex=True)
        power = spec.real ** 2 + spec.imag ** 2                      # [B, F, frames]
        logmel = torch.log(torch.matmul(self.mel, power) + 1e-6)      # [B, M, frames]
        x = self.patch(logmel).transpose(1, 2)                        # [B, tokens, width]
        for blk in self.blocks:
            x = blk(x)
        return self.out(self.norm(x).mean(dim=1))


class TextTower(nn.Module):
    """(ids, mask) [B, L] -> embeddings + positions -> masked transformer -> masked mean -> [B, D]."""

    def __init__(self, vocab: int, context: int, dim: int, width: int, layers: int, heads: int):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(context, width)
        self.blocks = nn.ModuleList([Block(width, heads, 4 * width) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, dim)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        x = self.tok(ids) + self.pos(positions)
        for blk in self.blocks:
            x = blk(x, mask)
        m = mask.to(x.dtype).unsqueeze(-1)
        pooled = (self.norm(x) * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)
        return self.out(pooled)


class ImageTower(nn.Module):
    """[B, 3, S, S] -> patch conv -> (+cls, positions) transformer (ViT) -> cls -> [B, D]."""

    def __init__(self, size: int, dim: int, width: int, layers: int, heads: int, patch: int = 32):
        super().__init__()
        self.patch = nn.Conv2d(3, width, kernel_size=patch, stride=patch)
        n = (size // patch) ** 2
        self.cls = nn.Parameter(torch.randn(1, 1, width) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, n + 1, width) * 0.02)
        self.blocks = nn.ModuleList([Block(width, heads, 4 * width) for _ in range(layers)])
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, dim)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        x = self.patch(image).flatten(2).transpose(1, 2)             # [B, n, width]
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.out(self.norm(x[:, 0]))


# Parameter counts: tiny ≈ tens of thousands; realistic ≈ CLAP-HTSAT audio (~30M), RoBERTa-base text (~125M),
# CLIP ViT-B/32 image (~88M).
SIZES = {
    "tiny": {"dim": 32,
             "audio": dict(width=32, layers=1, heads=2),
             "text": dict(vocab=None, width=32, layers=1, heads=2),
             "image": dict(width=32, layers=1, heads=2, patch=16, size=64)},
    "realistic": {"dim": 512,
                  "audio": dict(width=448, layers=12, heads=8),
                  "text": dict(vocab=50265, width=768, layers=12, heads=12),
                  "image": dict(width=768, layers=12, heads=12, patch=32, size=224)},
}
