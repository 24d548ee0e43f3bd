#!/usr/bin/python3
"""Summary of `make fidelity` (issue 12): per cell (arch, l1) and metric,
convlab's and the Keras reference's means over seeds, the difference
convlab - reference and its 95% confidence interval by Welch's t
(unequal variances, Welch-Satterthwaite degrees of freedom; the t
quantile from scipy.stats, Debian's python3-scipy). Prints a Markdown
table; writes FIDELITY_DIR/summary.csv too.

Usage: fidelity_summary.py FIDELITY_DIR
"""
import csv
import glob
import json
import math
import os
import sys

from scipy import stats

METRICS = [
    ("train_acc", "last-epoch train accuracy (history)"),
    ("val_acc", "last-epoch val_accuracy"),
    ("test_acc", "test accuracy"),
    ("loss", "last-epoch loss (history)"),
]


def reference_runs(d):
    for f in sorted(glob.glob(os.path.join(d, "reference", "*.json"))):
        with open(f) as fh:
            r = json.load(fh)
        h = r["history"][-1]
        yield (r["arch"], float(r["l1"]), r["n"], r["epochs"]), r["seed"], {
            "train_acc": h["accuracy"], "val_acc": h["val_accuracy"],
            "test_acc": r["test_accuracy"], "loss": h["loss"]}


def convlab_runs(d):
    for f in sorted(glob.glob(os.path.join(d, "convlab", "results", "*", "runs", "*", "metrics.json"))):
        run_dir = os.path.dirname(f)
        if not os.path.exists(os.path.join(run_dir, "DONE")):
            continue
        with open(f) as fh:
            m = json.load(fh)
        with open(os.path.join(run_dir, "history.csv")) as fh:
            h = list(csv.DictReader(fh))[-1]
        run = m["run"]
        arch = run["arch"]["name"] if isinstance(run["arch"], dict) else run["arch"]
        yield (arch, float(run["l1"]), run["n"], run["epochs"]), run["seed"], {
            "train_acc": float(h["accuracy"]), "val_acc": float(h["val_accuracy"]),
            "test_acc": m["metrics"]["test"]["accuracy"], "loss": float(h["loss"])}


def mean_sd(xs):
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, float("nan")
    return m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def welch_parts(a, b):
    """Difference of means a - b and the (variance, dof) of each side's
    mean, or None when either side has fewer than 2 values."""
    ma, sa = mean_sd(a)
    mb, sb = mean_sd(b)
    if len(a) < 2 or len(b) < 2:
        return ma - mb, None
    return ma - mb, [(sa * sa / len(a), len(a) - 1), (sb * sb / len(b), len(b) - 1)]


def interval(d, parts, weight=1.0):
    """The 95% CI of d whose variance is weight^2 * the sum of the parts,
    with Welch-Satterthwaite degrees of freedom."""
    var = sum(v for v, _ in parts)
    if var == 0:
        return d, d
    df = var ** 2 / sum(v * v / k for v, k in parts)
    half = stats.t.ppf(0.975, df) * weight * math.sqrt(var)
    return d - half, d + half


def welch(a, b):
    """Difference of means a - b and its 95% CI (nan when either side has
    fewer than 2 values)."""
    d, parts = welch_parts(a, b)
    if parts is None:
        return d, float("nan"), float("nan")
    return (d,) + interval(d, parts)


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: fidelity_summary.py FIDELITY_DIR")
    d = sys.argv[1]
    cells = {}
    for side, runs in (("convlab", convlab_runs(d)), ("reference", reference_runs(d))):
        for cell, seed, vals in runs:
            cells.setdefault(cell, {"convlab": {}, "reference": {}})[side][seed] = vals
    rows = []
    print("| cell | metric | seeds convlab / ref | convlab mean ± sd | reference mean ± sd | difference | 95% CI (Welch) | distinguishable |")
    print("| --- | --- | --- | ---: | ---: | ---: | --- | --- |")
    for cell in sorted(cells):
        arch, l1, n, epochs = cell
        c, r = cells[cell]["convlab"], cells[cell]["reference"]
        for key, label in METRICS:
            a = [c[s][key] for s in sorted(c)]
            b = [r[s][key] for s in sorted(r)]
            if not a or not b:
                continue
            ma, sa = mean_sd(a)
            mb, sb = mean_sd(b)
            diff, lo, hi = welch(a, b)
            dist = "n/a" if math.isnan(lo) else ("yes" if lo > 0 or hi < 0 else "no")
            print(f"| {arch} l1 {l1:g} (n {n}, {epochs} ep) | {label} | {len(a)} / {len(b)} | {ma:.4f} ± {sa:.4f} | {mb:.4f} ± {sb:.4f} | {diff:+.4f} | [{lo:+.4f}, {hi:+.4f}] | {dist} |")
            rows.append({"arch": arch, "l1": l1, "n": n, "epochs": epochs, "metric": key,
                         "seeds_convlab": len(a), "seeds_reference": len(b),
                         "convlab_mean": ma, "convlab_sd": sa, "reference_mean": mb, "reference_sd": sb,
                         "difference": diff, "ci_low": lo, "ci_high": hi})
    # Pooled over cells: the mean of the per-cell differences (cells are
    # independent runs), its variance the sum of theirs over k^2.
    for key, label in METRICS:
        diffs, parts = [], []
        for cell in sorted(cells):
            c, r = cells[cell]["convlab"], cells[cell]["reference"]
            dd, pp = welch_parts([c[s][key] for s in c], [r[s][key] for s in r]) if c and r else (0, None)
            if pp is None:
                continue
            diffs.append(dd)
            parts += pp
        if len(diffs) < 2:
            continue
        k = len(diffs)
        dm = sum(diffs) / k
        lo, hi = interval(dm, parts, 1.0 / k)
        dist = "yes" if lo > 0 or hi < 0 else "no"
        neg = sum(1 for x in diffs if x < 0)
        print(f"| all {k} cells, pooled | {label} | ({neg} of {k} cells lower in convlab) | | | {dm:+.4f} | [{lo:+.4f}, {hi:+.4f}] | {dist} |")
        rows.append({"arch": "pooled", "l1": "", "n": "", "epochs": "", "metric": key,
                     "seeds_convlab": "", "seeds_reference": "", "convlab_mean": "", "convlab_sd": "",
                     "reference_mean": "", "reference_sd": "", "difference": dm, "ci_low": lo, "ci_high": hi})
    if rows:
        tmp = os.path.join(d, "summary.csv.tmp")
        with open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        os.replace(tmp, os.path.join(d, "summary.csv"))


if __name__ == "__main__":
    main()
