#!/usr/bin/python3
"""An independent, Keras-faithful reference of the study's training, in
PyTorch (Debian's python3-torch 1.13; numpy), written from Keras's and
TensorFlow's documentation and source, not from convlab's code. It is the
yardstick of issue 12: arch/net's TestKerasStepEquivalence drives `step`,
`make fidelity` drives `train`.

Every semantic choice and where it comes from:

- Tensors are NHWC as in Keras (data_format "channels_last", the default
  of keras.layers.Conv2D); Flatten therefore orders features by row, then
  column, then channel (keras.layers.Flatten on channels_last).
- Conv2D padding "same": TensorFlow's rule (tensorflow/core/framework/
  kernel_shape_util.cc, GetWindowedOutputSizeVerbose, Padding::SAME):
  out = ceil(in / stride), pad_total = max((out-1)*stride + k - in, 0),
  pad_before = pad_total // 2, pad_after = pad_total - pad_before ("for odd
  values of total padding, add more padding at the 'right' side"). At
  stride 2 on an even size the one extra row/column goes at the bottom and
  right; at stride 1 with k = 3 it is 1 on each side.
- Kernels: keras.initializers.GlorotUniform = VarianceScaling(scale=1,
  mode="fan_avg", distribution="uniform"): limit = sqrt(6 / (fan_in +
  fan_out)); keras/src/initializers/random_initializers.py compute_fans:
  for a conv kernel (kh, kw, cin, cout) receptive = kh*kw, fan_in =
  receptive*cin, fan_out = receptive*cout; for a dense kernel (in, units)
  fan_in = in, fan_out = units. Biases: "zeros" (bias_initializer default).
- Dropout: tf.nn.dropout (tensorflow/python/ops/nn_ops.py, dropout_v2):
  keep where uniform [0, 1) >= rate, kept values scaled by 1/(1-rate)
  (inverted dropout); only while training (Layer call training=True in fit).
- MaxPooling2D(pool) : pool x pool windows, strides = pool, padding "valid".
- Loss: categorical_crossentropy on the softmax output. In tf.keras 2.x
  (keras/backend.py categorical_crossentropy) the softmax activation caches
  its logits on the output (`_keras_logits`) and the loss is
  softmax_cross_entropy_with_logits on them (also, in graph mode, when
  output.op.type == "Softmax"); multi-backend Keras <= 2.3 and the
  probability path instead renormalise the probabilities, clip them to
  [epsilon, 1 - epsilon] (keras.backend.epsilon() = 1e-7) and take
  -sum(y * log p). `--ce logits` (default) is the former, `--ce clipped` the
  latter; they differ only where a probability leaves [1e-7, 1 - 1e-7].
  The batch loss is the mean over the batch (reduction
  SUM_OVER_BATCH_SIZE).
- L1: keras.regularizers.L1(l1)(w) = l1 * reduce_sum(abs(w)), added to the
  loss (Model.losses -> compile_utils.LossesContainer adds
  regularization_losses to the total loss). d|w|/dw = sign(w), 0 at w = 0
  (TensorFlow's AbsGrad is grad * sign(x)), as torch.abs's backward.
- Adam: tf.keras.optimizers.Adam (optimizer_v2/adam.py, epsilon 1e-7
  default) calls training_ops.ResourceApplyAdam; TensorFlow's
  training_ops.cc ApplyAdamNonCuda, Keras 3's keras/src/optimizers/adam.py
  and tf.compat.v1.train.AdamOptimizer's documented update are the same:
      t += 1; alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
      m += (g - m) * (1 - beta1);  v += (g*g - v) * (1 - beta2)
      w -= alpha * m / (sqrt(v) + epsilon)      # epsilon "hat", not on v_hat
  computed in the variables' dtype (float32).
- fit(validation_split=f): keras/engine/data_adapter.py
  train_validation_split: split_at = floor(n * (1 - f)); the LAST n -
  split_at samples are the validation set, taken before any shuffling.
  shuffle=True draws a new permutation of the training part every epoch;
  batches are consecutive slices of it, the last one partial (not dropped).
- History: `loss` and `accuracy` are the epoch's running means
  (keras.metrics.Mean with sample_weight = batch size for the loss, the
  per-sample MeanMetricWrapper for categorical_accuracy), i.e. means over
  all samples seen, computed before each batch's update, dropout on, the
  loss including the L1 term. val_loss / val_accuracy come from evaluate
  with dropout off after the epoch (val_loss includes the L1 term too).
- Data (the study, and the official CIFAR-10 binary format: records of one
  label byte then 3072 pixel bytes, 1024 R, 1024 G, 1024 B, each 32x32
  row-major): the first n training images in file order, pixels / 255.

Commands:

  keras_reference.py step --weights INIT --batches FILE --out DIR
      [--record 1,10,100] [--ce logits|clipped] [--dtype float32|float64]
  Reads the architecture and initial weights from a convlab weights file
  (the format of README.md, "Weights"), the batches (and the dropout masks
  to use) from FILE (format below), does one Adam step per batch and writes
  DIR/steps.json ({"loss": [...], "accuracy": [...]}, one per step) and,
  for every recorded step s, DIR/grad_s.weights (the gradients of step s)
  and DIR/weights_s.weights (the weights after step s), in the weights
  file format and convlab's layouts, so both sides compare tensor by
  tensor. Batches file: the 8 bytes "KRSTEPS1", little-endian uint32
  steps, lr, beta1, beta2, epsilon as float64, then per step uint32 n,
  n*C*H*W float32 images (channel planes, as the data files), n uint8
  labels, uint32 masks, and per mask its uint32 size and that many float32
  values (channels-first, 0 = dropped; anything else = kept), one mask per
  dropout layer with a non-zero rate, in layer order.

  keras_reference.py train --data-dir DIR --arch strided|maxpool|deeper
      --n 5000 --l1 1e-4 --epochs 20 --seed 1 [--batch 128]
      [--validation-split 0.1] [--threads 1] [--ce logits|clipped]
      [--streams torch|convlab|init=convlab,shuffle=torch,...] [--nudge-init]
  Trains as model.fit does and prints one JSON object: the history and the
  dropout-off accuracy and loss on train, validation and test. --streams
  convlab draws the initial weights, shuffles and dropout masks as convlab
  does for the seed (a port of its PCG streams), for paired runs (or only
  the streams named, e.g. --streams dropout=convlab);
  --nudge-init moves every initial kernel weight one float32 ulp up, so
  that two runs differ by rounding alone.

  keras_reference.py streams --arch A --seed S --perm N --epochs E
      --masks 3,128 --out DIR
  Writes the port's convlab streams for the Go tests (see cmd_streams).
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

EPSILON = 1e-7  # keras.backend.epsilon()


# ---------------------------------------------------------------- layers

def same_pad(size, k, stride):
    """TensorFlow's SAME padding of one axis: (before, after)."""
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


