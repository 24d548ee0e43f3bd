package net

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/arch"
	"convlab/arch/ops"
)

var cifar = arch.Shape{C: 3, H: 32, W: 32}

// withFloat64 makes the model compute in float64, for gradient checks by
// finite differences and the float64 Keras reference (training uses
// float32).
func withFloat64() Option { return func(c *config) { c.dtype = tensor.Float64 } }

func randImages(r *rand.Rand, n int, s arch.Shape) []float32 {
	x := make([]float32, n*s.Size())
	for i := range x {
		x[i] = r.Float32()
	}
	return x
}

func randLabels(r *rand.Rand, n, k int) []uint8 {
	y := make([]uint8, n)
	for i := range y {
		y[i] = uint8(r.IntN(k))
	}
	return y
}

// allKinds uses every layer kind, both paddings, a stride of 2, a ReLU
// dense layer with an L2 penalty and the softmax layer with an L1 one.
func allKinds() arch.Arch {
	return arch.Arch{Name: "all", Layers: []arch.Layer{
		{Kind: arch.KindConv2D, Filters: 3, Kernel: 3, Stride: 2, Padding: "same"},
		{Kind: arch.KindConv2D, Filters: 4, Kernel: 3, Padding: "valid"},
		{Kind: arch.KindMaxPool2D, Pool: 2},
		{Kind: arch.KindDropout, Rate: 0.3},
		{Kind: arch.KindFlatten},
		{Kind: arch.KindDense, Units: 5, Activation: arch.ActReLU, L2: 0.01},
		{Kind: arch.KindDense, Units: 3, Activation: arch.ActSoftmax, L1: 0.02},
	}}
}

