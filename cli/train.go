package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"convlab/runner/dataset"
	"convlab/runner/grid"
	"convlab/runner/progress"
	"convlab/runner/results"
	"convlab/runner/spec"
	"convlab/runner/train"
)

// prepare reads the run's data set (read once per process and shared) and
// prepares its images. Prepared copies are not kept: scaling is fast beside
// training, and a grid over n would otherwise hold one copy per n.
func prepare(run spec.Run) (*dataset.Prepared, error) {
	tr, te, err := dataset.LoadCached(run.Dataset, run.DataDir)
	if err != nil {
		return nil, err
	}
	return dataset.Prepare(tr, te, run.N, run.ValidationSplit)
}

// trainRun adapts runner/train to the runner: data from the cache, the
// thread budget and checkpointer from the context, progress to the sink and
// to the run's log, the weights into the run's directory. Each record gets
// prov (see provenance) with the run's threads as its cores and the time
// it finished.
func trainRun(prov results.Provenance) grid.TrainFunc {
	return func(ctx context.Context, run spec.Run, dir string, p progress.Reporter) (*results.Record, error) {
		data, err := prepare(run)
		if err != nil {
			return nil, err
		}
		logFile, err := os.Create(filepath.Join(dir, results.LogFile))
		if err != nil {
			return nil, err
		}
		defer logFile.Close()
		log := &stickyWriter{w: logFile}
		ck := grid.CheckpointerFrom(ctx)
		from, state, err := ck.Latest()
		if err != nil {
			return nil, err
		}
		if from > 0 {
			fmt.Fprintf(log, "resuming after epoch %d from a checkpoint\n", from)
		}
		fmt.Fprintf(log, "run %s (hash %s): %s, n=%d (train %d, validation %d, test %d), %d epochs, seed %d, %d threads\n",
			run.ID, run.Hash(), run.Arch.Name, run.N, data.Train.N, data.Val.N, data.Test.N, run.Epochs, run.Seed, grid.Threads(ctx))
		start := time.Now()
		rec, model, err := train.Train(ctx, run, data, train.Options{
			Threads:     grid.Threads(ctx),
			ResumeState: state,
			Checkpoint:  ck.Save,
			Progress:    loggingReporter{p, log, run.Epochs},
		})
		if err != nil {
			fmt.Fprintf(log, "failed: %v\n", err)
			return nil, err
		}
		defer model.Close()
		if err := model.Save(filepath.Join(dir, results.WeightsFile)); err != nil {
			return nil, err
		}
		rec.Provenance = prov
		rec.Provenance.Cores = grid.Threads(ctx)
		rec.Provenance.Finished = time.Now().UTC().Format(time.RFC3339)
		fmt.Fprintf(log, "done in %s: test accuracy %.4f (baseline %.4f)\n", time.Since(start).Round(time.Millisecond), rec.Metrics.Test.Accuracy, rec.Metrics.BaselineTest)
		// A log cut short (a full disk) would be recorded in DONE as if whole.
		if log.err != nil {
			return nil, log.err
		}
		if err := logFile.Close(); err != nil {
			return nil, err
		}
		return rec, nil
	}
}

// loggingReporter forwards progress and writes one line per epoch to the
// run's log.
type loggingReporter struct {
	progress.Reporter
	log    io.Writer
	epochs int
}

func (r loggingReporter) Epoch(ep results.Epoch) {
	r.Reporter.Epoch(ep)
	fmt.Fprintf(r.log, "epoch %d/%d: loss %.4f accuracy %.4f val_loss %.4f val_accuracy %.4f (%.1fs)\n",
		ep.Epoch, r.epochs, ep.Loss, ep.Accuracy, ep.ValLoss, ep.ValAccuracy, ep.Seconds)
}

// stickyWriter keeps the first error of its writer (an *os.PathError that
// names the file) and writes nothing after it.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}
