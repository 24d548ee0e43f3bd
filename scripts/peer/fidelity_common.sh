# Sourced by fidelity.sh and fidelity_paired.sh (after CELLS and SEEDS):
# the settings both share and the experiment file of convlab's side.
#   N, EPOCHS            default 5000, 20
#   FIDELITY_DIR         where results go (default results/fidelity)
#   CIFAR10_DIR          the data (default ../shared/data/cifar-10-subset)
#   CONVLAB, PYTHON, GO  the binary, the interpreter, the Go command
N=${N:-5000}
EPOCHS=${EPOCHS:-20}
OUT=${FIDELITY_DIR:-results/fidelity}
CONVLAB=${CONVLAB:-bin/convlab}
PYTHON=${PYTHON:-/usr/bin/python3}
GO=${GO:-go}
if [ -z "${CIFAR10_DIR:-}" ] && [ -d ../shared/data/cifar-10-subset ]; then
  CIFAR10_DIR="$(cd ../shared/data/cifar-10-subset && pwd)"
fi
: "${CIFAR10_DIR:?set CIFAR10_DIR to the CIFAR-10 binary directory}"
export CIFAR10_DIR
mkdir -p "$OUT/convlab"

# convlab_file SEED writes convlab's experiment file for SEED, one sweep
# per cell, whole or not at all, and prints its path.
convlab_file() {
  local yaml="$OUT/convlab/fidelity-s$1.yaml" i=0 cell
  {
    echo "name: fidelity"
    echo "description: issue 12, convlab's side of the fidelity comparisons (seed $1)"
    echo "defaults: {dataset: cifar10, data_dir: \"$CIFAR10_DIR\", n: $N, epochs: $EPOCHS, batch_size: 128, validation_split: 0.1}"
    echo "sweeps:"
    for cell in $CELLS; do
      i=$((i + 1))
      echo "  cell$i: {set: {arch: ${cell%%:*}, l1: ${cell##*:}, seed: $1}}"
    done
  } >"$yaml.tmp"
  mv "$yaml.tmp" "$yaml"
  echo "$yaml"
}

# reference_run STREAMS SIDE ARCH L1 SEED [FLAG] trains the reference once
# into $OUT/SIDE with --streams STREAMS (and FLAG, e.g. --nudge-init). A
# finished run is kept, unless it was drawn from other streams: then it
# is an error, so that sides never mix runs of different streams.
reference_run() {
  local f="$OUT/$2/$3-n$N-l1_$4-e$EPOCHS-s$5.json"
  mkdir -p "$OUT/$2"
  if [ -s "$f" ]; then
    grep -q "\"streams\": \"$1\"" "$f" && return 0
    echo "fidelity: $f was trained with other --streams than $1; use another FIDELITY_DIR" >&2
    return 1
  fi
  "$PYTHON" scripts/peer/keras_reference.py train --data-dir "$CIFAR10_DIR" --arch "$3" --n "$N" \
    --l1 "$4" --epochs "$EPOCHS" --seed "$5" --threads 1 --streams "$1" ${6:+"$6"} >"$f.tmp"
  mv "$f.tmp" "$f"
}
