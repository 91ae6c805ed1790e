"""PyTorch side of the Fair4Free teacher-throughput benchmark (run by scripts/bench-fair4free):
the same teacher as src/methods/fair4free/teacher.rs (encoder [x, s] -> 64 -> (mu, log var) with
latent 8, decoder [z, s] -> 64 -> x logits; loss: cross-entropy per one-hot block + 1/2 squared
error per standardised numeric + KL + beta dCor^2(mu, s)) on the Adult training rows (one-hot,
standardised, sex as s), batch 512, Adam 1e-3, CPU, 2 threads. Prints one JSON line with rows/s.
Usage: bench_fair4free_torch.py ADULT_DATA [EPOCHS]"""
import csv
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn

torch.set_num_threads(2)
torch.manual_seed(0)

COLS = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
        "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income"]
NUMERIC = {"age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"}


def load(path):
    rows = []
    with open(path) as f:
        for rec in csv.reader(f, skipinitialspace=True):
            if len(rec) == 15 and "?" not in rec:
                rows.append(rec)
    blocks, parts, numeric_cols = [], [], []
    width = 0
    for j, name in enumerate(COLS[:14]):
        if name == "sex":
            continue
        col = [r[j] for r in rows]
        if name in NUMERIC:
            v = np.array(col, dtype=np.float64)
            parts.append(((v - v.mean()) / v.std())[:, None])
            numeric_cols.append(width)
            width += 1
        else:
            levels = sorted(set(col))
            idx = {l: i for i, l in enumerate(levels)}
            m = np.zeros((len(col), len(levels)))
            m[np.arange(len(col)), [idx[c] for c in col]] = 1.0
            parts.append(m)
            blocks.append((width, width + len(levels)))
            width += len(levels)
    x = np.concatenate(parts, axis=1).astype(np.float32)
    s = np.array([[1.0, 0.0] if r[9] == "Female" else [0.0, 1.0] for r in rows], dtype=np.float32)
    return torch.from_numpy(x), torch.from_numpy(s), blocks, numeric_cols


class Teacher(nn.Module):
    def __init__(self, xw, k, h=64, l=8):
        super().__init__()
        self.enc_x, self.enc_s = nn.Linear(xw, h), nn.Linear(k, h)
        self.mu, self.lv = nn.Linear(h, l), nn.Linear(h, l)
        self.dec_z, self.dec_s, self.out = nn.Linear(l, h), nn.Linear(k, h), nn.Linear(h, xw)

    def forward(self, x, s):
        hid = torch.relu(self.enc_x(x) + self.enc_s(s))
        mu, lv = self.mu(hid), self.lv(hid)
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        return mu, lv, self.out(torch.relu(self.dec_z(z) + self.dec_s(s)))


def centred(d):
    return d - d.mean(0, keepdim=True) - d.mean(1, keepdim=True) + d.mean()


def dcor2(a, b):
    da = centred(torch.sqrt(torch.cdist(a, a).pow(2) + 1e-6))
    db = centred(torch.sqrt(torch.cdist(b, b).pow(2) + 1e-6))
    return (da * db).mean() / (torch.sqrt((da * da).mean() * (db * db).mean()) + 1e-12)


def main():
    x, s, blocks, numeric = load(sys.argv[1])
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    model = Teacher(x.shape[1], 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    cat = torch.zeros(x.shape[1]); num = torch.zeros(x.shape[1])
    member = torch.zeros(x.shape[1], len(blocks))
    for b, (lo, hi) in enumerate(blocks):
        cat[lo:hi] = 1.0
        member[lo:hi, b] = 1.0
    num[numeric] = 1.0
    n, batch, beta = x.shape[0], 512, 10.0
    epoch_s = []
    for _ in range(epochs):
        perm = torch.randperm(n)
        t = time.perf_counter()
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            xb, sb = x[idx], s[idx]
            mu, lv, logits = model(xb, sb)
            lse = torch.log(torch.exp(logits.clamp(-30, 30)) @ member).sum()
            recon = (lse - (logits * xb * cat).sum() + 0.5 * (((logits - xb) ** 2) * num).sum()) / len(idx)
            kl = 0.5 * (lv.exp() + mu ** 2 - lv - 1).sum() / len(idx)
            loss = recon + kl + beta * dcor2(mu, sb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        epoch_s.append(time.perf_counter() - t)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows_per_epoch": n,
                      "epoch_seconds": epoch_s, "rows_per_second_best": n / min(epoch_s)}))


if __name__ == "__main__":
    main()
