package spec

// FormatHelp describes the experiment file format, for `convlab help
// experiments` and for users writing files by hand.
const FormatHelp = `An experiment file is one YAML mapping:

  kind: training          # optional: training (the default) or convolution;
                          #   convolution files (Part i, Figure 1) run with
                          #   'convlab conv FILE'
  name: report            # optional: results go to results/<name>/; default:
                          #   the file's base name without extension
  description: ...        # optional free text
  include: [base.yaml]    # optional: files (relative to this one) whose defaults,
                          #   architectures and sweeps this file builds on, merged
                          #   in order, then this file on top; mappings merge key
                          #   by key, lists and values are replaced
  figures: {formats: [png, svg]}  # optional: also write each figure as SVG
                          #   and/or PDF beside its PNG (PNG is always written,
                          #   for REPORT.md); 'report --formats' overrides it
  defaults:               # settings of every run; omitted ones are the study's
    dataset: cifar10      #   cifar10 or fashion-mnist
    data_dir: DIR         #   optional: where the data set lives; relative to this
                          #   file, ~ and $VARS expanded; default: $CIFAR10_DIR /
                          #   $FASHION_MNIST_DIR or the data set's own location
    arch: strided         #   a preset (strided, maxpool, deeper) or a name
                          #   declared under architectures:
    n: 5000               #   the first n training images are used
    l1: 0.0001            #   L1 penalty on the last dense layer's weights
    epochs: 20
    batch_size: 128
    validation_split: 0.1 #   the last fraction of the n images is held out
    seed: 1               #   the first seed (initial weights, dropout, batch order)
    repeats: 1            #   seeds per grid point: seed, seed+1, ..., seed+repeats-1
    optimizer: {name: adam, learning_rate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1.0e-7}
  architectures:          # optional: networks of your own, layer by layer
    tiny:
      - conv2d: {filters: 8, kernel: 3, stride: 1, padding: same, activation: relu}
      - maxpool2d: {pool: 2}
      - dropout: {rate: 0.5}
      - flatten           # a layer without settings may be written bare
      - dense: {units: 10, activation: softmax}
  sweeps:                 # named sweeps, run in file order
    data_amount:
      description: ...    # optional
      feeds: [table1, figure3]   # report items: table1 table2 figure2 figure3
                                 #   figure4 figure5 figure6
      set: {epochs: 10}          # settings of this sweep's runs
      grid:                      # axes: one run per combination, the first
        n: [5000, 10000]         #   axis varying slowest
        seed: [1, 2]
      reference: {n: 5000}       # optional: the cell the others are compared
                                 #   with; default: the cell of the defaults

Layers: conv2d (filters, kernel: odd; stride 1, padding same|valid, activation
relu|none by default relu), maxpool2d (pool, default 2), dropout (rate in
[0, 1)), flatten, dense (units, activation relu|softmax|none, l2, and l1 on
inner dense layers). The last layer must be dense, softmax, one unit per
class; the run's l1 setting applies to it. Optimizer fields and data_dir go in
defaults or set, not in a grid.

Seeds and cells: the runs of a sweep that differ only by seed form one cell;
tables show each cell's mean, sd and 95% confidence interval, and REPORT.md
compares every cell with the sweep's reference cell (difference, its CI,
paired test over shared seeds, Holm-adjusted p, a verdict). The seeds come
from repeats: N (seeds seed to seed+N-1, varying fastest) or from a seed:
grid axis; a sweep with a seed axis ignores repeats from defaults, and
repeats in its own set with a seed axis is an error. Each seed is its own
run, cached, resumable and shardable: repeats: 3 with seed: 1 gives the
very runs (ids, hashes, results) of the axis seed: [1, 2, 3]. The reference
cell is the one whose settings are the file's defaults when some sweep of
the file runs it (it may be another sweep's, e.g. the baseline's), or the
one reference: names (settings on top of the sweep's, without seed); a sweep
with neither has no comparisons.

A run reached by several sweeps (or files) with the same settings is trained
once and feeds all of them. Runs are named by their settings, e.g.
strided-n5000-l1_0.0001-e20-s1 (the data set, batch size, validation split and
optimizer appear only when they differ from the study's).
`
