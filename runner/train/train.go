// Package train runs one training run as Keras' model.fit would: batches
// of the run's size drawn from a fresh seeded shuffle of the training part
// every epoch (the last, partial batch included), a validation pass after
// every epoch, and a per-epoch history row. It then scores the trained
// model on the training, validation and test parts with dropout off.
//
// Training can be interrupted and resumed exactly: after each epoch the
// Checkpoint hook receives the complete state (weights, Adam moments,
// random streams, history), and a run started with that state as
// ResumeState continues from the next epoch with results identical to an
// uninterrupted run.
package train

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"convlab/arch"
	"convlab/arch/net"
	"convlab/runner/dataset"
	"convlab/runner/progress"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// Options are the optional settings of Train.
type Options struct {
	// Threads is how many threads the convolutions may use (0 or less:
	// runtime.GOMAXPROCS(0)).
	Threads int
	// Progress receives every batch and every epoch (nil: nothing).
	Progress progress.Reporter
	// Checkpoint, when set, is called after every completed epoch
	// (1-based) with the state to resume from; an error stops training.
	Checkpoint func(epoch int, state []byte) error
	// ResumeState is a state passed to Checkpoint by an earlier,
	// interrupted attempt at the same run; training continues after its
	// epoch.
	ResumeState []byte
}

// stateMagic opens a training state blob.
const stateMagic = "CONVLAB-TRAIN-STATE 1\n"

// trainState is what Checkpoint receives, gob-encoded after stateMagic.
type trainState struct {
	Hash         string
	Epoch        int
	History      []results.Epoch
	TrainSeconds float64
	Shuffle      []byte
	Model        []byte
}

const shuffleStream = 0x73687566666c65 // "shuffle"

