package net

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"convlab/arch"
)

// The step-equivalence check of issue 12: convlab's training step against
// the independent Keras-faithful reference scripts/peer/keras_reference.py
// (PyTorch). Both start from the same weights file, take the same batches
// with the same dropout masks, and are compared step by step: the loss of
// every step, and every gradient and every weight at the recorded steps.

const referenceScript = "../../scripts/peer/keras_reference.py"

// referencePython returns the interpreter that runs the reference, or
// skips the test when it cannot import torch.
func referencePython(t *testing.T) string {
	t.Helper()
	py := os.Getenv("CONVLAB_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if out, err := exec.Command(py, "-c", "import torch, numpy").CombinedOutput(); err != nil {
		t.Skipf("the Keras reference needs PyTorch and numpy for %s (Debian: apt-get install python3-torch); %s cannot import them: %v %s",
			py, py, err, bytes.TrimSpace(out))
	}
	return py
}

// stepBatch is one training step's input.
type stepBatch struct {
	x []float32
	y []uint8
}

// stepTrace is what one side recorded.
type stepTrace struct {
	loss, acc []float64
	grads     map[int][][]float32 // step -> gradient per param
	weights   map[int][][]float32 // step -> weights after the step, per param
}

// convlabSteps trains m on the batches exactly as TrainStep does,
// recording the dropout masks it drew and the losses, gradients and
// weights.
func convlabSteps(t *testing.T, m *Model, batches []stepBatch, record map[int]bool) (stepTrace, [][][]float32) {
	t.Helper()
	tr := stepTrace{grads: map[int][][]float32{}, weights: map[int][][]float32{}}
	var masks [][][]float32
	for s, b := range batches {
		step := s + 1
		mc, loss, acc, err := m.forwardBackward(b.x, b.y)
		if err != nil {
			t.Fatalf("convlab step %d: %v", step, err)
		}
		tr.loss = append(tr.loss, loss)
		tr.acc = append(tr.acc, acc)
		var sm [][]float32
		for _, mask := range mc.masks {
			v := make([]float32, mask.Shape().TotalSize())
			load(v, mask)
			sm = append(sm, v)
		}
		masks = append(masks, sm)
		if record[step] {
			for _, gn := range mc.grads {
				v := make([]float32, gn.Shape().TotalSize())
				load(v, gn.Value().(*tensor.Dense))
				tr.grads[step] = append(tr.grads[step], v)
			}
		}
		if err := m.applyGradients(mc); err != nil {
			t.Fatalf("convlab step %d: %v", step, err)
		}
		if record[step] {
			for _, p := range m.params {
				tr.weights[step] = append(tr.weights[step], p.Float32s())
			}
		}
	}
	return tr, masks
}

