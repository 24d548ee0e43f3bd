#!/usr/bin/env bash
# make fidelity-paired: the paired whole-run experiment of issue 12. For
# every cell (ARCH:L1) and seed it trains three runs, one after the other
# on one core:
#   convlab    convlab itself;
#   paired     the Keras-faithful reference with convlab's random streams
#              (keras_reference.py train --streams convlab: the same
#              initial weights, shuffles and dropout masks, bit for bit);
#   reference  the reference with its own torch streams, one generator for
#              all three (make fidelity with STREAMS=torch);
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
# The directory layout is make fidelity's plus paired/; finished runs are
# not trained again. FIDELITY_DIR defaults to results/fidelity-paired, not
# make fidelity's directory: their reference sides draw other streams, and
# reference_run refuses to mix them.
#   CELLS   ARCH:L1 pairs (default: strided:0.001 strided:0)
#   SEEDS   seeds (default 1 to 8)
#   N, EPOCHS, FIDELITY_DIR, CIFAR10_DIR, CONVLAB, PYTHON, GO: see fidelity_common.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
CELLS=${CELLS:-"strided:0.001 strided:0"}
SEEDS=${SEEDS:-"1 2 3 4 5 6 7 8"}
NUDGED=${NUDGED:-1}
SWAPS=${SWAPS:-}
FIDELITY_DIR=${FIDELITY_DIR:-results/fidelity-paired}
. scripts/peer/fidelity_common.sh


for seed in $SEEDS; do
  yaml=$(convlab_file "$seed")
  "$CONVLAB" run -cores 1 -no-report -results "$OUT/convlab/results" "$yaml" >"$OUT/convlab/run-s$seed.log" 2>&1 ||
    { echo "fidelity-paired: convlab failed for seed $seed; see $OUT/convlab/run-s$seed.log" >&2; exit 1; }
  for cell in $CELLS; do
    reference_run convlab paired "${cell%%:*}" "${cell##*:}" "$seed"
    reference_run torch reference "${cell%%:*}" "${cell##*:}" "$seed"
    if [ "$NUDGED" = 1 ]; then
      reference_run convlab paired-nudged "${cell%%:*}" "${cell##*:}" "$seed" --nudge-init
    fi
    for spec in $SWAPS; do
      mkdir -p "$OUT/streams-$spec"
      reference_run "$spec" "streams-$spec" "${cell%%:*}" "${cell##*:}" "$seed"
    done
  done
  "$GO" run ./scripts/peer/paired "$OUT" >"$OUT/paired.md.tmp"
  mv "$OUT/paired.md.tmp" "$OUT/paired.md"
  echo "fidelity-paired: seed $seed done; $OUT/paired.md"
done
cat "$OUT/paired.md"