// Train trains the run's network on data and scores it. The record's
// Provenance is left for the caller to fill in.
//
// Each history row holds Keras' running means over the epoch's batches
// (loss and accuracy with dropout on, weighted by batch size, the loss
// including the weight penalties), the validation loss and accuracy with
// dropout off (0 when the validation part is empty) and the epoch's wall
// time including validation; Metrics.TrainSeconds is the sum of those
// times (across resumed attempts too). Results are reproducible for a
// given seed and thread count: the filter-gradient sums of several
// threads round differently in float32.
func Train(ctx context.Context, run spec.Run, data *dataset.Prepared, opt Options) (*results.Record, *net.Model, error) {
	if data == nil {
		return nil, nil, fmt.Errorf("train %s: no data", run.ID)
	}
	if run.Epochs < 1 {
		return nil, nil, fmt.Errorf("train %s: epochs = %d; want 1 or more", run.ID, run.Epochs)
	}
	batch := run.BatchSize
	if batch == 0 {
		batch = net.DefaultBatch
	}
	if batch < 1 {
		return nil, nil, fmt.Errorf("train %s: batch_size = %d; want 1 or more", run.ID, batch)
	}
	tr := &data.Train
	if tr.N < 1 {
		return nil, nil, fmt.Errorf("train %s: the training part holds no images", run.ID)
	}
	for _, t := range []struct {
		name string
		t    *dataset.Tensor
	}{{"training", tr}, {"validation", &data.Val}, {"test", &data.Test}} {
		if err := checkTensor(t.t, tr); err != nil {
			return nil, nil, fmt.Errorf("train %s: %s part: %w", run.ID, t.name, err)
		}
	}
	o := run.Optimizer
	if o.Name != "" && o.Name != "adam" {
		return nil, nil, fmt.Errorf("train %s: optimizer %q is not supported; valid: adam", run.ID, o.Name)
	}
	threads := opt.Threads
	if threads < 1 {
		threads = runtime.GOMAXPROCS(0)
	}
	in := arch.Shape{C: tr.C, H: tr.H, W: tr.W}
	m, err := net.Build(run.Network(), in, batch, net.WithSeed(run.Seed), net.WithThreads(threads),
		net.WithAdam(o.LearningRate, o.Beta1, o.Beta2, o.Epsilon))
	if err != nil {
		return nil, nil, fmt.Errorf("train %s: %w", run.ID, err)
	}
	if m.Classes() < len(data.Classes) {
		return nil, nil, fmt.Errorf("train %s: the network has %d outputs but the data set has %d classes", run.ID, m.Classes(), len(data.Classes))
	}
	hash := run.Hash()
	pcg := rand.NewPCG(uint64(run.Seed), shuffleStream)
	r := rand.New(pcg)
	st := trainState{Hash: hash}
	if opt.ResumeState != nil {
		if st, err = decodeState(opt.ResumeState); err != nil {
			return nil, nil, fmt.Errorf("train %s: resume: %w", run.ID, err)
		}
		if st.Hash != hash {
			return nil, nil, fmt.Errorf("train %s: resume: the state belongs to run version %s, not %s; delete the checkpoint to start over", run.ID, st.Hash, hash)
		}
		if st.Epoch > run.Epochs {
			return nil, nil, fmt.Errorf("train %s: resume: the state is after epoch %d of %d", run.ID, st.Epoch, run.Epochs)
		}
		if err := pcg.UnmarshalBinary(st.Shuffle); err != nil {
			return nil, nil, fmt.Errorf("train %s: resume: shuffle state: %w", run.ID, err)
		}
		if err := m.UnmarshalState(st.Model); err != nil {
			return nil, nil, fmt.Errorf("train %s: resume: %w", run.ID, err)
		}
	}

	size := tr.Size()
	xb := make([]float32, batch*size)
	yb := make([]uint8, batch)
	batches := (tr.N + batch - 1) / batch
	rep := opt.Progress
	for epoch := st.Epoch + 1; epoch <= run.Epochs; epoch++ {
		start := time.Now()
		perm := r.Perm(tr.N)
		var lossSum, correct float64
		seen := 0
		for b := 0; b < batches; b++ {
			if err := ctx.Err(); err != nil {
				return nil, nil, fmt.Errorf("train %s: stopped in epoch %d: %w", run.ID, epoch, err)
			}
			idx := perm[b*batch : min((b+1)*batch, tr.N)]
			n := len(idx)
			for i, j := range idx {
				tr.Image(xb[i*size:(i+1)*size], j)
				yb[i] = tr.Y[j]
			}
			loss, acc, err := m.TrainStep(xb[:n*size], yb[:n])
			if errors.Is(err, net.ErrNonFinite) {
				return nil, nil, fmt.Errorf("train %s: epoch %d, batch %d of %d: the loss became %v; training stopped (try a lower learning rate or penalty): %w",
					run.ID, epoch, b+1, batches, loss, err)
			}
			if err != nil {
				return nil, nil, fmt.Errorf("train %s: epoch %d, batch %d: %w", run.ID, epoch, b+1, err)
			}
			// Keras' running metrics: means weighted by batch size.
			lossSum += loss * float64(n)
			correct += acc * float64(n)
			seen += n
			if rep != nil {
				rep.Batch(progress.Batch{Epoch: epoch, Batch: b + 1, Batches: batches,
					ImagesPerSec: float64(seen) / time.Since(start).Seconds(),
					Loss:         lossSum / float64(seen), Accuracy: correct / float64(seen)})
			}
		}
		row := results.Epoch{Epoch: epoch, Loss: lossSum / float64(seen), Accuracy: correct / float64(seen)}
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("train %s: stopped in epoch %d: %w", run.ID, epoch, err)
		}
		if row.ValLoss, row.ValAccuracy, _, err = evaluateTensor(m, &data.Val); err != nil {
			return nil, nil, fmt.Errorf("train %s: epoch %d: validation: %w", run.ID, epoch, err)
		}
		row.Seconds = time.Since(start).Seconds()
		st.TrainSeconds += row.Seconds
		st.History = append(st.History, row)
		st.Epoch = epoch
		if rep != nil {
			rep.Epoch(row)
		}
		if opt.Checkpoint != nil {
			b, err := encodeState(&st, pcg, m)
			if err != nil {
				return nil, nil, fmt.Errorf("train %s: epoch %d: %w", run.ID, epoch, err)
			}
			if err := opt.Checkpoint(epoch, b); err != nil {
				return nil, nil, fmt.Errorf("train %s: checkpoint after epoch %d: %w", run.ID, epoch, err)
			}
		}
	}

	metrics, err := Score(m, data)
	if err != nil {
		return nil, nil, fmt.Errorf("train %s: %w", run.ID, err)
	}
	metrics.TrainSeconds = st.TrainSeconds
	rec := &results.Record{Run: run, Hash: hash, History: st.History, Metrics: metrics}
	return rec, m, nil
}

func checkTensor(t, like *dataset.Tensor) error {
	if t.N > 0 && (t.C != like.C || t.H != like.H || t.W != like.W) {
		return fmt.Errorf("images are %dx%dx%d, the training images %dx%dx%d", t.C, t.H, t.W, like.C, like.H, like.W)
	}
	if t.Values() != t.N*t.Size() || len(t.Y) != t.N {
		return fmt.Errorf("%d images of %dx%dx%d need %d values and %d labels; got %d and %d", t.N, t.C, t.H, t.W, t.N*t.Size(), t.N, t.Values(), len(t.Y))
	}
	return nil
}

