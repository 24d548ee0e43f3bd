package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"convlab/arch"
	"convlab/arch/kernels"
	"convlab/arch/net"
	"convlab/runner/dataset"
	"convlab/runner/progress"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// quadrants makes n 1×8×8 images of 4 classes: class c has a bright 4×4
// quadrant c on a dim noisy background; an easy task a small convnet
// learns in a few epochs.
func quadrants(n int, seed uint64) dataset.Tensor {
	r := rand.New(rand.NewPCG(seed, 7))
	t := dataset.Tensor{N: n, C: 1, H: 8, W: 8, Pixels: make([]uint8, n*64), Y: make([]uint8, n)}
	for i := 0; i < n; i++ {
		c := r.IntN(4)
		t.Y[i] = uint8(c)
		oy, ox := (c/2)*4, (c%2)*4
		for y := 0; y < 8; y++ {
			for x := 0; x < 8; x++ {
				v := r.Float32() * 0.3
				if y >= oy && y < oy+4 && x >= ox && x < ox+4 {
					v += 0.6
				}
				t.Pixels[i*64+y*8+x] = uint8(v*255 + 0.5)
			}
		}
	}
	return t
}

func tinyArch() arch.Arch {
	return arch.Arch{Name: "tiny", Layers: []arch.Layer{
		{Kind: arch.KindConv2D, Filters: 4, Kernel: 3, Stride: 2},
		{Kind: arch.KindMaxPool2D, Pool: 2},
		{Kind: arch.KindDropout, Rate: 0.25},
		{Kind: arch.KindFlatten},
		{Kind: arch.KindDense, Units: 4, Activation: arch.ActSoftmax},
	}}
}

func tinyData() *dataset.Prepared {
	return &dataset.Prepared{
		Train: quadrants(300, 1), Val: quadrants(60, 2), Test: quadrants(100, 3),
		Classes: []string{"tl", "tr", "bl", "br"},
	}
}

func tinyRun(epochs int) spec.Run {
	return spec.Run{ID: "tiny", Dataset: "synthetic", Arch: tinyArch(), N: 360, L1: 1e-3, Epochs: epochs,
		BatchSize: 32, ValidationSplit: 1.0 / 6, Seed: 5, Optimizer: spec.Optimizer{Name: "adam", LearningRate: 0.01}}
}

type recorder struct {
	batches []progress.Batch
	epochs  []results.Epoch
}

func (r *recorder) Batch(b progress.Batch) { r.batches = append(r.batches, b) }
func (r *recorder) Epoch(e results.Epoch)  { r.epochs = append(r.epochs, e) }