// writeBatches writes the reference's batches file (its format is in the
// script's doc string).
func writeBatches(path string, a *Adam, batches []stepBatch, masks [][][]float32) error {
	var buf bytes.Buffer
	buf.WriteString("KRSTEPS1")
	le := binary.LittleEndian
	w := func(v any) { _ = binary.Write(&buf, le, v) }
	w(uint32(len(batches)))
	w([]float64{a.LR, a.Beta1, a.Beta2, a.Eps})
	for s, b := range batches {
		w(uint32(len(b.y)))
		w(b.x)
		w(b.y)
		w(uint32(len(masks[s])))
		for _, mk := range masks[s] {
			w(uint32(len(mk)))
			w(mk)
		}
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// referenceSteps runs the reference on the same initial weights and
// batches.
func referenceSteps(t *testing.T, py, dir, dtype string, init []byte, a *Adam, batches []stepBatch, masks [][][]float32, record []int, names []string) stepTrace {
	t.Helper()
	wpath := filepath.Join(dir, "init.weights")
	bpath := filepath.Join(dir, "batches.bin")
	if err := os.WriteFile(wpath, init, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeBatches(bpath, a, batches, masks); err != nil {
		t.Fatal(err)
	}
	var rec []string
	for _, s := range record {
		rec = append(rec, strconv.Itoa(s))
	}
	out := filepath.Join(dir, "ref")
	cmd := exec.Command(py, referenceScript, "step", "--weights", wpath, "--batches", bpath, "--out", out, "--record", strings.Join(rec, ","), "--dtype", dtype)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, b)
	}
	tr := stepTrace{grads: map[int][][]float32{}, weights: map[int][][]float32{}}
	b, err := os.ReadFile(filepath.Join(out, "steps.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sj struct{ Loss, Accuracy []float64 }
	if err := json.Unmarshal(b, &sj); err != nil {
		t.Fatalf("steps.json: %v", err)
	}
	tr.loss, tr.acc = sj.Loss, sj.Accuracy
	read := func(name string) [][]float32 {
		path := filepath.Join(out, name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		w, err := ParseWeights(path, b)
		if err != nil {
			t.Fatal(err)
		}
		for i, te := range w.Header.Tensors {
			if te.Name != names[i] {
				t.Fatalf("%s: tensor %d is %s; want %s", path, i, te.Name, names[i])
			}
		}
		return w.Values
	}
	for _, s := range record {
		tr.grads[s] = read(fmt.Sprintf("grad_%d.weights", s))
		tr.weights[s] = read(fmt.Sprintf("weights_%d.weights", s))
	}
	return tr
}

// relMaxDiff is max|a-b| / max(max|b|, floor): the largest difference
// relative to the tensor's scale.
func relMaxDiff(a, b []float32, floor float64) (rel float64, at int) {
	var scale, worst float64
	for i := range b {
		scale = math.Max(scale, math.Abs(float64(b[i])))
		if d := math.Abs(float64(a[i]) - float64(b[i])); d > worst {
			worst, at = d, i
		}
	}
	return worst / math.Max(scale, floor), at
}

// tolerances of one comparison, by step: float32 rounding, which grows
// with the number of Adam steps (m/sqrt(v) magnifies tiny differences of
// gradients near zero).
type tolerances struct {
	loss    float64 // relative
	grad    func(step int) float64
	weights func(step int) float64
}

// compareTraces lists every disagreement beyond the tolerances (the first
// step whose loss differs, every recorded gradient and weight tensor) and
// logs the largest differences at the first and last recorded steps.
func compareTraces(t *testing.T, label string, names []string, got, want stepTrace, record []int, tol tolerances) []string {
	t.Helper()
	if len(got.loss) != len(want.loss) {
		return []string{fmt.Sprintf("%s: convlab did %d steps, the reference %d", label, len(got.loss), len(want.loss))}
	}
	var bad []string
	for s := range got.loss {
		if d := math.Abs(got.loss[s]-want.loss[s]) / math.Max(1, math.Abs(want.loss[s])); d > tol.loss*float64(s+1) {
			bad = append(bad, fmt.Sprintf("%s: step %d: loss %.9g, reference %.9g (relative difference %.2g)", label, s+1, got.loss[s], want.loss[s], d))
			break
		}
	}
	for _, s := range record {
		for i, name := range names {
			if rel, at := relMaxDiff(got.grads[s][i], want.grads[s][i], 1e-6); rel > tol.grad(s) {
				bad = append(bad, fmt.Sprintf("%s: step %d: gradient of %s differs by %.2g of its scale (value %d: %.9g, reference %.9g)",
					label, s, name, rel, at, got.grads[s][i][at], want.grads[s][i][at]))
			}
			if rel, at := relMaxDiff(got.weights[s][i], want.weights[s][i], 1e-3); rel > tol.weights(s) {
				bad = append(bad, fmt.Sprintf("%s: after step %d: %s differs by %.2g of its scale (value %d: %.9g, reference %.9g)",
					label, s, name, rel, at, got.weights[s][i][at], want.weights[s][i][at]))
			}
		}
	}
	for _, s := range []int{record[0], record[len(record)-1]} {
		var gw, ww float64
		for i := range names {
			g, _ := relMaxDiff(got.grads[s][i], want.grads[s][i], 1e-6)
			w, _ := relMaxDiff(got.weights[s][i], want.weights[s][i], 1e-3)
			gw, ww = math.Max(gw, g), math.Max(ww, w)
		}
		t.Logf("%s: step %d: largest relative difference of a gradient %.2g, of a weight %.2g; loss %.9g vs %.9g",
			label, s, gw, ww, got.loss[s-1], want.loss[s-1])
	}
	return bad
}

func paramNames(m *Model) []string {
	var names []string
	for _, p := range m.params {
		names = append(names, p.Name)
	}
	return names
}

// stepEquivalence builds a, trains it in convlab and in the reference
// from the same weights on batches and compares them.
// With float64, both sides compute in float64 (from the same float32
// initial weights): the semantics compared without float32 rounding, which
// on real images flips the odd ReLU whose input is within a rounding error
// of zero and so moves a conv gradient by a percent.
//
// The reference is handed Adam's learning rate times lrScale (1 but in
// the negative control) and the disagreements are returned.
func stepEquivalence(t *testing.T, py string, float64s bool, lrScale float64, a arch.Arch, in arch.Shape, batches []stepBatch, record []int, tol tolerances) []string {
	t.Helper()
	opts := []Option{WithSeed(7), WithThreads(1)}
	dtype := "float32"
	if float64s {
		opts, dtype = append(opts, withFloat64()), "float64"
	}
	m, err := Build(a, in, len(batches[0].y), opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	init, err := m.MarshalWeights()
	if err != nil {
		t.Fatal(err)
	}
	// The file holds float32 values; a float64 model starts from them too.
	w, err := ParseWeights("initial weights", init)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SetWeights("initial weights", w); err != nil {
		t.Fatal(err)
	}
	rec := map[int]bool{}
	for _, s := range record {
		rec[s] = true
	}
	got, masks := convlabSteps(t, m, batches, rec)
	refAdam := *m.adam
	refAdam.LR *= lrScale
	want := referenceSteps(t, py, t.TempDir(), dtype, init, &refAdam, batches, masks, record, paramNames(m))
	return compareTraces(t, a.Name+" "+dtype, paramNames(m), got, want, record, tol)
}

func reportProblems(t *testing.T, bad []string) {
	t.Helper()
	for _, b := range bad {
		t.Error(b)
	}
}

// TestKerasStepEquivalence: a tiny network with every layer kind the
// study uses (stride-2 'same' convolution with its asymmetric padding,
// 'valid' padding, max pooling, dropout with convlab's own masks, a
// channels-first flatten into a dense layer with L1, softmax
// cross-entropy) and a partial last batch, 12 Adam steps, against the
// Keras-faithful reference.
func TestKerasStepEquivalence(t *testing.T) {
	py := referencePython(t)
	a := arch.Arch{Name: "fidelity-tiny", Layers: []arch.Layer{
		{Kind: arch.KindConv2D, Filters: 4, Kernel: 3, Stride: 1, Padding: "same", Activation: arch.ActReLU},
		{Kind: arch.KindConv2D, Filters: 5, Kernel: 3, Stride: 2, Padding: "same", Activation: arch.ActReLU},
		{Kind: arch.KindConv2D, Filters: 6, Kernel: 3, Stride: 1, Padding: "valid", Activation: arch.ActReLU},
		{Kind: arch.KindMaxPool2D, Pool: 2},
		{Kind: arch.KindDropout, Rate: 0.5},
		{Kind: arch.KindFlatten},
		{Kind: arch.KindDense, Units: 4, Activation: arch.ActSoftmax, L1: 0.01},
	}}
	in := arch.Shape{C: 3, H: 10, W: 10}
	r := rand.New(rand.NewPCG(12, 3))
	var batches []stepBatch
	for s := range 12 {
		n := 6
		if s%4 == 3 {
			n = 2 // an epoch's partial last batch
		}
		batches = append(batches, stepBatch{randImages(r, n, in), randLabels(r, n, 4)})
	}
	record := []int{1, 10, 12}
	f32 := tolerances{loss: 1e-6, grad: func(int) float64 { return 1e-4 }, weights: func(int) float64 { return 1e-5 }}
	f64 := tolerances{loss: 1e-9, grad: func(int) float64 { return 1e-6 }, weights: func(int) float64 { return 1e-6 }}
	reportProblems(t, stepEquivalence(t, py, false, 1, a, in, batches, record, f32))
	reportProblems(t, stepEquivalence(t, py, true, 1, a, in, batches, record, f64))
	// The negative control: a reference whose learning rate is 1% off must
	// be told apart, at the first step already.
	bad := stepEquivalence(t, py, true, 1.01, a, in, batches, record, f64)
	caught := false
	for _, b := range bad {
		caught = caught || strings.Contains(b, "after step 1: dense/bias")
	}
	if !caught {
		t.Errorf("a reference with a 1%% larger learning rate was not caught after step 1: %q", bad)
	}
}

// TestKerasStepEquivalenceStudy: the study's three networks with l1 1e-3
// on the first 1,000 CIFAR-10 training images ($CIFAR10_DIR), batches of
// 128 with a partial batch every tenth step, dropout on with convlab's
// masks, 100 Adam steps, recorded at steps 1, 10 and 100, both sides in
// float64. (In float32 on real images the two already differ by about 1%
// in some conv gradients at step 1: a ReLU input within a rounding error
// of zero, e.g. 8.7e-9 in float64, rounds to 0 in one and not the other;
// convlab's float32 and float64 paths differ in the same way.) It takes
// minutes, so it runs only when CONVLAB_FIDELITY_STUDY is set
// (`make fidelity-steps`).
func TestKerasStepEquivalenceStudy(t *testing.T) {
	if os.Getenv("CONVLAB_FIDELITY_STUDY") == "" {
		t.Skip("set CONVLAB_FIDELITY_STUDY=1 (make fidelity-steps) for the study's networks on CIFAR-10, 100 steps each")
	}
	py := referencePython(t)
	dir := os.Getenv("CIFAR10_DIR")
	if dir == "" {
		t.Skip("CIFAR10_DIR is not set")
	}
	const batch, steps = 128, 100
	x, y, err := readCIFAR(filepath.Join(dir, "data_batch_1.bin"), 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := len(y)
	r := rand.New(rand.NewPCG(5, 5))
	var batches []stepBatch
	perm := r.Perm(n)
	for s := range steps {
		size := batch
		if s%10 == 9 {
			size = 20 // partial last batches, as 4,500 images in batches of 128 have
		}
		b := stepBatch{x: make([]float32, 0, size*cifar.Size()), y: make([]uint8, 0, size)}
		for range size {
			if len(perm) == 0 {
				perm = r.Perm(n)
			}
			j := perm[0]
			perm = perm[1:]
			b.x = append(b.x, x[j*cifar.Size():(j+1)*cifar.Size()]...)
			b.y = append(b.y, y[j])
		}
		batches = append(batches, b)
	}
	for _, name := range arch.PresetNames() {
		t.Run(name, func(t *testing.T) {
			a, err := arch.Preset(name)
			if err != nil {
				t.Fatal(err)
			}
			reportProblems(t, stepEquivalence(t, py, true, 1, a.WithL1(1e-3), cifar, batches, []int{1, 10, steps}, tolerances{
				loss:    1e-9,
				grad:    func(int) float64 { return 1e-6 },
				weights: func(int) float64 { return 1e-6 },
			}))
		})
	}
}

// readCIFAR reads at most n records of a CIFAR-10 binary file (a label
// byte, then 3,072 pixel bytes in channel planes), pixels / 255.
func readCIFAR(path string, n int) ([]float32, []uint8, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	const rec = 3073
	if len(b)%rec != 0 {
		return nil, nil, fmt.Errorf("%s: %d bytes is not a whole number of %d-byte records", path, len(b), rec)
	}
	n = min(n, len(b)/rec)
	x := make([]float32, 0, n*(rec-1))
	y := make([]uint8, 0, n)
	for i := range n {
		r := b[i*rec : (i+1)*rec]
		y = append(y, r[0])
		for _, p := range r[1:] {
			x = append(x, float32(p)/255)
		}
	}
	return x, y, nil
}
