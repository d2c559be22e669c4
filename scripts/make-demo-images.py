#!/usr/bin/env python3
"""Writes two small demo photos-of-a-mood as PNG (standard library only): a dark, cool dusk and a warm,
bright, busy sunset. Used by `make demo` to show image search; no image is committed."""
import struct
import sys
import zlib
import random


def write_png(path, width, height, pixel):
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows.extend(pixel(x, y))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def clamp(v):
    return max(0, min(255, int(v)))


def main(out_dir):
    rnd = random.Random(7)
    w, h = 320, 200
    # Dusk: dark, desaturated blue, smooth.
    write_png(f"{out_dir}/dusk.png", w, h, lambda x, y: (clamp(10 + y * 0.05), clamp(14 + y * 0.08), clamp(40 + y * 0.15)))
    # Sunset: bright warm oranges with busy stripes.
    write_png(f"{out_dir}/sunset.png", w, h, lambda x, y: (
        clamp(235 + rnd.randint(-20, 20)), clamp(120 + 60 * ((x // 6 + y // 6) % 2) + rnd.randint(-20, 20)),
        clamp(30 + rnd.randint(-20, 20))))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
