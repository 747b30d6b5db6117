#!/usr/bin/env python3
"""Spectrogram of a 16-bit WAV as a small grayscale PNG (numpy only; the PNG is written by hand).

    Scripts/spectrogram.py IN.wav OUT.png [--max-hz 8000] [--width 480] [--height 160]

Short-time Fourier transform (Hann window of 2048 frames, hop to fit the width), magnitude in dB
over a 70 dB range, darker = louder, low frequencies at the bottom. Used for the README's
instrument pictures (docs/sound/*.png, made by Scripts/sound-pictures.sh).
"""
import argparse
import os
import struct
import tempfile
import wave
import zlib

import numpy as np


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise SystemExit(f"{path}: only 16-bit WAV is read here")
        rate, channels, frames = w.getframerate(), w.getnchannels(), w.getnframes()
        data = np.frombuffer(w.readframes(frames), dtype="<i2").astype(np.float64) / 32768
    return rate, data.reshape(-1, channels).mean(axis=1)


def spectrogram(x, rate, width, height, max_hz, window=2048, floor_db=-70.0):
    hop = max(1, (len(x) - window) // max(1, width - 1))
    hann = np.hanning(window)
    columns = []
    for k in range(width):
        start = min(k * hop, max(0, len(x) - window))
        frame = x[start:start + window]
        if len(frame) < window:
            frame = np.pad(frame, (0, window - len(frame)))
        columns.append(np.abs(np.fft.rfft(frame * hann)))
    mag = np.array(columns).T                      # [bins, width]
    freqs = np.fft.rfftfreq(window, 1 / rate)
    rows = np.linspace(0, max_hz, height)
    image = np.empty((height, width))
    for c in range(width):
        image[:, c] = np.interp(rows, freqs, mag[:, c])
    db = 20 * np.log10(image / (image.max() + 1e-12) + 1e-12)
    level = np.clip((db - floor_db) / -floor_db, 0, 1)
    return (255 * (1 - level)).astype(np.uint8)[::-1]   # louder darker, low frequencies at the bottom


def write_png(path, pixels):
    height, width = pixels.shape
    raw = b"".join(b"\x00" + pixels[r].tobytes() for r in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".png.tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(png)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("wav")
    p.add_argument("png")
    p.add_argument("--max-hz", type=float, default=8000)
    p.add_argument("--width", type=int, default=480)
    p.add_argument("--height", type=int, default=160)
    a = p.parse_args()
    rate, x = read_wav(a.wav)
    write_png(a.png, spectrogram(x, rate, a.width, a.height, min(a.max_hz, rate / 2)))


if __name__ == "__main__":
    main()
