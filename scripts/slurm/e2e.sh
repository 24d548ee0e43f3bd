#!/usr/bin/env bash
# e2e.sh: run a grid through Slurm end to end on the local one-node cluster
# (scripts/slurm/cluster.sh) and check the report holds every run.
#
#   scripts/slurm/e2e.sh [EXPERIMENT.yaml]
#
# It starts the cluster if it is not up, builds convlab, submits the grid
# with `convlab slurm` (a job array, one task per shard, plus a report job
# that depends on it), polls squeue/scontrol until both are finished (at most
# E2E_TIMEOUT seconds), then checks that every array task and the report job
# COMPLETED, that results/<name>/runs holds EXPECTED_RUNS finished runs (when
# set) and that REPORT.md names every finished run.
#
# Environment:
#   CONVLAB        convlab binary to use (default: build . into $WORK/convlab)
#   SHARDS         array tasks (default 3)
#   EXPECTED_RUNS  number of runs the grid holds (default: not checked)
#   RESULTS_NAME   the grid's name, i.e. results/<name> (default: the file's
#                  `name:` or its base name)
#   E2E_TIMEOUT    seconds to wait for the jobs (default 900)
#   WORK           scratch directory the jobs run in (default: a new temp dir)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARDS=${SHARDS:-3}
E2E_TIMEOUT=${E2E_TIMEOUT:-900}
WORK=${WORK:-$(mktemp -d /tmp/convlab-e2e.XXXXXX)}
EXPERIMENT=${1:-}

die() { echo "e2e.sh: FAIL: $*" >&2; exit 1; }

# 1. The cluster.
export SLURM_STATE=${SLURM_STATE:-/tmp/convlab-slurm}
eval "$("$HERE/cluster.sh" env)"
if ! scontrol ping 2>/dev/null | grep -q UP; then
	"$HERE/cluster.sh" start
fi

# 2. The binary.
mkdir -p "$WORK"
if [ -z "${CONVLAB:-}" ]; then
	CONVLAB=$WORK/convlab
	(cd "$REPO" && go build -o "$CONVLAB" .) || die "go build of convlab failed"
fi
EXPERIMENT=${EXPERIMENT:-$REPO/experiments/smoke.yaml}
[ -f "$EXPERIMENT" ] || die "experiment file $EXPERIMENT not found"
cp "$EXPERIMENT" "$WORK/"
FILE=$(basename "$EXPERIMENT")
NAME=${RESULTS_NAME:-$(sed -n 's/^name:[[:space:]]*\([A-Za-z0-9._-]*\).*/\1/p' "$EXPERIMENT" | head -1)}
NAME=${NAME:-${FILE%.*}}
echo "e2e.sh: $CONVLAB, grid $FILE -> $WORK/results/$NAME, $SHARDS shards"

# 3. Submit.
cd "$WORK"
out=$("$CONVLAB" slurm --shards "$SHARDS" --cpus-per-task 1 --mem 1G --time 30 \
	--job-name e2e --convlab "$CONVLAB" "$FILE") || die "convlab slurm failed: $out"
echo "$out"
ARRAY=$(echo "$out" | grep -oiE 'array job:? *[0-9]+' | grep -oE '[0-9]+$' | head -1)
REPORT=$(echo "$out" | grep -oiE 'report job:? *[0-9]+' | grep -oE '[0-9]+$' | head -1)
[ -n "$ARRAY" ] && [ -n "$REPORT" ] || die "could not read the job ids from: $out"

# 4. Wait: until neither job is in the queue, at most E2E_TIMEOUT seconds.
start=$(date +%s)
while squeue -h -j "$ARRAY,$REPORT" 2>/dev/null | grep -q .; do
	if [ $(($(date +%s) - start)) -gt "$E2E_TIMEOUT" ]; then
		squeue
		scancel "$ARRAY" "$REPORT" || true
		die "jobs still queued after ${E2E_TIMEOUT}s (cancelled)"
	fi
	sleep 2
done
echo "e2e.sh: jobs left the queue after $(($(date +%s) - start))s"

# 5. Check every array task and the report job COMPLETED (no slurmdbd, so
# scontrol's memory of finished jobs, kept MinJobAge seconds, not sacct).
states=$(scontrol -o show job "$ARRAY" | grep -oE 'JobState=[A-Z_]+' | sort | uniq -c)
echo "array job $ARRAY: $states"
ntasks=$(scontrol -o show job "$ARRAY" | grep -c 'JobState=COMPLETED' || true)
[ "$ntasks" -eq "$SHARDS" ] || { tail -n 30 slurm-logs/*; die "$ntasks of $SHARDS array tasks COMPLETED"; }
rstate=$(scontrol -o show job "$REPORT" | grep -oE 'JobState=[A-Z_]+')
[ "$rstate" = JobState=COMPLETED ] || { tail -n 30 slurm-logs/*; die "report job $REPORT: $rstate"; }

# 6. The results tree and the report.
ROOT=$WORK/results/$NAME
[ -f "$ROOT/REPORT.md" ] || die "$ROOT/REPORT.md missing"
done_runs=0
for d in "$ROOT"/runs/*/; do
	[ -f "$d/DONE" ] || die "$d has no DONE marker"
	id=$(grep -oE '"run_id": *"[^"]*"' "$d/DONE" | sed 's/.*"\([^"]*\)"$/\1/')
	grep -qF -- "$id" "$ROOT/REPORT.md" || die "run $id is not in REPORT.md"
	done_runs=$((done_runs + 1))
done
[ "$done_runs" -gt 0 ] || die "no finished runs in $ROOT/runs"
if [ -n "${EXPECTED_RUNS:-}" ] && [ "$done_runs" -ne "$EXPECTED_RUNS" ]; then
	die "$done_runs finished runs, want $EXPECTED_RUNS"
fi
left=$(find "$ROOT/tmp" -mindepth 1 -maxdepth 1 | wc -l)
[ "$left" -eq 0 ] || die "$left temporary run directories left in $ROOT/tmp"
echo "e2e.sh: OK: $done_runs runs over $SHARDS array tasks, all in $ROOT/REPORT.md"
