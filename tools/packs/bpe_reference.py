#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The exporting side's tokenizers, for checking Audiorium's C++ tokenizers (src/tokenize/bpe_tokenizer.h).

Debian packages neither transformers nor tokenizers, so this is a fresh implementation of the two published
algorithms the packs' text towers were trained with, written from their descriptions:

  roberta  GPT-2's byte-level BPE (openai/gpt-2 src/encoder.py) with RoBERTa's special tokens, as Hugging Face's
           RobertaTokenizer applies it (add_prefix_space=False): <s> ids </s>, truncation keeps </s>, padding
           with <pad>, unknown symbols → <unk>.
  clip     OpenAI CLIP's simple_tokenizer.py as open_clip uses it: html.unescape twice, whitespace runs → one
           space, lower-case, CLIP's regex, "</w>"-terminated words, <|startoftext|> ids <|endoftext|>, 77 tokens,
           zero padding. ftfy.fix_text is applied only when ftfy is importable (it is not packaged in Debian).

Needs python3-regex (for \\p{L} and \\p{N}). Sub-commands:

  train   derive a small vocab.json + merges.txt from a text corpus (byte-pair counts, a few hundred merges),
          laid out like the published files of each flavour, so tests need no downloaded vocabulary.
  encode  token ids (padded, with attention masks) for a JSON list of strings → JSON.
  check-against-hf
          compare this implementation with transformers' RobertaTokenizer / CLIPTokenizer (and open_clip's
          SimpleTokenizer when importable) on a JSON list of strings. Needs transformers, which Debian does not
          package: it has not been run on the build machines, only on a user's machine can it be.
"""

import argparse
import collections
import html
import json
import re
import sys
from functools import lru_cache

import regex

try:  # Only changes mojibake; not available in Debian, and the C++ side does not run it either.
    import ftfy  # type: ignore
except ImportError:  # pragma: no cover
    ftfy = None

GPT2_PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
CLIP_PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE)
CLIP_SPECIALS = ("<|startoftext|>", "<|endoftext|>")
ROBERTA_SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")


@lru_cache()
def bytes_to_unicode():
    """Byte → printable character: printable Latin-1 bytes stay, the rest move to 256 upwards, in byte order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def get_pairs(word):
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


def bpe(word, ranks):
    """Merge the lowest-ranked adjacent pair everywhere it occurs, left to right, until no pair has a rank."""
    word = tuple(word)
    if len(word) < 2:
        return word
    while True:
        pairs = get_pairs(word)
        bigram = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if bigram not in ranks:
            break
        first, second = bigram
        new_word = []
        i = 0
        while i < len(word):
            try:
                j = word.index(first, i)
            except ValueError:
                new_word.extend(word[i:])
                break
            new_word.extend(word[i:j])
            i = j
            if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                new_word.append(first + second)
                i += 2
            else:
                new_word.append(word[i])
                i += 1
        word = tuple(new_word)
        if len(word) == 1:
            break
    return word


