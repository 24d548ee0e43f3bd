#!/usr/bin/python3
"""PyTorch peer of `convlab bench`: the study's three architectures trained
the way convlab trains them (NCHW float32, Keras 'same' padding, Adam
lr=0.001 betas=(0.9, 0.999) eps=1e-7, batch 128, categorical
cross-entropy, dropout 0.5 while training), on synthetic CIFAR-10-shaped
data. Prints one JSON object per line and preset:

  {"preset": "strided", "impl": "pytorch", "threads": 2, "batch": 128,
   "params": 37146, "train_images_per_s": ..., "infer_images_per_s": ...,
   "train_images_per_cpu_s": ..., "infer_images_per_cpu_s": ...,
   "peak_rss_bytes": ..., ...}

Rates per CPU-second use the whole process's CPU time (all threads), so
they stay meaningful when other processes compete for the cores.

Warm-up steps are excluded from the timings; each figure is the median of
several timed repeats of several steps.

Usage: torch_bench.py [--threads N] [--presets strided,maxpool,deeper]
                      [--steps 10] [--repeats 3] [--warmup 3] [--batch 128]
                      [--l1 1e-4] [--sym-pad]
"""
import argparse
import json
import platform
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SamePad(nn.Module):
    """Keras/TensorFlow 'same' padding: the odd extra pixel goes after."""

    def __init__(self, size, k, stride):
        super().__init__()
        out = (size + stride - 1) // stride
        total = max((out - 1) * stride + k - size, 0)
        self.pad = (total // 2, total - total // 2, total // 2, total - total // 2)

    def forward(self, x):
        if self.pad == (0, 0, 0, 0):
            return x
        return F.pad(x, self.pad)


SYM_PAD = False  # --sym-pad: padding=1 everywhere (not Keras' grid at stride 2)


def conv(layers, c_in, f, stride, size):
    """Appends a 3x3 conv + ReLU; returns the output size. Symmetric
    padding is given to the conv itself (as cuDNN/oneDNN like it), the
    asymmetric stride-2 case goes through an explicit zero pad."""
    sp = SamePad(size, 3, stride)
    l, r, t, b = sp.pad
    if SYM_PAD:
        layers.append(nn.Conv2d(c_in, f, 3, stride=stride, padding=1))
    elif l == r and t == b:
        layers.append(nn.Conv2d(c_in, f, 3, stride=stride, padding=l))
    else:
        layers.append(sp)
        layers.append(nn.Conv2d(c_in, f, 3, stride=stride, padding=0))
    layers.append(nn.ReLU())
    return (size + stride - 1) // stride


def build(preset):
    layers, c, size = [], 3, 32
    if preset == "strided":
        spec = [("c", 16, 1), ("c", 16, 2), ("c", 32, 1), ("c", 32, 2)]
    elif preset == "maxpool":
        spec = [("c", 16, 1), ("c", 16, 1), ("p",), ("c", 32, 1), ("c", 32, 1), ("p",)]
    elif preset == "deeper":
        spec = [("c", 8, 1), ("c", 8, 2), ("c", 16, 1), ("c", 16, 2), ("c", 32, 1), ("c", 32, 2)]
    else:
        raise SystemExit(f"torch_bench.py: unknown preset {preset!r}; valid: strided, maxpool, deeper")
    for s in spec:
        if s[0] == "c":
            size = conv(layers, c, s[1], s[2], size)
            c = s[1]
        else:
            layers.append(nn.MaxPool2d(2))
            size //= 2
    layers += [nn.Dropout(0.5), nn.Flatten(), nn.Linear(c * size * size, 10)]
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def timed(fn, steps, repeats, warmup, batch):
    """Median images/s over repeats, images per process CPU-second over
    all repeats, and every repeat's rate."""
    for _ in range(warmup):
        fn()
    rates = []
    cpu0 = time.process_time()
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            fn()
        rates.append(steps * batch / (time.perf_counter() - t0))
    cpu = time.process_time() - cpu0
    per_cpu = repeats * steps * batch / cpu if cpu > 0 else 0.0
    return statistics.median(rates), per_cpu, rates


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--presets", default="strided,maxpool,deeper")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--l1", type=float, default=1e-4)
    ap.add_argument("--sym-pad", action="store_true",
                    help="pad stride-2 convs by 1 on every side, as PyTorch users usually write it "
                         "(same cost class, but not Keras' sampling grid)")
    a = ap.parse_args()
    global SYM_PAD
    SYM_PAD = a.sym_pad
    if a.threads < 1 or a.steps < 1 or a.repeats < 1 or a.warmup < 0 or a.batch < 1:
        raise SystemExit("torch_bench.py: --threads, --steps, --repeats and --batch must be >= 1, --warmup >= 0")
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    g = torch.Generator().manual_seed(2)
    x = torch.rand(a.batch, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (a.batch,), generator=g)

    for preset in [p for p in a.presets.split(",") if p]:
        model = build(preset)
        params = sum(p.numel() for p in model.parameters())
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
        dense = model[-1]

        def train_step():
            model.train()
            opt.zero_grad(set_to_none=True)
            logits = model(x)
            loss = F.cross_entropy(logits, y) + a.l1 * dense.weight.abs().sum()
            loss.backward()
            opt.step()
            # accuracy as Keras reports it
            (logits.argmax(1) == y).float().mean().item()

        def infer_step():
            model.eval()
            with torch.no_grad():
                model(x).softmax(1).argmax(1)

        train, train_cpu, train_all = timed(train_step, a.steps, a.repeats, a.warmup, a.batch)
        infer, infer_cpu, infer_all = timed(infer_step, a.steps, a.repeats, a.warmup, a.batch)
        print(json.dumps({
            "preset": preset, "impl": "pytorch", "version": torch.__version__,
            "threads": a.threads, "batch": a.batch, "params": params,
            "train_images_per_s": round(train, 1), "infer_images_per_s": round(infer, 1),
            "train_images_per_cpu_s": round(train_cpu, 1), "infer_images_per_cpu_s": round(infer_cpu, 1),
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "train_repeats": [round(r, 1) for r in train_all],
            "infer_repeats": [round(r, 1) for r in infer_all],
            "mkldnn": torch.backends.mkldnn.is_available(), "python": platform.python_version(),
            "sym_pad": a.sym_pad,
        }), flush=True)


if __name__ == "__main__":
    sys.exit(main())
