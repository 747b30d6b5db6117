#!/usr/bin/env python3
"""checkpoint_logits.py: run a tunegen checkpoint in numpy (and optionally PyTorch).

A tunegen checkpoint is a safetensors file whose tensors are PyTorch's state_dict for

    embedding = nn.Embedding(V, E)
    lstm      = nn.LSTM(E, H, num_layers=L, batch_first=True)   # gates i, f, g, o
    fc        = nn.Linear(H, V)

and whose __metadata__ holds "format" = "tunegen-charlstm", "format_version" = "1",
"shape" (JSON {"vocabulary_size", "embedding_size", "hidden_size", "layers"}), "vocabulary"
(a JSON array of strings, token id = index) and "hyperparameters" (JSON). Training-state
tensors (optim.*, train.*) may be present and are ignored here.

This script parses the file by hand (struct + json + numpy.frombuffer; no safetensors
package), encodes TEXT with the stored vocabulary, runs the LSTM from zero state over it and
prints the mean cross-entropy of predicting each next character, in nats and bits/char.
It exists to cross-check tunegen's own numbers against an independent implementation.

Usage:
    Scripts/checkpoint_logits.py MODEL.safetensors [--text TEXT | --text-file FILE]
                                 [--logits] [--json] [--float32] [--torch]

    --text / --text-file  input text (default: "X:1\\n", the start of every ABC tune)
    --logits              also print the V logits after every input character
    --json                print one JSON object: {"tokens", "logits", "loss_nats", "bits_per_char"}
    --float32             compute in float32 like PyTorch (default float64, a tighter reference)
    --torch               if torch is importable, load_state_dict into nn.Embedding /
                          nn.LSTM(batch_first=True) / nn.Linear, run the same text and report the
                          largest logit difference from the numpy forward pass

Requires: python3, numpy. Optional: torch. Exit status 1 with a message on a bad file.
"""

import argparse
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "I64": "<i8", "U64": "<u8", "I32": "<i4", "U8": "u1"}


def fail(message):
    sys.exit(f"checkpoint_logits.py: {message}")


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError(f"duplicate key in {keys}")
    return dict(pairs)


def read_safetensors(path):
    """Returns (metadata dict, {name: numpy array}) after basic consistency checks."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        fail(f"{path}: file too short")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        fail(f"{path}: header length {n} runs past the end of the file")
    try:
        header = json.loads(blob[8 : 8 + n].decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, ValueError) as e:
        fail(f"{path}: bad header: {e}")
    data = blob[8 + n :]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = np.dtype(DTYPES[entry["dtype"]])
        shape = tuple(entry["shape"])
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not (0 <= begin <= end <= len(data)) or end - begin != count * dtype.itemsize:
            fail(f"{path}: tensor {name!r}: data_offsets {entry['data_offsets']} do not fit shape {list(shape)}")
        tensors[name] = np.frombuffer(data, dtype=dtype, count=count, offset=begin).reshape(shape)
    return metadata, tensors


def load_checkpoint(path):
    metadata, tensors = read_safetensors(path)
    if metadata.get("format") != "tunegen-charlstm" or metadata.get("format_version") != "1":
        fail(f"{path}: not a tunegen-charlstm version 1 checkpoint (format={metadata.get('format')!r})")
    shape = json.loads(metadata["shape"])
    vocabulary = json.loads(metadata["vocabulary"])
    if len(vocabulary) != shape["vocabulary_size"]:
        fail(f"{path}: vocabulary has {len(vocabulary)} entries, shape says {shape['vocabulary_size']}")
    state = {k: v for k, v in tensors.items() if k.split(".")[0] in ("embedding", "lstm", "fc")}
    return shape, vocabulary, state, metadata


def encode(text, vocabulary):
    """Greedy longest match, so multi-code-point characters (a Swift Character) also work."""
    index = {s: i for i, s in enumerate(vocabulary)}
    longest = max(len(s) for s in vocabulary)
    ids, pos = [], 0
    while pos < len(text):
        for width in range(min(longest, len(text) - pos), 0, -1):
            if text[pos : pos + width] in index:
                ids.append(index[text[pos : pos + width]])
                pos += width
                break
        else:
            fail(f"character {text[pos]!r} at offset {pos} is not in the vocabulary")
    return ids


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def forward(shape, state, ids, dtype):
    """Logits [T, V] after each input token, from zero (h, c). PyTorch's LSTM formulas."""
    H, L = shape["hidden_size"], shape["layers"]
    w = {k: v.astype(dtype) for k, v in state.items()}
    h = [np.zeros(H, dtype) for _ in range(L)]
    c = [np.zeros(H, dtype) for _ in range(L)]
    out = []
    for t in ids:
        x = w["embedding.weight"][t]
        for k in range(L):
            gates = w[f"lstm.weight_ih_l{k}"] @ x + w[f"lstm.bias_ih_l{k}"] + w[f"lstm.weight_hh_l{k}"] @ h[k] + w[f"lstm.bias_hh_l{k}"]
            i, f, g, o = np.split(gates, 4)  # gate order i, f, g, o
            c[k] = sigmoid(f) * c[k] + sigmoid(i) * np.tanh(g)
            h[k] = sigmoid(o) * np.tanh(c[k])
            x = h[k]
        out.append(w["fc.weight"] @ x + w["fc.bias"])
    return np.stack(out)