func TestPresetParams(t *testing.T) {
	tests := []struct {
		preset string
		total  int
		shapes map[string][]int
	}{
		{"strided", 37146, map[string][]int{"conv2d/kernel": {16, 3, 3, 3}, "conv2d_3/kernel": {32, 32, 3, 3}, "dense/kernel": {2048, 10}, "dense/bias": {10}}},
		{"maxpool", 37146, map[string][]int{"conv2d_1/kernel": {16, 16, 3, 3}, "conv2d_1/bias": {16}, "dense/kernel": {2048, 10}}},
		{"deeper", 23314, map[string][]int{"conv2d_5/kernel": {32, 32, 3, 3}, "dense/kernel": {512, 10}}},
	}
	for _, tc := range tests {
		a, err := arch.Preset(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Build(a, cifar, 128)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.ParamCount(); got != tc.total {
			t.Errorf("%s: %d parameters; want %d", tc.preset, got, tc.total)
		}
		found := 0
		for _, p := range m.Params() {
			if want, ok := tc.shapes[p.Name]; ok {
				found++
				if !reflect.DeepEqual(p.Shape, want) {
					t.Errorf("%s: %s has shape %v; want %v", tc.preset, p.Name, p.Shape, want)
				}
			}
		}
		if found != len(tc.shapes) {
			t.Errorf("%s: found %d of the %d named tensors", tc.preset, found, len(tc.shapes))
		}
	}
}

func TestLayerShapesMatchInfer(t *testing.T) {
	for _, name := range arch.PresetNames() {
		a, _ := arch.Preset(name)
		m, err := Build(a, cifar, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, training := range []bool{true, false} {
			mc, err := m.build(5, training)
			if err != nil {
				t.Fatal(err)
			}
			for i, li := range m.infos {
				n := mc.layers[i]
				if i < m.chainLength(0, true)-1 {
					// The outputs of a chain's layers but the last are inside its op.
					if n != nil {
						t.Errorf("%s layer %d (%s): a node of its own inside a chain", name, i+1, li.Name)
					}
					continue
				}
				if n == nil {
					if training || li.Layer.Kind != arch.KindDropout {
						t.Errorf("%s layer %d (%s): no node", name, i+1, li.Name)
					}
					continue
				}
				want := []int{5, li.Output.C, li.Output.H, li.Output.W}
				if li.Output.IsVector() {
					want = []int{5, li.Output.C}
				}
				if !reflect.DeepEqual([]int(n.Shape()), want) {
					t.Errorf("%s layer %d (%s): shape %v; want %v", name, i+1, li.Name, n.Shape(), want)
				}
			}
			mc.vm.Close()
		}
	}
}

func TestGlorotInit(t *testing.T) {
	a, _ := arch.Preset("strided")
	m1, _ := Build(a, cifar, 128, WithSeed(3))
	m2, _ := Build(a, cifar, 128, WithSeed(3))
	m3, _ := Build(a, cifar, 128, WithSeed(4))
	for i, p := range m1.Params() {
		v1, v2, v3 := p.Float32s(), m2.Params()[i].Float32s(), m3.Params()[i].Float32s()
		if !reflect.DeepEqual(v1, v2) {
			t.Errorf("%s: same seed, different values", p.Name)
		}
		if strings.HasSuffix(p.Name, "/bias") {
			for _, v := range v1 {
				if v != 0 {
					t.Fatalf("%s: bias %v; want 0", p.Name, v)
				}
			}
			continue
		}
		if reflect.DeepEqual(v1, v3) {
			t.Errorf("%s: other seed, same values", p.Name)
		}
		// fan_in/fan_out as Keras: k·k·c_in and k·k·c_out, or inputs and units.
		var fanIn, fanOut int
		if len(p.Shape) == 4 {
			fanIn, fanOut = p.Shape[1]*p.Shape[2]*p.Shape[3], p.Shape[0]*p.Shape[2]*p.Shape[3]
		} else {
			fanIn, fanOut = p.Shape[0], p.Shape[1]
		}
		limit := math.Sqrt(6 / float64(fanIn+fanOut))
		var sq float64
		for _, v := range v1 {
			if math.Abs(float64(v)) > limit {
				t.Fatalf("%s: %v outside ±%v", p.Name, v, limit)
			}
			sq += float64(v) * float64(v)
		}
		// A uniform on ±limit has variance limit²/3.
		if got, want := sq/float64(len(v1)), limit*limit/3; math.Abs(got-want) > 0.2*want {
			t.Errorf("%s: variance %v; want about %v", p.Name, got, want)
		}
	}
}

// TestModelGradients checks every parameter's gradient of the whole
// training loss (cross-entropy, penalties, dropout with a fixed mask) in
// float64 against central finite differences.
func TestModelGradients(t *testing.T) {
	in := arch.Shape{C: 2, H: 12, W: 12}
	m, err := Build(allKinds(), in, 4, withFloat64(), WithSeed(2))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := rand.New(rand.NewPCG(9, 9))
	x, y := randImages(r, 4, in), []uint8{0, 2, 1, 2}
	// Make the biases non-zero so every path matters.
	for _, p := range m.Params() {
		if strings.HasSuffix(p.Name, "/bias") {
			for i := range p.value.Data().([]float64) {
				p.value.Data().([]float64)[i] = r.Float64()*0.2 - 0.05
			}
		}
	}
	mc, _, _, err := m.forwardBackward(x, y)
	if err != nil {
		t.Fatal(err)
	}
	m.frozenMasks = true
	analytic := make([][]float64, len(mc.grads))
	for i, g := range mc.grads {
		analytic[i] = append([]float64(nil), g.Value().Data().([]float64)...)
	}
	lossAt := func() float64 {
		_, l, _, err := m.forwardBackward(x, y)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	const h = 1e-6
	for i, p := range m.Params() {
		d := p.value.Data().([]float64)
		for j := range d {
			old := d[j]
			d[j] = old + h
			up := lossAt()
			d[j] = old - h
			down := lossAt()
			d[j] = old
			num := (up - down) / (2 * h)
			if a := analytic[i][j]; math.Abs(a-num) > 1e-6*(1+math.Abs(a)+math.Abs(num)) {
				t.Fatalf("%s[%d]: gradient %.10g, finite difference %.10g", p.Name, j, a, num)
			}
		}
	}
}

func TestTrainStepLossMatchesEvaluateAndSharesWeights(t *testing.T) {
	// Without dropout, a training step's loss (before its update) equals
	// the inference loss; steps of two batch sizes share the weights.
	a := allKinds()
	a.Layers = append(a.Layers[:3], a.Layers[4:]...)
	in := arch.Shape{C: 2, H: 12, W: 12}
	m, err := Build(a, in, 4, WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := rand.New(rand.NewPCG(1, 1))
	x3, y3 := randImages(r, 3, in), randLabels(r, 3, 3)
	x2, y2 := randImages(r, 2, in), randLabels(r, 2, 3)
	for step, b := range []struct {
		x []float32
		y []uint8
	}{{x3, y3}, {x2, y2}, {x3, y3}, {x2, y2}} {
		want, wantAcc, _, err := m.Evaluate(b.x, b.y)
		if err != nil {
			t.Fatal(err)
		}
		got, acc, err := m.TrainStep(b.x, b.y)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-want) > 1e-5*want || acc != wantAcc {
			t.Errorf("step %d: train loss %v acc %v; evaluate %v %v", step, got, acc, want, wantAcc)
		}
	}
	if m.adam.Steps() != 4 {
		t.Errorf("%d optimiser steps; want 4", m.adam.Steps())
	}
}

func TestAdamMatchesTextbookForm(t *testing.T) {
	// Keras folds the bias correction into the learning rate; that equals
	// the textbook m̂/(sqrt(v̂)+ε̂) with ε̂ = ε/sqrt(1−β2^t).
	const lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-3
	a := NewAdam(lr, b1, b2, eps)
	w := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{0.5, -1}))
	g := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float64{0, 0}))
	want := []float64{0.5, -1}
	var m, v [2]float64
	grads := [][2]float64{{0.3, -2}, {-0.1, 0.5}, {0.7, 0}}
	for step, gs := range grads {
		copy(g.Data().([]float64), gs[:])
		if err := a.Step([]G.ValueGrad{&paramGrad{v: w, g: g}}); err != nil {
			t.Fatal(err)
		}
		tt := float64(step + 1)
		for j := range want {
			m[j] = b1*m[j] + (1-b1)*gs[j]
			v[j] = b2*v[j] + (1-b2)*gs[j]*gs[j]
			mh, vh := m[j]/(1-math.Pow(b1, tt)), v[j]/(1-math.Pow(b2, tt))
			want[j] -= lr * mh / (math.Sqrt(vh) + eps/math.Sqrt(1-math.Pow(b2, tt)))
		}
		for j, got := range w.Data().([]float64) {
			if math.Abs(got-want[j]) > 1e-12 {
				t.Fatalf("step %d weight %d: %v; want %v", step+1, j, got, want[j])
			}
		}
	}
	// The first step moves each weight by about lr against its gradient.
	b := NewAdam(0, 0, 0, 0)
	w1 := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{1}))
	g1 := tensor.New(tensor.WithShape(1), tensor.WithBacking([]float32{4}))
	if err := b.Step([]G.ValueGrad{&paramGrad{v: w1, g: g1}}); err != nil {
		t.Fatal(err)
	}
	if got := w1.Data().([]float32)[0]; math.Abs(float64(got)-0.999) > 1e-6 {
		t.Errorf("first Keras-default step from 1 with gradient 4: %v; want 0.999", got)
	}
	if err := b.Step([]G.ValueGrad{&paramGrad{v: w1, g: g1}, &paramGrad{v: w1, g: g1}}); err == nil {
		t.Error("a second weight list of another length was accepted")
	}
}

