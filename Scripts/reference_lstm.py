#!/usr/bin/env python3
"""Independent numpy (float64) reference of tunegen's character LSTM, for test fixtures.

Embedding(V,E) -> L stacked LSTM layers (PyTorch layout, gates i,f,g,o) -> Linear(H,V),
mean softmax cross-entropy over B*T targets, hand-written BPTT, global-norm clipping and
Keras-style Adam (eps added to sqrt(v) before bias correction of the step size).

Weights, inputs and the initial state are drawn deterministically here (numpy default_rng),
rounded to float32, and written with the results to
Tests/CharModelTests/Fixtures/reference_lstm.json. Run from the repository root:
    python3 Scripts/reference_lstm.py
"""
import json
import os

import numpy as np

V, E, H, L, B, T = 6, 3, 4, 2, 2, 5
LR, BETA1, BETA2, EPS, CLIP = 0.05, 0.9, 0.999, 1e-7, 0.2  # clip is active on steps 1 and 2
ADAM_STEPS = 3


def layout():
    names = [("embedding.weight", (V, E))]
    for k in range(L):
        names += [(f"lstm.weight_ih_l{k}", (4 * H, E if k == 0 else H)),
                  (f"lstm.weight_hh_l{k}", (4 * H, H)),
                  (f"lstm.bias_ih_l{k}", (4 * H,)),
                  (f"lstm.bias_hh_l{k}", (4 * H,))]
    names += [("fc.weight", (V, H)), ("fc.bias", (V,))]
    return names


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def forward_backward(P, x, y, h0, c0):
    """Loss, logits [B,T,V], gradients (dict), dh0, dc0 [L,B,H]. Batch-major, one step at a time."""
    emb = P["embedding.weight"]
    inp = emb[x]                                   # [B,T,E]
    caches = []
    for k in range(L):
        Wih, Whh = P[f"lstm.weight_ih_l{k}"], P[f"lstm.weight_hh_l{k}"]
        b = P[f"lstm.bias_ih_l{k}"] + P[f"lstm.bias_hh_l{k}"]
        h, c = h0[k].copy(), c0[k].copy()
        hs, steps = [], []
        for t in range(T):
            z = inp[:, t] @ Wih.T + h @ Whh.T + b    # [B,4H]
            i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
            cn = f * c + i * g
            hn = o * np.tanh(cn)
            steps.append((inp[:, t], h, c, i, f, g, o, cn))
            h, c = hn, cn
            hs.append(hn)
        caches.append(steps)
        inp = np.stack(hs, axis=1)                   # [B,T,H]
    logits = inp @ P["fc.weight"].T + P["fc.bias"]   # [B,T,V]
    m = logits.max(-1, keepdims=True)
    lse = m[..., 0] + np.log(np.exp(logits - m).sum(-1))
    n = B * T
    loss = float(np.mean(lse - np.take_along_axis(logits, y[..., None], -1)[..., 0]))

    G = {name: np.zeros(shape) for name, shape in layout()}
    p = np.exp(logits - lse[..., None])
    dlogits = p.copy()
    np.put_along_axis(dlogits, y[..., None], np.take_along_axis(p, y[..., None], -1) - 1, -1)
    dlogits /= n
    G["fc.weight"] = np.einsum("btv,bth->vh", dlogits, inp)
    G["fc.bias"] = dlogits.sum((0, 1))
    dout = dlogits @ P["fc.weight"]                  # [B,T,H] gradient reaching top outputs
    dh0, dc0 = np.zeros((L, B, H)), np.zeros((L, B, H))
    for k in reversed(range(L)):
        Wih, Whh = P[f"lstm.weight_ih_l{k}"], P[f"lstm.weight_hh_l{k}"]
        dh_next, dc_next = np.zeros((B, H)), np.zeros((B, H))
        din = np.zeros((B, T, Wih.shape[1]))
        for t in reversed(range(T)):
            xin, hp, cp, i, f, g, o, cn = caches[k][t]
            dh = dout[:, t] + dh_next
            tc = np.tanh(cn)
            dc = dc_next + dh * o * (1 - tc ** 2)
            dz = np.concatenate([dc * g * i * (1 - i), dc * cp * f * (1 - f),
                                 dc * i * (1 - g ** 2), dh * tc * o * (1 - o)], axis=1)
            G[f"lstm.weight_ih_l{k}"] += dz.T @ xin
            G[f"lstm.weight_hh_l{k}"] += dz.T @ hp
            G[f"lstm.bias_ih_l{k}"] += dz.sum(0)
            G[f"lstm.bias_hh_l{k}"] += dz.sum(0)
            din[:, t] = dz @ Wih
            dh_next = dz @ Whh
            dc_next = dc * f
        dh0[k], dc0[k] = dh_next, dc_next
        dout = din
    for bi in range(B):
        for t in range(T):
            G["embedding.weight"][x[bi, t]] += dout[bi, t]
    return loss, logits, G, dh0, dc0