def cross_entropy(logits, ids):
    """Mean -log p(next char) in nats over positions 0..T-2."""
    if len(ids) < 2:
        return float("nan")
    z = logits[:-1].astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(ids) - 1), ids[1:]].mean())


def torch_logits(shape, state, ids):
    import torch
    from torch import nn

    class CharLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            V, E, H, L = (shape[k] for k in ("vocabulary_size", "embedding_size", "hidden_size", "layers"))
            self.embedding = nn.Embedding(V, E)
            self.lstm = nn.LSTM(E, H, num_layers=L, batch_first=True)
            self.fc = nn.Linear(H, V)

        def forward(self, x):
            y, _ = self.lstm(self.embedding(x))
            return self.fc(y)

    model = CharLSTM()
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()}, strict=True)
    with torch.no_grad():
        return model(torch.tensor([ids])).numpy()[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("--text", default="X:1\n")
    p.add_argument("--text-file")
    p.add_argument("--logits", action="store_true")
    p.add_argument("--json", action="store_true")
    p.add_argument("--float32", action="store_true")
    p.add_argument("--torch", action="store_true")
    a = p.parse_args()

    text = open(a.text_file, encoding="utf-8").read() if a.text_file else a.text
    shape, vocabulary, state, metadata = load_checkpoint(a.checkpoint)
    ids = encode(text, vocabulary)
    if not ids:
        fail("empty text")
    logits = forward(shape, state, ids, np.float32 if a.float32 else np.float64)
    loss = cross_entropy(logits, ids)

    if a.json:
        finite = loss == loss  # NaN (fewer than two characters) becomes null: JSON has no NaN
        print(json.dumps({"tokens": ids, "logits": logits.tolist(), "loss_nats": loss if finite else None,
                          "bits_per_char": loss / np.log(2) if finite else None}))
    else:
        print(f"shape: V={shape['vocabulary_size']} E={shape['embedding_size']} H={shape['hidden_size']} L={shape['layers']}; "
              f"{len(ids)} characters")
        if a.logits:
            np.set_printoptions(precision=6, suppress=True, linewidth=200)
            for t, (i, row) in enumerate(zip(ids, logits)):
                print(f"{t:4d} {vocabulary[i]!r:>6} {row}")
        print(f"cross-entropy: {loss:.6f} nats/char = {loss / np.log(2):.6f} bits/char")
    if a.torch:
        try:
            theirs = torch_logits(shape, state, ids)
        except ImportError:
            print("torch is not importable; skipped the PyTorch comparison", file=sys.stderr)
            return
        diff = float(np.abs(theirs - logits).max())
        print(f"torch: max |logit difference| = {diff:.3e}, cross-entropy {cross_entropy(theirs, ids) / np.log(2):.6f} bits/char")
        if diff > 1e-4:
            sys.exit("checkpoint_logits.py: torch and numpy disagree")


if __name__ == "__main__":
    main()