def read_merges(path):
    """Pairs in rank order. Line 1 of a published merges.txt is the '#version' header."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[0].startswith("#"):
        lines = lines[1:]
    merges = [tuple(line.split()) for line in lines if line.strip()]
    return dict(zip(merges, range(len(merges))))


def clip_clean(text):
    if ftfy is not None:
        text = ftfy.fix_text(text)
    text = html.unescape(html.unescape(text)).strip()
    text = re.sub(r"\s+", " ", text)  # the standard `re` module, as simple_tokenizer: \s is str.isspace() there
    return text.strip().lower()


class Reference:
    def __init__(self, flavour, vocab_path, merges_path, max_length=77, pad_id=None):
        self.flavour = flavour
        with open(vocab_path, encoding="utf-8") as f:
            self.encoder = json.load(f)
        self.ranks = read_merges(merges_path)
        self.byte_encoder = bytes_to_unicode()
        self.max_length = max_length
        if flavour == "roberta":
            self.bos, self.eos = self.encoder["<s>"], self.encoder["</s>"]
            self.unk = self.encoder["<unk>"]
            self.pad = self.encoder["<pad>"] if pad_id is None else pad_id
        elif flavour == "clip":
            self.bos, self.eos = self.encoder["<|startoftext|>"], self.encoder["<|endoftext|>"]
            self.pad = 0 if pad_id is None else pad_id
        else:
            raise ValueError(f"unknown flavour {flavour}")

    def words(self, text):
        if self.flavour == "roberta":
            return [m for m in GPT2_PATTERN.findall(text)]
        return [m for m in CLIP_PATTERN.findall(clip_clean(text))]

    def encode_words(self, text):
        ids = []
        for token in self.words(text):
            if self.flavour == "clip" and token in CLIP_SPECIALS:
                ids.append(self.encoder[token])
                continue
            symbols = [self.byte_encoder[b] for b in token.encode("utf-8")]
            if self.flavour == "clip":
                symbols[-1] += "</w>"
            for s in bpe(symbols, self.ranks):
                if self.flavour == "roberta":
                    ids.append(self.encoder.get(s, self.unk))
                else:
                    ids.append(self.encoder[s])
        return ids

    def encode(self, text):
        words = self.encode_words(text)[: self.max_length - 2]
        ids = [self.bos] + words + [self.eos]
        mask = [1] * len(ids) + [0] * (self.max_length - len(ids))
        return ids + [self.pad] * (self.max_length - len(ids)), mask


def train(flavour, corpus, n_merges):
    """A small vocabulary in the published layout of each flavour, from byte-pair counts over the corpus.

    roberta: <s>=0 <pad>=1 </s>=2 <unk>=3, the 256 byte symbols, then one token per merge, <mask> last.
    clip:    the 256 byte symbols, the same with "</w>", one token per merge, <|startoftext|>, <|endoftext|>
             (the order simple_tokenizer.py builds its encoder in).
    Ties between equally frequent pairs go to the lexicographically smallest pair, so the output is stable.
    """
    byte_encoder = bytes_to_unicode()
    counts = collections.Counter()
    for line in corpus:
        if flavour == "roberta":
            pieces = GPT2_PATTERN.findall(line)
        else:
            pieces = [p for p in CLIP_PATTERN.findall(clip_clean(line)) if p not in CLIP_SPECIALS]
        for p in pieces:
            symbols = [byte_encoder[b] for b in p.encode("utf-8")]
            if flavour == "clip":
                symbols[-1] += "</w>"
            counts[tuple(symbols)] += 1
    words = dict(counts)
    merges = []
    for _ in range(n_merges):
        pair_counts = collections.Counter()
        for word, c in words.items():
            for i in range(len(word) - 1):
                pair_counts[(word[i], word[i + 1])] += c
        if not pair_counts:
            break
        best = min(pair_counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        if pair_counts[best] < 2:
            break
        merges.append(best)
        words = {bpe_merge_one(w, best): c for w, c in words.items()}
    symbols = list(bytes_to_unicode().values())
    if flavour == "roberta":
        tokens = list(ROBERTA_SPECIALS) + symbols + ["".join(m) for m in merges] + ["<mask>"]
    else:
        tokens = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + list(CLIP_SPECIALS)
    vocab = {}
    for t in tokens:  # a merge may recreate an existing symbol; keep its first id, as the published files do
        vocab.setdefault(t, len(vocab))
    return vocab, merges


def bpe_merge_one(word, pair):
    out, i = [], 0
    while i < len(word):
        if i + 1 < len(word) and (word[i], word[i + 1]) == pair:
            out.append(word[i] + word[i + 1])
            i += 2
        else:
            out.append(word[i])
            i += 1
    return tuple(out)


def write_files(out_dir, flavour, vocab, merges):
    import os
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    header = "#version: 0.2" if flavour == "roberta" else "#version: 0.2 - trained by bpe_reference.py"
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write(header + "\n" + "".join(f"{a} {b}\n" for a, b in merges))


def check_against_hf(args, strings):  # pragma: no cover - needs transformers, which Debian lacks
    import transformers
    ours = Reference(args.flavour, args.vocab, args.merges, args.max_length, args.pad_id)
    if args.flavour == "roberta":
        hf = transformers.RobertaTokenizer(args.vocab, args.merges)
    else:
        hf = transformers.CLIPTokenizer(args.vocab, args.merges)
        if ftfy is None:
            print("note: without ftfy, transformers' CLIPTokenizer falls back to BERT's BasicTokenizer, which is "
                  "not what CLIP was trained with; install ftfy for a meaningful CLIP check", file=sys.stderr)
    bad = 0
    for s in strings:
        enc = hf(s, max_length=args.max_length, truncation=True, padding="max_length")
        theirs = enc["input_ids"]
        if args.flavour == "clip":  # HF pads CLIP with <|endoftext|>; compare up to and with the first end token
            n = sum(enc["attention_mask"])
            theirs = theirs[:n]
        mine = ours.encode(s)[0][: len(theirs)]
        if mine != theirs:
            bad += 1
            print(f"MISMATCH {s!r}\n  ours {mine}\n  hf   {theirs}")
    try:
        import open_clip  # noqa: F401  the real vocabulary ships inside open_clip
        if args.flavour == "clip":
            tok = open_clip.tokenizer.SimpleTokenizer()
            for s in strings:
                theirs = open_clip.tokenizer.tokenize([s], context_length=args.max_length)[0].tolist()
                mine = ours.encode(s)[0]
                if mine != theirs:
                    bad += 1
                    print(f"MISMATCH (open_clip) {s!r}\n  ours {mine}\n  theirs {theirs}")
            del tok
    except ImportError:
        pass
    print(f"{len(strings)} strings, {bad} mismatches")
    return 1 if bad else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="derive vocab.json + merges.txt from a corpus")
    t.add_argument("--flavour", choices=["roberta", "clip"], required=True)
    t.add_argument("--corpus", required=True, help="JSON list of strings")
    t.add_argument("--merges", type=int, default=300)
    t.add_argument("--out", required=True, help="output folder")
    for name in ("encode", "check-against-hf"):
        e = sub.add_parser(name)
        e.add_argument("--flavour", choices=["roberta", "clip"], required=True)
        e.add_argument("--vocab", required=True)
        e.add_argument("--merges", required=True)
        e.add_argument("--max-length", type=int, default=77)
        e.add_argument("--pad-id", type=int, default=None)
        e.add_argument("--input", required=True, help="JSON list of strings")
        if name == "encode":
            e.add_argument("--output", required=True, help="JSON: [{ids, attention_mask, words}] per string")
    args = ap.parse_args(argv)

    with open(args.corpus if args.cmd == "train" else args.input, encoding="utf-8") as f:
        strings = json.load(f)
    if args.cmd == "train":
        vocab, merges = train(args.flavour, strings, args.merges)
        write_files(args.out, args.flavour, vocab, merges)
        print(f"{args.flavour}: {len(vocab)} tokens, {len(merges)} merges → {args.out}")
        return 0
    if args.cmd == "check-against-hf":
        return check_against_hf(args, strings)
    ref = Reference(args.flavour, args.vocab, args.merges, args.max_length, args.pad_id)
    out = []
    for s in strings:
        ids, mask = ref.encode(s)
        out.append({"ids": ids, "attention_mask": mask, "words": ref.words(s)})
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