func TestPredictChunksAndPadding(t *testing.T) {
	a, _ := arch.Preset("deeper")
	in := arch.Shape{C: 3, H: 16, W: 16}
	m, err := Build(a, in, 4, WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := rand.New(rand.NewPCG(5, 5))
	x := randImages(r, 7, in)
	all, err := m.Predict(x, 7)
	if err != nil {
		t.Fatal(err)
	}
	size := in.Size()
	for i := 0; i < 7; i++ {
		one, err := m.Predict(x[i*size:(i+1)*size], 1)
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for j, p := range one {
			sum += float64(p)
			if math.Abs(float64(p-all[i*10+j])) > 1e-6 {
				t.Fatalf("image %d class %d: %v alone, %v in a batch of 7", i, j, p, all[i*10+j])
			}
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("image %d: probabilities sum to %v", i, sum)
		}
	}
	_, _, pred, err := m.Evaluate(x, make([]uint8, 7))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pred {
		best := 0
		for j := range 10 {
			if all[i*10+j] > all[i*10+best] {
				best = j
			}
		}
		if p != best {
			t.Errorf("image %d: evaluate predicts %d, probabilities peak at %d", i, p, best)
		}
	}
}

func TestEvaluateHandWorked(t *testing.T) {
	// A dense softmax layer on 1×1×2 images with chosen weights: the loss
	// and accuracy follow by hand.
	a := arch.Arch{Name: "lin", Layers: []arch.Layer{{Kind: arch.KindFlatten},
		{Kind: arch.KindDense, Units: 2, Activation: arch.ActSoftmax, L1: 0.5}}}
	m, err := Build(a, arch.Shape{C: 2, H: 1, W: 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	m.Params()[0].setFloat32s([]float32{1, 0, 0, 1}) // identity
	x := []float32{2, 0, 0, 1, 1, 1}
	y := []uint8{0, 0, 1}
	loss, acc, pred, err := m.Evaluate(x, y)
	if err != nil {
		t.Fatal(err)
	}
	// logits (2,0), (0,1), (1,1): CE = log(1+e^-2), log(1+e^1), log 2; L1 = 0.5·2.
	want := (math.Log1p(math.Exp(-2))+math.Log1p(math.E)+math.Log(2))/3 + 1
	if math.Abs(loss-want) > 1e-6 || math.Abs(acc-1.0/3) > 1e-12 || !reflect.DeepEqual(pred, []int{0, 1, 0}) {
		t.Errorf("loss %v acc %v pred %v; want %v, 1/3, [0 1 0]", loss, acc, pred, want)
	}
}

func TestEvaluateNoImages(t *testing.T) {
	m, err := Build(allKinds(), arch.Shape{C: 2, H: 12, W: 12}, 4)
	if err != nil {
		t.Fatal(err)
	}
	loss, acc, pred, err := m.Evaluate(nil, nil)
	if err != nil || loss != 0 || acc != 0 || pred == nil || len(pred) != 0 {
		t.Errorf("no images: loss %v acc %v pred %#v err %v; want 0, 0, [] and no error", loss, acc, pred, err)
	}
	// Images without labels are still refused.
	if _, _, _, err := m.Evaluate(make([]float32, 2*12*12), nil); err == nil {
		t.Error("an image without a label accepted")
	}
}

func TestPenaltyIsTheDenseLayers(t *testing.T) {
	m, err := Build(allKinds(), arch.Shape{C: 2, H: 12, W: 12}, 4, withFloat64())
	if err != nil {
		t.Fatal(err)
	}
	// allKinds: dense (L2 0.01) then dense_1 (L1 0.02); conv kernels are
	// not penalised.
	var want float64
	for _, p := range m.Params() {
		for _, v := range p.float64s() {
			switch p.Name {
			case "dense/kernel":
				want += 0.01 * v * v
			case "dense_1/kernel":
				want += 0.02 * math.Abs(v)
			}
		}
	}
	if got := m.Penalty(); want == 0 || math.Abs(got-want) > 1e-12*want {
		t.Errorf("penalty %v; want %v", got, want)
	}
}

func TestStoreLoad(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		d := tensor.New(tensor.Of(dt), tensor.WithShape(2, 2))
		store(d, []float64{9, 9, 9, 9})
		store(d, []float32{1.5, -2})
		got := make([]float32, 4)
		load(got, d)
		if !reflect.DeepEqual(got, []float32{1.5, -2, 0, 0}) {
			t.Errorf("%v: stored 1.5, -2 over 9s and loaded %v; want [1.5 -2 0 0]", dt, got)
		}
		part := make([]float64, 1)
		load(part, d)
		if part[0] != 1.5 {
			t.Errorf("%v: loaded first value %v; want 1.5", dt, part[0])
		}
	}
}

func TestBuildErrors(t *testing.T) {
	strided, _ := arch.Preset("strided")
	noSoftmax := arch.Arch{Name: "x", Layers: []arch.Layer{{Kind: arch.KindFlatten}, {Kind: arch.KindDense, Units: 3}}}
	midSoftmax := arch.Arch{Name: "y", Layers: []arch.Layer{{Kind: arch.KindFlatten},
		{Kind: arch.KindDense, Units: 3, Activation: arch.ActSoftmax}, {Kind: arch.KindDense, Units: 3, Activation: arch.ActSoftmax}}}
	tests := []struct {
		name  string
		a     arch.Arch
		in    arch.Shape
		batch int
		want  string
	}{
		{"vector input", strided, arch.Shape{C: 10}, 128, "image shape"},
		{"zero batch", strided, cifar, 0, "batch size"},
		{"too small", strided, arch.Shape{C: 3, H: 1, W: 1}, 8, ""},
		{"no softmax", noSoftmax, cifar, 8, "dense softmax"},
		{"softmax in the middle", midSoftmax, cifar, 8, "only supported on the last layer"},
		{"empty", arch.Arch{Name: "e"}, cifar, 8, "no layers"},
	}
	for _, tc := range tests {
		_, err := Build(tc.a, tc.in, tc.batch)
		if tc.name == "too small" {
			// 1×1 images survive 'same' convolutions; this one builds.
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestTrainStepRejectsBadBatches(t *testing.T) {
	m, err := Build(allKinds(), arch.Shape{C: 2, H: 12, W: 12}, 4)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*2*12*12)
	for _, tc := range []struct {
		x []float32
		y []uint8
	}{{x, []uint8{0}}, {x, []uint8{0, 3}}, {nil, nil}} {
		if _, _, err := m.TrainStep(tc.x, tc.y); err == nil {
			t.Errorf("batch of %d values and labels %v accepted", len(tc.x), tc.y)
		}
	}
}

func TestNonFiniteLossLeavesWeights(t *testing.T) {
	in := arch.Shape{C: 2, H: 12, W: 12}
	m, err := Build(allKinds(), in, 4)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := m.MarshalWeights()
	x := randImages(rand.New(rand.NewPCG(1, 2)), 2, in)
	m.Params()[len(m.Params())-1].setFloat32s([]float32{float32(math.Inf(1)), 0, 0})
	before, _ = m.MarshalWeights()
	_, _, err = m.TrainStep(x, []uint8{0, 1})
	if !errors.Is(err, ErrNonFinite) {
		t.Fatalf("error %v; want ErrNonFinite", err)
	}
	after, _ := m.MarshalWeights()
	if !bytes.Equal(before, after) {
		t.Error("weights changed by a step with a non-finite loss")
	}
}

func TestWeightsRoundTrip(t *testing.T) {
	a, _ := arch.Preset("maxpool")
	a = a.WithL1(0.01)
	in := arch.Shape{C: 3, H: 8, W: 8}
	m, err := Build(a, in, 4, WithSeed(7))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2, 2))
	x, y := randImages(r, 4, in), randLabels(r, 4, 10)
	if _, _, err := m.TrainStep(x, y); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.weights")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	l, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params() {
		if !reflect.DeepEqual(p.Float32s(), l.Params()[i].Float32s()) {
			t.Errorf("%s differs after a round trip", p.Name)
		}
	}
	p1, _ := m.Predict(x, 4)
	p2, _ := l.Predict(x, 4)
	if !reflect.DeepEqual(p1, p2) {
		t.Error("predictions differ after a round trip")
	}
	// The file is exactly magic + length + header + 4 bytes per parameter.
	b, _ := os.ReadFile(path)
	hl := int(b[9]) | int(b[10])<<8 | int(b[11])<<16 | int(b[12])<<24
	if len(b) != 9+4+hl+4*m.ParamCount() {
		t.Errorf("file of %d bytes; want %d", len(b), 9+4+hl+4*m.ParamCount())
	}
	// Another architecture refuses the weights.
	w, err := ParseWeights(path, b)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := arch.Preset("strided")
	other, _ := Build(s, in, 4)
	if err := other.SetWeights(path, w); err == nil || !strings.Contains(err.Error(), "other layers") {
		t.Errorf("loading maxpool weights into strided: %v", err)
	}
	// Same layers, other input size.
	o2, _ := Build(a, arch.Shape{C: 3, H: 16, W: 16}, 4)
	if err := o2.SetWeights(path, w); err == nil || !strings.Contains(err.Error(), "8x8") {
		t.Errorf("loading 8x8 weights into a 16x16 model: %v", err)
	}
}

func TestParseWeightsErrors(t *testing.T) {
	a, _ := arch.Preset("strided")
	m, _ := Build(a, arch.Shape{C: 3, H: 8, W: 8}, 4)
	good, err := m.MarshalWeights()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseWeights("ok", good); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "not a convlab weights file"},
		{"no length", []byte(WeightsMagic + "\x01"), "truncated"},
		{"huge header", append([]byte(WeightsMagic), 0xff, 0xff, 0xff, 0x7f), "header length"},
		{"truncated data", good[:len(good)-3], "truncated"},
		{"extra data", append(append([]byte(nil), good...), 0, 0, 0, 0), "bytes of weights"},
		{"bad json", append([]byte(WeightsMagic), 2, 0, 0, 0, '{', '['), "weights header"},
	}
	for _, tc := range tests {
		if _, err := ParseWeights("f.weights", tc.b); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "f.weights") {
			t.Errorf("%s: error %v; want one naming the file and mentioning %q", tc.name, err, tc.want)
		}
	}
}