func encodeState(st *trainState, pcg *rand.PCG, m *net.Model) ([]byte, error) {
	var err error
	if st.Shuffle, err = pcg.MarshalBinary(); err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	if st.Model, err = m.MarshalState(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString(stateMagic)
	if err := gob.NewEncoder(&buf).Encode(st); err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	st.Model, st.Shuffle = nil, nil
	return buf.Bytes(), nil
}

func decodeState(b []byte) (trainState, error) {
	var st trainState
	rest, ok := bytes.CutPrefix(b, []byte(stateMagic))
	if !ok {
		return st, fmt.Errorf("not a convlab training state (no %q line)", stateMagic[:len(stateMagic)-1])
	}
	if err := gob.NewDecoder(bytes.NewReader(rest)).Decode(&st); err != nil {
		return st, fmt.Errorf("decode training state: %w", err)
	}
	if st.Epoch < 1 || len(st.History) != st.Epoch {
		return st, fmt.Errorf("training state after epoch %d holds %d history rows", st.Epoch, len(st.History))
	}
	return st, nil
}

// Score evaluates a model with dropout off on the training, validation
// and test parts, and computes the most-common-label baseline.
func Score(m *net.Model, data *dataset.Prepared) (results.Metrics, error) {
	var mt results.Metrics
	var err error
	for _, s := range []struct {
		name string
		t    *dataset.Tensor
		dst  *results.Evaluation
	}{{"training", &data.Train, &mt.Train}, {"validation", &data.Val, &mt.Validation}, {"test", &data.Test, &mt.Test}} {
		if *s.dst, err = evaluate(m, s.t, data.Classes); err != nil {
			return mt, fmt.Errorf("evaluate on the %s part: %w", s.name, err)
		}
	}
	mt.BaselineLabel = mostCommon(data.Train.Y)
	mt.BaselineTrain = share(data.Train.Y, mt.BaselineLabel)
	mt.BaselineTest = share(data.Test.Y, mt.BaselineLabel)
	mt.Params = m.ParamCount()
	return mt, nil
}

func evaluate(m *net.Model, t *dataset.Tensor, classes []string) (results.Evaluation, error) {
	k := len(classes)
	loss, acc, pred, err := evaluateTensor(m, t)
	if err != nil {
		return results.Evaluation{}, err
	}
	yt := make([]int, len(t.Y))
	for i, v := range t.Y {
		yt[i] = int(v)
	}
	return results.Evaluation{Accuracy: acc, Loss: loss, Report: results.ComputeReport(yt, pred, classes), Confusion: results.Confusion(yt, pred, k)}, nil
}

// evaluateTensor scores m on t, converting its images a batch at a time.
func evaluateTensor(m *net.Model, t *dataset.Tensor) (loss, acc float64, pred []int, err error) {
	return m.EvaluateImages(t.Y, func(dst []float32, start, count int) {
		t.Images(dst, start, start+count)
	})
}

// mostCommon is the most frequent label (the smallest on ties).
func mostCommon(y []uint8) int {
	var counts [256]int
	for _, v := range y {
		counts[v]++
	}
	best := 0
	for i, c := range counts {
		if c > counts[best] {
			best = i
		}
	}
	return best
}

func share(y []uint8, label int) float64 {
	if len(y) == 0 {
		return 0
	}
	n := 0
	for _, v := range y {
		if int(v) == label {
			n++
		}
	}
	return float64(n) / float64(len(y))
}

// Evaluate loads a weights file and scores it on data as Train does
// (TrainSeconds is 0: nothing was trained).
func Evaluate(modelPath string, data *dataset.Prepared) (results.Metrics, error) {
	if data == nil {
		return results.Metrics{}, fmt.Errorf("evaluate %s: no data", modelPath)
	}
	m, err := net.Load(modelPath, net.WithThreads(runtime.GOMAXPROCS(0)))
	if err != nil {
		return results.Metrics{}, err
	}
	defer m.Close()
	if in := m.Input(); in.C != data.Train.C || in.H != data.Train.H || in.W != data.Train.W {
		return results.Metrics{}, fmt.Errorf("evaluate %s: the model takes %dx%dx%d images, the data are %dx%dx%d", modelPath, in.C, in.H, in.W, data.Train.C, data.Train.H, data.Train.W)
	}
	mt, err := Score(m, data)
	if err != nil {
		return mt, fmt.Errorf("evaluate %s: %w", modelPath, err)
	}
	return mt, nil
}