func TestTrainLearnsSyntheticTask(t *testing.T) {
	data := tinyData()
	rec := &recorder{}
	r, m, err := Train(context.Background(), tinyRun(8), data, Options{Threads: 1, Progress: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if len(r.History) != 8 || len(rec.epochs) != 8 {
		t.Fatalf("history has %d rows and progress saw %d epochs; want 8", len(r.History), len(rec.epochs))
	}
	// 300 images in batches of 32: 10 batches, the last of 12.
	if len(rec.batches) != 80 || rec.batches[9].Batches != 10 || rec.batches[9].Batch != 10 {
		t.Fatalf("progress saw %d batches (last of epoch 1: %+v); want 80, 10 per epoch", len(rec.batches), rec.batches[9])
	}
	first, last := r.History[0], r.History[7]
	if last.Loss >= first.Loss {
		t.Errorf("loss did not fall: %v then %v", first.Loss, last.Loss)
	}
	if r.Metrics.Test.Accuracy < 0.9 || r.Metrics.Validation.Accuracy < 0.9 {
		t.Errorf("test accuracy %v, validation %v; want at least 0.9 on this easy task", r.Metrics.Test.Accuracy, r.Metrics.Validation.Accuracy)
	}
	if last.ValAccuracy != r.Metrics.Validation.Accuracy {
		t.Errorf("last val_accuracy %v differs from the validation evaluation %v", last.ValAccuracy, r.Metrics.Validation.Accuracy)
	}
	if math.Abs(last.ValLoss-r.Metrics.Validation.Loss) > 1e-12 {
		t.Errorf("last val_loss %v differs from the validation evaluation %v", last.ValLoss, r.Metrics.Validation.Loss)
	}
	// conv 1→4 3×3: 36+4; pooled 4×2×2 = 16 features → dense 4: 64+4.
	if r.Metrics.Params != 108 {
		t.Errorf("params %d; want 108", r.Metrics.Params)
	}
	// The confusion matrix and report agree with the accuracy.
	diag, total := 0, 0
	for i, row := range r.Metrics.Test.Confusion {
		for j, c := range row {
			total += c
			if i == j {
				diag += c
			}
		}
	}
	if total != 100 || float64(diag)/100 != r.Metrics.Test.Accuracy || r.Metrics.Test.Report.Accuracy != r.Metrics.Test.Accuracy {
		t.Errorf("confusion matrix holds %d of 100 with %d right; report accuracy %v; accuracy %v", total, diag, r.Metrics.Test.Report.Accuracy, r.Metrics.Test.Accuracy)
	}
	if r.Metrics.TrainSeconds <= 0 || r.Hash != tinyRun(8).Hash() {
		t.Errorf("train seconds %v, hash %q", r.Metrics.TrainSeconds, r.Hash)
	}
}

func TestBaseline(t *testing.T) {
	data := &dataset.Prepared{
		Train:   dataset.Tensor{N: 5, Y: []uint8{2, 1, 2, 1, 0}},
		Test:    dataset.Tensor{N: 4, Y: []uint8{1, 1, 1, 0}},
		Classes: []string{"a", "b", "c"},
	}
	// Labels 1 and 2 tie with two each: the smaller wins, as numpy's argmax of bincount.
	if got := mostCommon(data.Train.Y); got != 1 {
		t.Errorf("most common label %d; want 1", got)
	}
	if got := share(data.Test.Y, 1); got != 0.75 {
		t.Errorf("share of label 1 in test %v; want 0.75", got)
	}
}

// trainTwice trains tinyRun(2) twice on threads threads, checks that both
// runs end with the same history and weights, and returns the first run's
// record (times zeroed) and weights.
func trainTwice(t *testing.T, data *dataset.Prepared, threads int) (*results.Record, []byte) {
	t.Helper()
	var recs [2]*results.Record
	var weights [2][]byte
	for i := range recs {
		r, m, err := Train(context.Background(), tinyRun(2), data, Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		zeroSeconds(r.History)
		if weights[i], err = m.MarshalWeights(); err != nil {
			t.Fatal(err)
		}
		recs[i] = r
	}
	if !reflect.DeepEqual(recs[0].History, recs[1].History) {
		t.Errorf("%d threads: same seed, different histories:\n%+v\n%+v", threads, recs[0].History, recs[1].History)
	}
	if !bytes.Equal(weights[0], weights[1]) {
		t.Errorf("%d threads: same seed, different weights", threads)
	}
	return recs[0], weights[0]
}

// zeroSeconds clears the epochs' wall times, which differ between runs.
func zeroSeconds(h []results.Epoch) {
	for i := range h {
		h[i].Seconds = 0
	}
}

func TestDeterministic(t *testing.T) {
	data := tinyData()
	a, wa := trainTwice(t, data, 1)
	// With several threads the result is as reproducible,
	p, wp := trainTwice(t, data, 2)
	// and the thread count does not change it: every reduction is summed in
	// an order fixed by the batch, not by the workers.
	if !reflect.DeepEqual(p.History, a.History) {
		t.Errorf("one thread and two threads: different histories:\n%+v\n%+v", a.History, p.History)
	}
	if !bytes.Equal(wa, wp) {
		t.Error("one thread and two threads: different weights")
	}
	other := tinyRun(2)
	other.Seed = 6
	c, _, err := Train(context.Background(), other, data, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c.History[0].Loss == a.History[0].Loss {
		t.Error("another seed gave the same first-epoch loss")
	}
}

func TestResumeMatchesUninterrupted(t *testing.T) {
	data := tinyData()
	full, mf, err := Train(context.Background(), tinyRun(3), data, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Interrupt after epoch 1: keep its checkpoint, then cancel.
	var saved []byte
	ctx, cancel := context.WithCancel(context.Background())
	_, _, err = Train(ctx, tinyRun(3), data, Options{Threads: 1, Checkpoint: func(epoch int, state []byte) error {
		if epoch == 1 {
			saved = append([]byte(nil), state...)
			cancel()
		}
		return nil
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: error %v; want context.Canceled", err)
	}
	if saved == nil {
		t.Fatal("no checkpoint after epoch 1")
	}
	resumed, mr, err := Train(context.Background(), tinyRun(3), data, Options{Threads: 1, ResumeState: saved})
	if err != nil {
		t.Fatal(err)
	}
	wf, _ := mf.MarshalWeights()
	wr, _ := mr.MarshalWeights()
	if !bytes.Equal(wf, wr) {
		t.Error("resumed run ends with other weights than the uninterrupted one")
	}
	zeroSeconds(full.History)
	zeroSeconds(resumed.History)
	if !reflect.DeepEqual(full.History, resumed.History) {
		t.Errorf("histories differ:\n%+v\n%+v", full.History, resumed.History)
	}
	// A state of another run is refused.
	other := tinyRun(3)
	other.L1 = 0.5
	if _, _, err := Train(context.Background(), other, data, Options{ResumeState: saved}); err == nil {
		t.Error("resuming another run's state succeeded")
	}
	if _, _, err := Train(context.Background(), tinyRun(3), data, Options{ResumeState: []byte("junk")}); err == nil {
		t.Error("resuming from junk succeeded")
	}
}

func TestNaNStopsCleanly(t *testing.T) {
	data := tinyData()
	// An absurd learning rate makes float32 activations overflow.
	run := tinyRun(2)
	run.Optimizer.LearningRate = 1e37
	_, _, err := Train(context.Background(), run, data, Options{Threads: 1})
	if !errors.Is(err, net.ErrNonFinite) {
		t.Fatalf("error %v; want one wrapping net.ErrNonFinite", err)
	}
}

func TestEvaluateWeightsFile(t *testing.T) {
	data := tinyData()
	r, m, err := Train(context.Background(), tinyRun(2), data, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/model.weights"
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	mt, err := Evaluate(path, data)
	if err != nil {
		t.Fatal(err)
	}
	// Weights are stored as float32, as the model computes: the scores match.
	if mt.Test.Accuracy != r.Metrics.Test.Accuracy || math.Abs(mt.Test.Loss-r.Metrics.Test.Loss) > 1e-9 {
		t.Errorf("evaluate: test %v/%v; training scored %v/%v", mt.Test.Accuracy, mt.Test.Loss, r.Metrics.Test.Accuracy, r.Metrics.Test.Loss)
	}
	if !reflect.DeepEqual(mt.Test.Confusion, r.Metrics.Test.Confusion) {
		t.Error("evaluate: another confusion matrix")
	}
}

func TestTrainRejectsBadInput(t *testing.T) {
	data := tinyData()
	bad := tinyRun(0)
	if _, _, err := Train(context.Background(), bad, data, Options{}); err == nil {
		t.Error("0 epochs accepted")
	}
	r := tinyRun(1)
	r.Optimizer.Name = "sgd"
	if _, _, err := Train(context.Background(), r, data, Options{}); err == nil {
		t.Error("sgd accepted")
	}
	if _, _, err := Train(context.Background(), tinyRun(1), nil, Options{}); err == nil {
		t.Error("nil data accepted")
	}
}

func FuzzDecodeState(f *testing.F) {
	data := tinyData()
	run := tinyRun(1)
	var state []byte
	if _, _, err := Train(context.Background(), run, data, Options{Threads: 1, Checkpoint: func(_ int, s []byte) error {
		state = s
		return nil
	}}); err != nil {
		f.Fatal(err)
	}
	f.Add(state)
	f.Add([]byte(stateMagic))
	f.Add([]byte("CONVLAB-TRAIN-STATE 1\n\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeState(b)
		if err != nil {
			return
		}
		if st.Epoch < 1 || len(st.History) != st.Epoch {
			t.Fatalf("accepted a state after epoch %d with %d rows", st.Epoch, len(st.History))
		}
	})
}

func TestNoValidationPart(t *testing.T) {
	data := tinyData()
	data.Val = dataset.Tensor{}
	r, _, err := Train(context.Background(), tinyRun(1), data, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if e := r.History[0]; e.ValLoss != 0 || e.ValAccuracy != 0 {
		t.Errorf("without validation data: val_loss %v val_accuracy %v; want 0", e.ValLoss, e.ValAccuracy)
	}
	if v := r.Metrics.Validation; len(v.Confusion) != 4 || v.Confusion[0][0] != 0 || v.Report.Classes[0].Support != 0 {
		t.Errorf("empty validation evaluation: %+v", v)
	}
}

func TestEvaluateRejectsOtherImageSize(t *testing.T) {
	_, m, err := Train(context.Background(), tinyRun(1), tinyData(), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/m.weights"
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	small := &dataset.Prepared{Train: dataset.Tensor{N: 1, C: 1, H: 4, W: 4, Pixels: make([]uint8, 16), Y: []uint8{0}}, Classes: []string{"a", "b", "c", "d"}}
	if _, err := Evaluate(path, small); err == nil {
		t.Error("8x8 weights evaluated on 4x4 images")
	}
	if _, err := Evaluate(t.TempDir()+"/missing.weights", tinyData()); err == nil {
		t.Error("a missing weights file was evaluated")
	}
}

// noiseImages makes n random 3×32×32 images with random labels of 10
// classes: the study's input shape, so the presets run on their fast paths.
func noiseImages(n int, seed uint64) dataset.Tensor {
	r := rand.New(rand.NewPCG(seed, 11))
	t := dataset.Tensor{N: n, C: 3, H: 32, W: 32, Pixels: make([]uint8, n*3*32*32), Y: make([]uint8, n)}
	for i := range t.Pixels {
		t.Pixels[i] = uint8(r.IntN(256))
	}
	for i := range t.Y {
		t.Y[i] = uint8(r.IntN(10))
	}
	return t
}

// The presets at the study's batch size give the same weights with one
// thread and with three: the kernels split the work between threads but
// sum every gradient in an order fixed by the batch.
func TestPresetsIndependentOfThreads(t *testing.T) {
	// On every kernel path the CPU has, one thread and three train the
	// same weights bit for bit; the avx512 path, whose matrix products add
	// in the avx2 path's order, trains the avx2 path's weights.
	data := &dataset.Prepared{Train: noiseImages(300, 1), Val: noiseImages(20, 2), Test: noiseImages(20, 3),
		Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	prev := kernels.Path()
	defer func() {
		if err := kernels.SetPath(prev); err != nil {
			t.Fatal(err)
		}
	}()
	for _, name := range arch.PresetNames() {
		t.Run(name, func(t *testing.T) {
			a, err := arch.Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			run := spec.Run{ID: name, Dataset: "synthetic", Arch: a, N: 320, L1: 1e-3, Epochs: 1,
				BatchSize: 128, ValidationSplit: 20.0 / 320, Seed: 3, Optimizer: spec.Optimizer{Name: "adam", LearningRate: 1e-3}}
			byPath := map[string][]byte{}
			for _, path := range kernels.Paths() {
				if err := kernels.SetPath(path); err != nil {
					t.Fatal(err)
				}
				var weights [][]byte
				for _, threads := range []int{1, 3} {
					_, m, err := Train(context.Background(), run, data, Options{Threads: threads})
					if err != nil {
						t.Fatal(err)
					}
					w, err := m.MarshalWeights()
					if err != nil {
						t.Fatal(err)
					}
					weights = append(weights, w)
				}
				if !bytes.Equal(weights[0], weights[1]) {
					t.Errorf("kernels %s: one thread and three threads trained different weights", path)
				}
				byPath[path] = weights[0]
			}
			w512, ok512 := byPath[kernels.PathAVX512]
			w2, ok2 := byPath[kernels.PathAVX2]
			if ok512 && ok2 && !bytes.Equal(w512, w2) {
				t.Error("kernels avx512 and avx2 trained different weights")
			}
		})
	}
}
