#!/usr/bin/env bash
# make fidelity-paired: the paired whole-run experiment of issue 12. For
# every cell (ARCH:L1) and seed it trains three runs, one after the other
# on one core:
#   convlab    convlab itself;
#   paired     the Keras-faithful reference with convlab's random streams
#              (keras_reference.py train --streams convlab: the same
#              initial weights, shuffles and dropout masks, bit for bit);
#   reference  the reference with its own torch streams (as make fidelity);
#   paired-nudged  paired again with every initial kernel weight one float32
#              ulp up (--nudge-init; NUDGED=0 skips it): how far two
#              trajectories of one training loop part by rounding alone;
#   streams-SPEC   for each SPEC in SWAPS (default none), the reference with
#              only some of convlab's streams, e.g. SWAPS="init=convlab
#              dropout=convlab": which stream a streams effect comes from.
# convlab - paired is then the training arithmetic alone, paired -
# reference the random streams alone; the summary (go run
# ./scripts/peer/paired) gives both per seed pair with paired-t 95% CIs.
#
# The directory layout is make fidelity's plus paired/, so the two share
# finished runs (FIDELITY_DIR); finished runs are not trained again.
#   CELLS   ARCH:L1 pairs (default: strided:0.001 strided:0)
#   SEEDS   seeds (default 1 to 8)
#   N, EPOCHS            default 5000, 20
#   FIDELITY_DIR         where results go (default results/fidelity)
#   CIFAR10_DIR          the data (default ../shared/data/cifar-10-subset)
#   CONVLAB, PYTHON, GO  the binary, the interpreter, the Go command
set -euo pipefail
cd "$(dirname "$0")/../.."
CELLS=${CELLS:-"strided:0.001 strided:0"}
SEEDS=${SEEDS:-"1 2 3 4 5 6 7 8"}
N=${N:-5000}
EPOCHS=${EPOCHS:-20}
OUT=${FIDELITY_DIR:-results/fidelity}
CONVLAB=${CONVLAB:-bin/convlab}
PYTHON=${PYTHON:-/usr/bin/python3}
GO=${GO:-go}
NUDGED=${NUDGED:-1}
SWAPS=${SWAPS:-}
if [ -z "${CIFAR10_DIR:-}" ] && [ -d ../shared/data/cifar-10-subset ]; then
  CIFAR10_DIR="$(cd ../shared/data/cifar-10-subset && pwd)"
fi
: "${CIFAR10_DIR:?set CIFAR10_DIR to the CIFAR-10 binary directory}"
export CIFAR10_DIR
mkdir -p "$OUT/reference" "$OUT/paired" "$OUT/paired-nudged" "$OUT/convlab"

reference() { # streams dir arch l1 seed [flag]
  local f="$OUT/$2/$3-n$N-l1_$4-e$EPOCHS-s$5.json"
  [ -s "$f" ] && return 0
  "$PYTHON" scripts/peer/keras_reference.py train --data-dir "$CIFAR10_DIR" --arch "$3" --n "$N" \
    --l1 "$4" --epochs "$EPOCHS" --seed "$5" --threads 1 --streams "$1" ${6:+"$6"} >"$f.tmp"
  mv "$f.tmp" "$f"
}

for seed in $SEEDS; do
  yaml="$OUT/convlab/fidelity-s$seed.yaml"
  {
    echo "name: fidelity"
    echo "description: issue 12, convlab's side of the fidelity comparisons (seed $seed)"
    echo "defaults: {dataset: cifar10, data_dir: \"$CIFAR10_DIR\", n: $N, epochs: $EPOCHS, batch_size: 128, validation_split: 0.1}"
    echo "sweeps:"
    i=0
    for cell in $CELLS; do
      i=$((i + 1))
      echo "  cell$i: {set: {arch: ${cell%%:*}, l1: ${cell##*:}, seed: $seed}}"
    done
  } >"$yaml.tmp"
  mv "$yaml.tmp" "$yaml"
  "$CONVLAB" run -cores 1 -no-report -results "$OUT/convlab/results" "$yaml" >"$OUT/convlab/run-s$seed.log" 2>&1 ||
    { echo "fidelity-paired: convlab failed for seed $seed; see $OUT/convlab/run-s$seed.log" >&2; exit 1; }
  for cell in $CELLS; do
    reference convlab paired "${cell%%:*}" "${cell##*:}" "$seed"
    reference torch reference "${cell%%:*}" "${cell##*:}" "$seed"
    if [ "$NUDGED" = 1 ]; then
      reference convlab paired-nudged "${cell%%:*}" "${cell##*:}" "$seed" --nudge-init
    fi
    for spec in $SWAPS; do
      mkdir -p "$OUT/streams-$spec"
      reference "$spec" "streams-$spec" "${cell%%:*}" "${cell##*:}" "$seed"
    done
  done
  "$GO" run ./scripts/peer/paired "$OUT" >"$OUT/paired.md.tmp"
  mv "$OUT/paired.md.tmp" "$OUT/paired.md"
  echo "fidelity-paired: seed $seed done; $OUT/paired.md"
done
cat "$OUT/paired.md"