def main():
    rng = np.random.default_rng(20261122)
    P = {name: rng.uniform(-0.5, 0.5, size=shape).astype(np.float32).astype(np.float64)
         for name, shape in layout()}
    x = rng.integers(0, V, size=(B, T))
    y = rng.integers(0, V, size=(B, T))
    h0 = rng.uniform(-0.5, 0.5, size=(L, B, H)).astype(np.float32).astype(np.float64)
    c0 = rng.uniform(-0.5, 0.5, size=(L, B, H)).astype(np.float32).astype(np.float64)

    loss, logits, G, dh0, dc0 = forward_backward(P, x, y, h0, c0)

    # Adam (Keras epsilon placement) with global-norm clipping, same batch and initial state each step.
    Q = {k: v.copy() for k, v in P.items()}
    M = {k: np.zeros_like(v) for k, v in P.items()}
    S = {k: np.zeros_like(v) for k, v in P.items()}
    adam_losses, grad_norms = [], []
    for step in range(1, ADAM_STEPS + 1):
        l, _, g, _, _ = forward_backward(Q, x, y, h0, c0)
        adam_losses.append(l)
        norm = np.sqrt(sum((v ** 2).sum() for v in g.values()))
        grad_norms.append(float(norm))
        scale = CLIP / norm if norm > CLIP else 1.0
        lr_t = LR * np.sqrt(1 - BETA2 ** step) / (1 - BETA1 ** step)
        for k in Q:
            gk = g[k] * scale
            M[k] = BETA1 * M[k] + (1 - BETA1) * gk
            S[k] = BETA2 * S[k] + (1 - BETA2) * gk ** 2
            Q[k] = Q[k] - lr_t * M[k] / (np.sqrt(S[k]) + EPS)
    adam_losses.append(forward_backward(Q, x, y, h0, c0)[0])

    flat = lambda d: [float(v) for name, _ in layout() for v in d[name].ravel()]
    out = {
        "comment": "written by Scripts/reference_lstm.py (numpy float64); parameters in PyTorch state_dict order",
        "V": V, "E": E, "H": H, "L": L, "B": B, "T": T,
        "parameters": flat(P),
        "inputs": x.ravel().tolist(), "targets": y.ravel().tolist(),
        "h0": h0.ravel().tolist(), "c0": c0.ravel().tolist(),
        "logits": logits.ravel().tolist(), "loss": loss,
        "gradients": flat(G), "dh0": dh0.ravel().tolist(), "dc0": dc0.ravel().tolist(),
        "adam": {"lr": LR, "beta1": BETA1, "beta2": BETA2, "eps": EPS, "clip": CLIP,
                 "losses": adam_losses, "gradientNorms": grad_norms},
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "Tests", "CharModelTests", "Fixtures", "reference_lstm.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    print(f"loss {loss:.6f}, grad norms {grad_norms}, adam losses {adam_losses} -> {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