func FuzzParseWeights(f *testing.F) {
	a := arch.Arch{Name: "lin", Layers: []arch.Layer{{Kind: arch.KindFlatten}, {Kind: arch.KindDense, Units: 2, Activation: arch.ActSoftmax}}}
	m, err := Build(a, arch.Shape{C: 1, H: 2, W: 2}, 1)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := m.MarshalWeights()
	f.Add(good)
	f.Add([]byte(WeightsMagic))
	f.Add([]byte(WeightsMagic + "\x10\x00\x00\x00{\"tensors\":[{}]}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ParseWeights("fuzz", b)
		if err != nil {
			return
		}
		if len(w.Values) != len(w.Header.Tensors) {
			t.Fatalf("%d value slices for %d tensors", len(w.Values), len(w.Header.Tensors))
		}
		for i, tn := range w.Header.Tensors {
			n := 1
			for _, d := range tn.Shape {
				n *= d
			}
			if len(w.Values[i]) != n {
				t.Fatalf("tensor %d: %d values for shape %v", i, len(w.Values[i]), tn.Shape)
			}
		}
	})
}

func TestStateRoundTrip(t *testing.T) {
	in := arch.Shape{C: 2, H: 12, W: 12}
	r := rand.New(rand.NewPCG(3, 3))
	x, y := randImages(r, 4, in), randLabels(r, 4, 3)
	a, _ := Build(allKinds(), in, 4, WithSeed(1))
	for range 2 {
		if _, _, err := a.TrainStep(x, y); err != nil {
			t.Fatal(err)
		}
	}
	st, err := a.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Build(allKinds(), in, 4, WithSeed(99))
	if err := b.UnmarshalState(st); err != nil {
		t.Fatal(err)
	}
	// Both continue identically: same dropout draws, moments and weights.
	for range 2 {
		la, _, err1 := a.TrainStep(x, y)
		lb, _, err2 := b.TrainStep(x, y)
		if err1 != nil || err2 != nil || la != lb {
			t.Fatalf("after restoring: losses %v and %v (%v, %v)", la, lb, err1, err2)
		}
	}
	wa, _ := a.MarshalWeights()
	wb, _ := b.MarshalWeights()
	if !bytes.Equal(wa, wb) {
		t.Error("weights differ after restoring the state")
	}
	s, _ := arch.Preset("strided")
	c, _ := Build(s, in, 4)
	if err := c.UnmarshalState(st); err == nil {
		t.Error("a state of another architecture was accepted")
	}
	if err := c.UnmarshalState([]byte("nope")); err == nil {
		t.Error("junk accepted as a state")
	}
}