class Net:
    """A Sequential model over NHWC tensors, parameters in Keras layouts:
    conv kernels (kh, kw, cin, cout), dense kernels (in, units)."""

    def __init__(self, layers, in_shape):
        # layers: dicts {"kind", ...} with every default filled in.
        self.layers = layers
        self.in_shape = in_shape  # (H, W, C)
        self.params = []  # [(name, tensor)] in Keras order: kernel, bias per layer
        self.shapes = []  # per layer: its input shape (H, W, C) or (F,)
        self.penalties = []  # (kernel tensor, l1)
        shape = in_shape
        spatial = None  # the (H, W, C) a Flatten turned into features
        counts = {}
        for l in layers:
            self.shapes.append(shape)
            kind = l["kind"]
            name = kind if counts.get(kind, 0) == 0 else f"{kind}_{counts[kind]}"
            counts[kind] = counts.get(kind, 0) + 1
            l["name"] = name
            if kind == "conv2d":
                h, w, c = shape
                k, s = l["kernel"], l["stride"]
                kern = torch.zeros(k, k, c, l["filters"])
                self.params += [(name + "/kernel", kern), (name + "/bias", torch.zeros(l["filters"]))]
                if l["padding"] == "same":
                    shape = ((h + s - 1) // s, (w + s - 1) // s, l["filters"])
                else:
                    shape = ((h - k) // s + 1, (w - k) // s + 1, l["filters"])
            elif kind == "maxpool2d":
                h, w, c = shape
                p = l["pool"]
                shape = (h // p, w // p, c)
            elif kind == "flatten":
                if len(shape) == 3:
                    spatial = shape
                shape = (int(np.prod(shape)),)
            elif kind == "dense":
                # rows of this kernel in convlab's file are (c, h, w) ordered
                # when its features come from a spatial tensor
                l["rows"] = shape if len(shape) == 3 else spatial
                spatial = None
                kern = torch.zeros(int(np.prod(shape)), l["units"])
                self.params += [(name + "/kernel", kern), (name + "/bias", torch.zeros(l["units"]))]
                if l.get("l1", 0) or l.get("l2", 0):
                    self.penalties.append((kern, l.get("l1", 0.0), l.get("l2", 0.0)))
                shape = (l["units"],)
        for _, t in self.params:
            t.requires_grad_(True)

    def glorot(self, gen):
        """Glorot-uniform kernels, zero biases (Keras' defaults)."""
        with torch.no_grad():
            for name, t in self.params:
                if name.endswith("/bias"):
                    t.zero_()
                    continue
                if t.dim() == 4:
                    kh, kw, cin, cout = t.shape
                    fan_in, fan_out = kh * kw * cin, kh * kw * cout
                else:
                    fan_in, fan_out = t.shape
                limit = math.sqrt(6.0 / (fan_in + fan_out))
                t.copy_((torch.rand(t.shape, generator=gen) * 2 - 1) * limit)

    def logits(self, x, training, masks=None, gen=None):
        """x: NHWC. masks: per dropout layer an NHWC keep mask (bool), or
        None to draw them from gen (training) / not drop (inference)."""
        pi, di = 0, 0
        n_layers = len(self.layers)
        for i, l in enumerate(self.layers):
            kind = l["kind"]
            if kind == "conv2d":
                kern, bias = self.params[pi][1], self.params[pi + 1][1]
                pi += 2
                k, s = l["kernel"], l["stride"]
                xc = x.permute(0, 3, 1, 2)  # torch convolves NCHW
                if l["padding"] == "same":
                    t, b = same_pad(xc.shape[2], k, s)
                    le, r = same_pad(xc.shape[3], k, s)
                    xc = F.pad(xc, (le, r, t, b))
                y = F.conv2d(xc, kern.permute(3, 2, 0, 1), bias, stride=s)
                x = y.permute(0, 2, 3, 1)
                if l["activation"] == "relu":
                    x = F.relu(x)
            elif kind == "maxpool2d":
                p = l["pool"]
                x = F.max_pool2d(x.permute(0, 3, 1, 2), p, p).permute(0, 2, 3, 1)
            elif kind == "dropout":
                rate = l["rate"]
                if training and rate > 0:
                    if masks is not None:
                        keep = masks[di]
                    else:
                        keep = torch.rand(x.shape, generator=gen) >= rate
                    di += 1
                    x = x * keep.to(x.dtype) * (1.0 / (1.0 - rate))
            elif kind == "flatten":
                x = x.reshape(x.shape[0], -1)  # NHWC order: row, column, channel
            elif kind == "dense":
                kern, bias = self.params[pi][1], self.params[pi + 1][1]
                pi += 2
                if x.dim() > 2:
                    x = x.reshape(x.shape[0], -1)
                x = x @ kern + bias
                if l["activation"] == "relu":
                    x = F.relu(x)
                elif l["activation"] == "softmax" and i != n_layers - 1:
                    x = torch.softmax(x, dim=1)
        return x  # the last layer's pre-softmax values

    def penalty(self):
        total = torch.zeros(())
        for kern, l1, l2 in self.penalties:
            if l1:
                total = total + l1 * kern.abs().sum()
            if l2:
                total = total + l2 * (kern * kern).sum()
        return total


def crossentropy(logits, labels, mode):
    """Mean categorical cross-entropy of the softmax of logits."""
    if mode == "logits":
        return F.cross_entropy(logits, labels)
    p = torch.softmax(logits, dim=1)
    p = p / p.sum(dim=1, keepdim=True)
    p = torch.clamp(p, EPSILON, 1.0 - EPSILON)
    return -(torch.log(p).gather(1, labels[:, None])).mean()


class Adam:
    """TensorFlow's ApplyAdam, in float32."""

    def __init__(self, params, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7):
        self.params = params
        self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    @torch.no_grad()
    def step(self):
        self.t += 1
        # beta powers and alpha in the variables' dtype, as TF's are.
        dt = self.params[0].dtype
        b1p = torch.tensor(self.b1, dtype=dt) ** self.t
        b2p = torch.tensor(self.b2, dtype=dt) ** self.t
        alpha = torch.tensor(self.lr, dtype=dt) * torch.sqrt(1 - b2p) / (1 - b1p)
        for p, m, v in zip(self.params, self.m, self.v):
            g = p.grad
            m.add_((g - m) * (1 - self.b1))
            v.add_((g * g - v) * (1 - self.b2))
            p.sub_(m * alpha / (v.sqrt() + self.eps))


# ---------------------------------------------- convlab's files and layouts

def read_weights(path):
    """A convlab weights file: (header dict, [float32 numpy arrays])."""
    with open(path, "rb") as f:
        b = f.read()
    magic = b"CONVLAB1\n"
    if not b.startswith(magic):
        raise SystemExit(f"keras_reference.py: {path}: not a convlab weights file")
    (hl,) = struct.unpack_from("<I", b, len(magic))
    off = len(magic) + 4
    header = json.loads(b[off:off + hl])
    off += hl
    values = []
    for t in header["tensors"]:
        size = int(np.prod(t["shape"]))
        values.append(np.frombuffer(b, "<f4", size, off).reshape(t["shape"]).copy())
        off += 4 * size
    if off != len(b):
        raise SystemExit(f"keras_reference.py: {path}: {len(b) - off} bytes after the tensors")
    return header, values


def write_weights(path, header, values):
    hb = json.dumps(header, separators=(",", ":")).encode()
    with open(path + ".tmp", "wb") as f:
        f.write(b"CONVLAB1\n")
        f.write(struct.pack("<I", len(hb)))
        f.write(hb)
        for v in values:
            f.write(np.ascontiguousarray(v, dtype="<f4").tobytes())
    os.replace(path + ".tmp", path)


def layers_from_arch(arch):
    """The layers of a convlab arch description with the documented
    defaults (README: conv2d stride 1, padding same, activation relu;
    maxpool2d pool 2; dense activation none)."""
    out = []
    for l in arch["layers"]:
        l = dict(l)
        k = l["kind"]
        if k == "conv2d":
            l.setdefault("stride", 1)
            l["stride"] = l["stride"] or 1
            l.setdefault("padding", "same")
            l["padding"] = l["padding"] or "same"
            l["activation"] = l.get("activation") or "relu"
        elif k == "maxpool2d":
            l["pool"] = l.get("pool") or 2
        elif k == "dropout":
            l["rate"] = l.get("rate", 0.0)
        elif k == "dense":
            l["activation"] = l.get("activation") or "none"
        out.append(l)
    return out


def relayout(net, tensors, to_keras):
    """convlab layouts (conv F x C x K x K; dense rows in C, H, W order
    after a channels-first Flatten) into the Keras ones of net (conv
    kh x kw x cin x cout; dense rows in H, W, C order), or back."""
    out, pi = [], 0
    for l in net.layers:
        if l["kind"] == "conv2d":
            perm = (2, 3, 1, 0) if to_keras else (3, 2, 0, 1)
            out += [tensors[pi].transpose(*perm), tensors[pi + 1]]
            pi += 2
        elif l["kind"] == "dense":
            k = tensors[pi]
            if l["rows"]:
                h, w, c = l["rows"]
                if to_keras:
                    k = k.reshape(c, h, w, -1).transpose(1, 2, 0, 3).reshape(h * w * c, -1)
                else:
                    k = k.reshape(h, w, c, -1).transpose(2, 0, 1, 3).reshape(c * h * w, -1)
            out += [k, tensors[pi + 1]]
            pi += 2
    return [np.ascontiguousarray(t) for t in out]


def read_batches(path):
    with open(path, "rb") as f:
        b = f.read()
    if not b.startswith(b"KRSTEPS1"):
        raise SystemExit(f"keras_reference.py: {path}: not a batches file (no KRSTEPS1)")
    off = 8
    (steps,) = struct.unpack_from("<I", b, off)
    off += 4
    lr, b1, b2, eps = struct.unpack_from("<4d", b, off)
    off += 32
    return steps, (lr, b1, b2, eps), b, off


def nchw_to_nhwc(x, c, h, w):
    return x.reshape(-1, c, h, w).transpose(0, 2, 3, 1)


# ------------------------------------------------------------------ step

def cmd_step(a):
    header, values = read_weights(a.weights)
    inp = header["input"]
    c, h, w = inp["c"], inp["h"], inp["w"]
    net = Net(layers_from_arch(header["arch"]), (h, w, c))
    dt = torch.float64 if a.dtype == "float64" else torch.float32
    with torch.no_grad():
        for (_, t), v in zip(net.params, relayout(net, values, True)):
            t.data = torch.from_numpy(np.ascontiguousarray(v)).to(dt)
    steps, hp, b, off = read_batches(a.batches)
    opt = Adam([t for _, t in net.params], *hp)
    record = {int(s) for s in a.record.split(",") if s}
    drop_shapes = [net.shapes[i] for i, l in enumerate(net.layers) if l["kind"] == "dropout" and l["rate"] > 0]
    losses, accs = [], []
    os.makedirs(a.out, exist_ok=True)
    for s in range(1, steps + 1):
        (n,) = struct.unpack_from("<I", b, off)
        off += 4
        x = np.frombuffer(b, "<f4", n * c * h * w, off)
        off += 4 * n * c * h * w
        y = np.frombuffer(b, "u1", n, off).astype(np.int64)
        off += n
        (nm,) = struct.unpack_from("<I", b, off)
        off += 4
        masks = []
        di = 0
        if nm != len(drop_shapes):
            raise SystemExit(f"keras_reference.py: {a.batches}: step {s} has {nm} dropout masks; the network has {len(drop_shapes)} dropout layers")
        for _ in range(nm):
            (size,) = struct.unpack_from("<I", b, off)
            off += 4
            m = np.frombuffer(b, "<f4", size, off)
            off += 4 * size
            shape = drop_shapes[di]
            di += 1
            if len(shape) == 3:
                hh, ww, cc = shape
                m = nchw_to_nhwc(m, cc, hh, ww)
            else:
                m = m.reshape(n, -1)
            masks.append(torch.from_numpy(np.ascontiguousarray(m != 0)))
        xt = torch.from_numpy(np.ascontiguousarray(nchw_to_nhwc(x, c, h, w))).to(dt)
        yt = torch.from_numpy(y)
        for _, t in net.params:
            t.grad = None
        z = net.logits(xt, True, masks=masks)
        loss = crossentropy(z, yt, a.ce) + net.penalty().to(dt)
        loss.backward()
        losses.append(float(loss))
        accs.append(float((z.argmax(1) == yt).float().mean()))
        if s in record:
            g = relayout(net, [t.grad.numpy() for _, t in net.params], False)
            write_weights(os.path.join(a.out, f"grad_{s}.weights"), header, g)
        opt.step()
        if s in record:
            wv = relayout(net, [t.detach().numpy() for _, t in net.params], False)
            write_weights(os.path.join(a.out, f"weights_{s}.weights"), header, wv)
    if off != len(b):
        raise SystemExit(f"keras_reference.py: {a.batches}: {len(b) - off} bytes after the last step")
    with open(os.path.join(a.out, "steps.json"), "w") as f:
        json.dump({"loss": losses, "accuracy": accs}, f)


# ------------------------------------------------- convlab's random streams

# `train --streams convlab` replaces the reference's own torch streams by
# convlab's three, so that a paired run differs from convlab's only in the
# training arithmetic: the initial weights, the per-epoch shuffle and the
# dropout masks are bit for bit convlab's. Each is a math/rand/v2 PCG
# (Go's src/math/rand/v2/pcg.go: a 128-bit LCG, DXSM output) seeded with
# (run seed, stream constant); the constants and how the draws are used
# are convlab's (arch/net/model.go initParams and the dropout stream,
# arch/net/machine.go fillMask, runner/train/train.go shuffleStream and
# r.Perm). arch/net's TestConvlabStreams and runner/train's
# TestConvlabShufflePort check this port against Go's own values.

M64 = (1 << 64) - 1
M128 = (1 << 128) - 1
PCG_MUL = (2549297995355413924 << 64) | 4865540595714422341
PCG_INC = (6364136223846793005 << 64) | 1442695040888963407
DXSM_MUL = 0xDA942042E4DD58B5
STREAM_INIT = 0x696E6974  # "init"
STREAM_DROPOUT = 0x64726F706F7574  # "dropout"
STREAM_SHUFFLE = 0x73687566666C65  # "shuffle"
_BLOCK = 1 << 15
_JUMPS = None  # per k in 1.._BLOCK: (MUL^k, INC*(1+MUL+...+MUL^(k-1))) mod 2^128 as 32-bit limbs


def _limbs(vals):
    a = np.array([[(v >> (32 * i)) & 0xFFFFFFFF for i in range(4)] for v in vals], dtype=np.uint64)
    return [a[:, i].copy() for i in range(4)]


def _jumps():
    global _JUMPS
    if _JUMPS is None:
        muls, incs = [], []
        m, c = 1, 0
        for _ in range(_BLOCK):
            m, c = (m * PCG_MUL) & M128, (c * PCG_MUL + PCG_INC) & M128
            muls.append(m)
            incs.append(c)
        _JUMPS = (_limbs(muls), _limbs(incs), muls[-1], incs[-1])
    return _JUMPS


def _dxsm(hi, lo):
    with np.errstate(over="ignore"):
        hi = hi ^ (hi >> np.uint64(32))
        hi = hi * np.uint64(DXSM_MUL)
        hi = hi ^ (hi >> np.uint64(48))
        return hi * (lo | np.uint64(1))


class GoPCG:
    """math/rand/v2's PCG: NewPCG(seed1, seed2), Uint64, and Uint64s, the
    next k outputs at once (numpy, by jumping the LCG ahead)."""

    def __init__(self, seed1, seed2):
        self.state = ((seed1 & M64) << 64) | (seed2 & M64)

    def uint64(self):
        self.state = (self.state * PCG_MUL + PCG_INC) & M128
        hi, lo = self.state >> 64, self.state & M64
        hi ^= hi >> 32
        hi = (hi * DXSM_MUL) & M64
        hi ^= hi >> 48
        return (hi * (lo | 1)) & M64

    def uint64s(self, k):
        muls, incs, mul_block, inc_block = _jumps()
        out = np.empty(k, dtype=np.uint64)
        mask = np.uint64(0xFFFFFFFF)
        done = 0
        while done < k:
            r = min(_BLOCK, k - done)
            s = [np.uint64((self.state >> (32 * i)) & 0xFFFFFFFF) for i in range(4)]
            # state_j = MUL^j * state + INC_j (mod 2^128), in 32-bit limbs so
            # that no uint64 partial sum overflows
            acc = [incs[i][:r].copy() for i in range(4)]
            for i in range(4):
                for j in range(4 - i):
                    p = muls[i][:r] * s[j]
                    acc[i + j] += p & mask
                    if i + j < 3:
                        acc[i + j + 1] += p >> np.uint64(32)
            for i in range(3):
                acc[i + 1] += acc[i] >> np.uint64(32)
                acc[i] &= mask
            acc[3] &= mask
            hi = (acc[3] << np.uint64(32)) | acc[2]
            lo = (acc[1] << np.uint64(32)) | acc[0]
            out[done:done + r] = _dxsm(hi, lo)
            self.state = (int(hi[-1]) << 64) | int(lo[-1])
            done += r
        return out

    def uint64n(self, n):
        """Rand.uint64n: Lemire's multiply-and-reject (rand.go)."""
        if n & (n - 1) == 0:
            return self.uint64() & (n - 1)
        x = self.uint64() * n
        hi, lo = x >> 64, x & M64
        if lo < n:
            thresh = ((1 << 64) - n) % n
            while lo < thresh:
                x = self.uint64() * n
                hi, lo = x >> 64, x & M64
        return hi

    def perm(self, n):
        """Rand.Perm: Fisher-Yates from the top, Shuffle's swaps."""
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.uint64n(i + 1)
            p[i], p[j] = p[j], p[i]
        return p

    def float64s(self, k):
        """Rand.Float64 k times: the low 53 bits over 2^53."""
        return (self.uint64s(k) & np.uint64((1 << 53) - 1)).astype(np.float64) / float(1 << 53)


def convlab_init(net, seed):
    """convlab's initial weights in the Keras layouts of net: Glorot-uniform
    kernels drawn layer by layer in convlab's layouts (conv F x C x K x K,
    dense in x units) as (Float64()*2 - 1) * limit, rounded to float32;
    zero biases."""
    r = GoPCG(seed, STREAM_INIT)
    vals, pi = [], 0
    for l in net.layers:
        if l["kind"] not in ("conv2d", "dense"):
            continue
        kern = net.params[pi][1]
        if l["kind"] == "conv2d":
            kh, kw, cin, cout = kern.shape
            shape, fan_in, fan_out = (cout, cin, kh, kw), kh * kw * cin, kh * kw * cout
        else:
            shape, (fan_in, fan_out) = tuple(kern.shape), tuple(kern.shape)
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        k = (r.float64s(int(np.prod(shape))) * 2 - 1) * limit
        vals += [k.astype(np.float32).reshape(shape), np.zeros(net.params[pi + 1][1].shape, np.float32)]
        pi += 2
    return relayout(net, vals, True)


def convlab_masks(pcg, n, shape, rate):
    """fillMask for an n-image batch at a dropout layer whose input has the
    Keras shape (H, W, C) or (F,): one Uint64 per two values of the
    channels-first mask, bits 8..31 for the first and 40..63 for the second,
    kept where the 24-bit fraction is at least the rate. Returns the NHWC
    keep mask (bool)."""
    size = n * int(np.prod(shape))
    u = pcg.uint64s((size + 1) // 2)
    thr = np.uint64(math.ceil(rate * (1 << 24)))
    bits = np.empty(2 * len(u), dtype=bool)
    bits[0::2] = ((u >> np.uint64(8)) & np.uint64((1 << 24) - 1)) >= thr
    bits[1::2] = (u >> np.uint64(40)) >= thr
    bits = bits[:size]
    if len(shape) == 3:
        h, w, c = shape
        return nchw_to_nhwc(bits, c, h, w)
    return bits.reshape(n, -1)


def cmd_streams(a):
    """Writes convlab's streams as the port computes them, for the Go tests:
    DIR/init.f32 (every parameter in convlab's layouts and order), DIR/perm.u32
    (the shuffles of --epochs epochs of --perm images), DIR/masks.u8 (the
    keep bits, channels-first, of one batch of each size in --masks)."""
    net = Net(preset(a.arch, 0.0), (32, 32, 3))
    os.makedirs(a.out, exist_ok=True)
    init = relayout(net, convlab_init(net, a.seed), False)
    with open(os.path.join(a.out, "init.f32"), "wb") as f:
        for v in init:
            f.write(np.ascontiguousarray(v, "<f4").tobytes())
    r = GoPCG(a.seed, STREAM_SHUFFLE)
    perms = [r.perm(a.perm) for _ in range(a.epochs)]
    np.array(perms, dtype="<u4").tofile(os.path.join(a.out, "perm.u32"))
    d = GoPCG(a.seed, STREAM_DROPOUT)
    drops = [(net.shapes[i], l["rate"]) for i, l in enumerate(net.layers) if l["kind"] == "dropout" and l["rate"] > 0]
    with open(os.path.join(a.out, "masks.u8"), "wb") as f:
        for n in (int(s) for s in a.masks.split(",") if s):
            for shape, rate in drops:
                keep = convlab_masks(d, n, shape, rate)
                if len(shape) == 3:
                    keep = keep.transpose(0, 3, 1, 2)
                f.write(np.ascontiguousarray(keep, np.uint8).tobytes())


# ----------------------------------------------------------------- train

# The study's architectures (docs/study.md, "Architectures"): 3x3 ReLU
# convolutions with 'same' padding, Dropout 0.5, Flatten, Dense 10 softmax
# with the L1 penalty.
def preset(name, l1):
    def conv(f, s=1):
        return {"kind": "conv2d", "filters": f, "kernel": 3, "stride": s, "padding": "same", "activation": "relu"}
    pool = {"kind": "maxpool2d", "pool": 2}
    body = {
        "strided": [conv(16), conv(16, 2), conv(32), conv(32, 2)],
        "maxpool": [conv(16), conv(16), dict(pool), conv(32), conv(32), dict(pool)],
        "deeper": [conv(8), conv(8, 2), conv(16), conv(16, 2), conv(32), conv(32, 2)],
    }
    if name not in body:
        raise SystemExit(f"keras_reference.py: unknown arch {name!r}; valid: strided, maxpool, deeper")
    return body[name] + [{"kind": "dropout", "rate": 0.5}, {"kind": "flatten"},
                         {"kind": "dense", "units": 10, "activation": "softmax", "l1": l1}]


def read_cifar(d, files, n=None):
    xs, ys, have = [], [], 0
    for fn in files:
        path = os.path.join(d, fn)
        raw = np.fromfile(path, np.uint8)
        if raw.size % 3073:
            raise SystemExit(f"keras_reference.py: {path}: {raw.size} bytes is not a whole number of 3073-byte records")
        rec = raw.reshape(-1, 3073)
        ys.append(rec[:, 0].astype(np.int64))
        xs.append(rec[:, 1:])
        have += len(rec)
        if n is not None and have >= n:
            break
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    if n is not None:
        if len(x) < n:
            raise SystemExit(f"keras_reference.py: {d}: {len(x)} training images, fewer than n = {n}")
        x, y = x[:n], y[:n]
    # channel planes -> NHWC, pixels / 255
    x = x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float32) / 255.0
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)


@torch.no_grad()
def evaluate(net, x, y, ce, batch):
    if len(y) == 0:
        return 0.0, 0.0
    loss_sum, correct = 0.0, 0
    for i in range(0, len(y), batch):
        z = net.logits(x[i:i + batch], False)
        loss_sum += float(crossentropy(z, y[i:i + batch], ce)) * len(z)
        correct += int((z.argmax(1) == y[i:i + batch]).sum())
    return loss_sum / len(y) + float(net.penalty()), correct / len(y)


STREAMS = ("init", "shuffle", "dropout")
SOURCES = ("torch", "own", "convlab")


def parse_streams(spec):
    """--streams: torch, own or convlab for all three streams, or a comma
    list of STREAM=SOURCE (the streams not named are torch's). torch draws
    every torch stream from one generator seeded with the seed, in the
    order training asks; own gives the stream a torch generator of its own
    (seeded from the seed and the stream), which changes how the streams
    interleave and nothing else. own is the closer to Keras: per
    tf.random.set_seed's documentation (tensorflow/python/framework/
    random_seed.py), with a global seed set each random op (initializer,
    dropout, the shuffle) gets an operation seed of its own and "a unique
    random sequence"."""
    if spec in SOURCES:
        return {k: spec for k in STREAMS}
    src = {k: "torch" for k in STREAMS}
    for part in spec.split(","):
        k, _, v = part.partition("=")
        if k not in STREAMS or v not in SOURCES:
            raise SystemExit(f"keras_reference.py: --streams {spec!r}: {part!r} is not STREAM=SOURCE "
                             f"with STREAM one of {', '.join(STREAMS)} and SOURCE one of {', '.join(SOURCES)}")
        src[k] = v
    return src


def cmd_train(a):
    torch.set_num_threads(a.threads)
    train = ["data_batch_%d.bin" % i for i in range(1, 6)]
    x, y = read_cifar(a.data_dir, train, a.n)
    xt, yt = read_cifar(a.data_dir, ["test_batch.bin"])
    split = int(math.floor(a.n * (1.0 - a.validation_split)))
    xtr, ytr, xva, yva = x[:split], y[:split], x[split:], y[split:]
    gen = torch.Generator().manual_seed(a.seed)
    net = Net(preset(a.arch, a.l1), (32, 32, 3))
    src = parse_streams(a.streams)
    gens = {k: torch.Generator().manual_seed(a.seed * len(STREAMS) + i + 1_000_003) if src[k] == "own" else gen
            for i, k in enumerate(STREAMS)}
    if src["init"] == "convlab":
        with torch.no_grad():
            for (_, t), v in zip(net.params, convlab_init(net, a.seed)):
                t.copy_(torch.from_numpy(v))
    else:
        net.glorot(gens["init"])
    shuffle, dropout = GoPCG(a.seed, STREAM_SHUFFLE), GoPCG(a.seed, STREAM_DROPOUT)
    drops = [(net.shapes[i], l["rate"]) for i, l in enumerate(net.layers) if l["kind"] == "dropout" and l["rate"] > 0]
    if a.nudge_init:
        with torch.no_grad():
            for name, t in net.params:
                if name.endswith("/kernel"):
                    t.copy_(torch.from_numpy(np.nextafter(t.numpy(), np.float32(np.inf))))
    opt = Adam([t for _, t in net.params])
    history = []
    for epoch in range(1, a.epochs + 1):
        if src["shuffle"] == "convlab":
            perm = torch.tensor(shuffle.perm(split))
        else:
            perm = torch.randperm(split, generator=gens["shuffle"])
        loss_sum, correct, seen = 0.0, 0, 0
        for i in range(0, split, a.batch):
            idx = perm[i:i + a.batch]
            xb, yb = xtr[idx], ytr[idx]
            for _, t in net.params:
                t.grad = None
            masks = None
            if src["dropout"] == "convlab":
                masks = [torch.from_numpy(np.ascontiguousarray(convlab_masks(dropout, len(yb), shape, rate)))
                         for shape, rate in drops]
            z = net.logits(xb, True, masks=masks, gen=gens["dropout"])
            loss = crossentropy(z, yb, a.ce) + net.penalty()
            loss.backward()
            opt.step()
            loss_sum += float(loss) * len(yb)
            correct += int((z.argmax(1) == yb).sum())
            seen += len(yb)
        vl, va = evaluate(net, xva, yva, a.ce, a.batch)
        history.append({"epoch": epoch, "loss": loss_sum / seen, "accuracy": correct / seen,
                        "val_loss": vl, "val_accuracy": va})
    out = {"impl": "reference", "arch": a.arch, "n": a.n, "l1": a.l1, "epochs": a.epochs, "seed": a.seed,
           "ce": a.ce, "streams": a.streams, "nudge_init": a.nudge_init, "history": history}
    for part, (xx, yy) in {"train": (xtr, ytr), "validation": (xva, yva), "test": (xt, yt)}.items():
        out[part + "_loss"], out[part + "_accuracy"] = evaluate(net, xx, yy, a.ce, a.batch)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("step", help="Adam steps from given weights on given batches")
    s.add_argument("--weights", required=True)
    s.add_argument("--batches", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--record", default="1")
    s.add_argument("--ce", choices=["logits", "clipped"], default="logits")
    s.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="float64: compare semantics without float32 rounding at ReLU kinks")
    t = sub.add_parser("train", help="train as model.fit does")
    t.add_argument("--data-dir", default=os.environ.get("CIFAR10_DIR", ""))
    t.add_argument("--arch", default="strided")
    t.add_argument("--n", type=int, default=5000)
    t.add_argument("--l1", type=float, default=1e-4)
    t.add_argument("--epochs", type=int, default=20)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--batch", type=int, default=128)
    t.add_argument("--validation-split", type=float, default=0.1)
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--ce", choices=["logits", "clipped"], default="logits")
    t.add_argument("--streams", default="torch",
                   help="torch (one torch generator), own (a torch generator a stream), or convlab: convlab's initial weights, shuffles and dropout masks (its PCG "
                        "streams); or per stream, e.g. init=convlab,shuffle=torch,dropout=convlab")
    t.add_argument("--nudge-init", action="store_true",
                   help="move every initial kernel weight one float32 ulp up: a rounding-scale perturbation, "
                        "the yardstick of how far two float32 trajectories part")
    r = sub.add_parser("streams", help="write convlab's random streams as the port draws them (for the Go tests)")
    r.add_argument("--arch", default="strided")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--perm", type=int, default=100, help="images to shuffle")
    r.add_argument("--epochs", type=int, default=2, help="shuffles to write")
    r.add_argument("--masks", default="3", help="batch sizes, one mask set each, comma-separated")
    r.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(getattr(a, "threads", 1))
    if a.cmd == "step":
        cmd_step(a)
    elif a.cmd == "streams":
        cmd_streams(a)
    else:
        if not a.data_dir:
            raise SystemExit("keras_reference.py train: no --data-dir and no CIFAR10_DIR")
        cmd_train(a)


if __name__ == "__main__":
    main()