func FuzzUnmarshalState(f *testing.F) {
	in := arch.Shape{C: 2, H: 12, W: 12}
	m, err := Build(allKinds(), in, 2)
	if err != nil {
		f.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	if _, _, err := m.TrainStep(randImages(r, 2, in), []uint8{0, 1}); err != nil {
		f.Fatal(err)
	}
	st, err := m.MarshalState()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(st)
	f.Add([]byte(stateMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		fresh, err := Build(allKinds(), in, 2)
		if err != nil {
			t.Fatal(err)
		}
		if fresh.UnmarshalState(b) != nil {
			return
		}
		// An accepted state leaves a model that still trains.
		if _, _, err := fresh.TrainStep(randImages(r, 2, in), []uint8{0, 1}); err != nil && !errors.Is(err, ErrNonFinite) {
			t.Fatalf("training after restoring an accepted state: %v", err)
		}
	})
}

func TestDropoutMask(t *testing.T) {
	a, _ := arch.Preset("strided")
	m, _ := Build(a, cifar, 4, WithSeed(1))
	for _, rate := range []float64{0, 0.25, 0.5} {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			mask := tensor.New(tensor.Of(dt), tensor.WithShape(100001))
			m.fillMask(mask, rate)
			keep := 1 / (1 - rate)
			zeros := 0
			for i := 0; i < 100001; i++ {
				v, _ := mask.At(i)
				var f float64
				switch x := v.(type) {
				case float32:
					f = float64(x)
				case float64:
					f = x
				}
				switch {
				case f == 0:
					zeros++
				case math.Abs(f-keep) > 1e-6:
					t.Fatalf("rate %v: mask value %v; want 0 or %v", rate, f, keep)
				}
			}
			// Binomial: the share of zeros is within 5 standard deviations of the rate.
			sd := math.Sqrt(rate * (1 - rate) / 100001)
			if got := float64(zeros) / 100001; math.Abs(got-rate) > 5*sd+1e-9 {
				t.Errorf("rate %v %v: %v of the values dropped", rate, dt, got)
			}
		}
	}
}

// TestPresetsChainTheirLeadingConvolutions checks that every preset's
// leading convolutions (all with ReLUs, the first on the data) run as one
// Conv2DChain op in the training graph, and the others one op each.
func TestPresetsChainTheirLeadingConvolutions(t *testing.T) {
	for _, tc := range []struct {
		name         string
		chain, convs int
	}{{"strided", 4, 0}, {"maxpool", 2, 2}, {"deeper", 6, 0}} {
		a, _ := arch.Preset(tc.name)
		m, err := Build(a, cifar, 4)
		if err != nil {
			t.Fatal(err)
		}
		mc, err := m.build(4, true)
		if err != nil {
			t.Fatal(err)
		}
		var chains []int
		convs := 0
		for _, n := range mc.g.AllNodes() {
			switch n.Op().(type) {
			case *ops.Conv2DChainOp:
				chains = append(chains, (n.Op().Arity()-1)/2)
			case *ops.Conv2DOp:
				convs++
			}
		}
		if len(chains) != 1 || chains[0] != tc.chain || convs != tc.convs {
			t.Errorf("%s: chains of %v layers and %d conv ops; want one of %d and %d", tc.name, chains, convs, tc.chain, tc.convs)
		}
		mc.vm.Close()
	}
}
