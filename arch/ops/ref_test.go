package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// run1 builds op(inputs) on float32 or float64 values in a fresh graph,
// runs it twice (the second run reuses the op's buffers) and returns the
// output values as float64.
func run1(t *testing.T, dt tensor.Dtype, ins [][]float64, shapes [][]int, build func(cfg *Config, xs []*G.Node) (*G.Node, error)) ([]float64, tensor.Shape) {
	t.Helper()
	g := G.NewGraph()
	cfg := NewConfig(3)
	nodes := make([]*G.Node, len(ins))
	for i, d := range ins {
		var tv *tensor.Dense
		if dt == tensor.Float32 {
			f := make([]float32, len(d))
			for j, v := range d {
				f[j] = float32(v)
			}
			tv = tensor.New(tensor.WithShape(shapes[i]...), tensor.WithBacking(f))
		} else {
			tv = tensor.New(tensor.WithShape(shapes[i]...), tensor.WithBacking(append([]float64(nil), d...)))
		}
		nodes[i] = G.NewTensor(g, dt, len(shapes[i]), G.WithShape(shapes[i]...), G.WithValue(tv), G.WithName(fmt.Sprintf("in%d", i)))
	}
	out, err := build(cfg, nodes)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	for range 2 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
	}
	var res []float64
	switch d := out.Value().Data().(type) {
	case []float32:
		for _, v := range d {
			res = append(res, float64(v))
		}
	case []float64:
		res = d
	case float32:
		res = []float64{float64(d)}
	case float64:
		res = []float64{d}
	}
	return res, out.Shape()
}

// naiveConv is a direct, independent implementation of Keras' Conv2D on
// NCHW data: 'same' pads max((out-1)·s+k-in, 0) zeros split with the
// extra one after; 'valid' pads nothing.
func naiveConv(x []float64, n, c, h, w int, k []float64, f, ks, stride int, same bool, b []float64, relu bool) ([]float64, int, int) {
	var oh, ow, pt, pl int
	if same {
		oh, ow = int(math.Ceil(float64(h)/float64(stride))), int(math.Ceil(float64(w)/float64(stride)))
		pt = max((oh-1)*stride+ks-h, 0) / 2
		pl = max((ow-1)*stride+ks-w, 0) / 2
	} else {
		oh, ow = (h-ks)/stride+1, (w-ks)/stride+1
	}
	at := func(in, ch, y, xx int) float64 {
		if y < 0 || y >= h || xx < 0 || xx >= w {
			return 0
		}
		return x[((in*c+ch)*h+y)*w+xx]
	}
	out := make([]float64, n*f*oh*ow)
	for in := 0; in < n; in++ {
		for fi := 0; fi < f; fi++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					s := b[fi]
					for ch := 0; ch < c; ch++ {
						for i := 0; i < ks; i++ {
							for j := 0; j < ks; j++ {
								s += at(in, ch, oy*stride-pt+i, ox*stride-pl+j) * k[((fi*c+ch)*ks+i)*ks+j]
							}
						}
					}
					if relu {
						s = math.Max(s, 0)
					}
					out[((in*f+fi)*oh+oy)*ow+ox] = s
				}
			}
		}
	}
	return out, oh, ow
}

func closeAll(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values; want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol*(1+math.Abs(want[i])) {
			t.Fatalf("%s: value %d is %v; want %v", what, i, got[i], want[i])
		}
	}
}

func TestConvMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	tests := []struct {
		n, c, h, w, f, k, s int
		same, relu          bool
	}{
		{2, 3, 32, 32, 4, 3, 2, true, true}, // the study's stride-2 case: pad 0 before, 1 after
		{2, 3, 8, 8, 5, 3, 1, true, true},
		{1, 2, 7, 9, 3, 3, 2, true, false},
		{3, 2, 9, 8, 2, 5, 3, true, false},
		{2, 2, 7, 6, 3, 3, 1, false, true},
		{1, 1, 9, 9, 2, 5, 2, false, false},
		{4, 1, 1, 1, 2, 1, 1, true, false},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%dx%dx%dx%d f%d k%d s%d same=%t", tc.n, tc.c, tc.h, tc.w, tc.f, tc.k, tc.s, tc.same)
		x := randData(r, tc.n*tc.c*tc.h*tc.w)
		k := randData(r, tc.f*tc.c*tc.k*tc.k)
		b := randData(r, tc.f)
		want, oh, ow := naiveConv(x, tc.n, tc.c, tc.h, tc.w, k, tc.f, tc.k, tc.s, tc.same, b, tc.relu)
		pad := "valid"
		if tc.same {
			pad = "same"
		}
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			got, shape := run1(t, dt, [][]float64{x, k, b}, [][]int{{tc.n, tc.c, tc.h, tc.w}, {tc.f, tc.c, tc.k, tc.k}, {tc.f}},
				func(cfg *Config, xs []*G.Node) (*G.Node, error) {
					return Conv2D(cfg, xs[0], xs[1], xs[2], ConvParams{Stride: tc.s, Padding: pad, ReLU: tc.relu})
				})
			if !shape.Eq(tensor.Shape{tc.n, tc.f, oh, ow}) {
				t.Fatalf("%s: shape %v; want %v", name, shape, []int{tc.n, tc.f, oh, ow})
			}
			tol := 1e-12
			if dt == tensor.Float32 {
				tol = 1e-5
			}
			closeAll(t, name+" "+dt.String(), got, want, tol)
		}
	}
}

func TestStridedSamePaddingIsAsymmetric(t *testing.T) {
	// 4×4 input, 3×3 kernel of ones, stride 2, 'same': Keras pads 0 rows
	// before and 1 after, so output (0,0) sums x[0:2,0:2] + nothing
	// before — unlike a symmetric pad of 1, which would sum x[-1:2,-1:2].
	x := make([]float64, 16)
	for i := range x {
		x[i] = float64(i + 1)
	}
	k := []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}
	got, _ := run1(t, tensor.Float64, [][]float64{x, k, {0}}, [][]int{{1, 1, 4, 4}, {1, 1, 3, 3}, {1}},
		func(cfg *Config, xs []*G.Node) (*G.Node, error) {
			return Conv2D(cfg, xs[0], xs[1], xs[2], ConvParams{Stride: 2, Padding: "same"})
		})
	// rows 0-2 × cols 0-2: 1+2+3+5+6+7+9+10+11 = 54; (0,1): cols 2-3 → 3+4+7+8+11+12 = 45;
	// (1,0): rows 2-3, cols 0-2 → 9+10+11+13+14+15 = 72; (1,1): 11+12+15+16 = 54.
	closeAll(t, "stride-2 same", got, []float64{54, 45, 72, 54}, 0)
}

func TestMaxPoolMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, tc := range []struct{ n, c, h, w, p int }{{2, 3, 8, 8, 2}, {1, 2, 7, 5, 2}, {2, 1, 9, 10, 3}} {
		x := randData(r, tc.n*tc.c*tc.h*tc.w)
		oh, ow := tc.h/tc.p, tc.w/tc.p
		want := make([]float64, tc.n*tc.c*oh*ow)
		for nc := 0; nc < tc.n*tc.c; nc++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					m := math.Inf(-1)
					for i := 0; i < tc.p; i++ {
						for j := 0; j < tc.p; j++ {
							m = math.Max(m, x[(nc*tc.h+oy*tc.p+i)*tc.w+ox*tc.p+j])
						}
					}
					want[(nc*oh+oy)*ow+ox] = m
				}
			}
		}
		got, shape := run1(t, tensor.Float32, [][]float64{x}, [][]int{{tc.n, tc.c, tc.h, tc.w}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) { return MaxPool2D(cfg, xs[0], tc.p) })
		if !shape.Eq(tensor.Shape{tc.n, tc.c, oh, ow}) {
			t.Fatalf("pool shape %v", shape)
		}
		closeAll(t, "maxpool", got, want, 1e-7)
	}
}

func TestDenseMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	n, d, u := 5, 7, 3
	x, w, b := randData(r, n*d), randData(r, d*u), randData(r, u)
	x[3] = 0 // the zero-skipping path
	for _, relu := range []bool{false, true} {
		want := make([]float64, n*u)
		for i := 0; i < n; i++ {
			for j := 0; j < u; j++ {
				s := b[j]
				for k := 0; k < d; k++ {
					s += x[i*d+k] * w[k*u+j]
				}
				if relu {
					s = math.Max(s, 0)
				}
				want[i*u+j] = s
			}
		}
		got, _ := run1(t, tensor.Float64, [][]float64{x, w, b}, [][]int{{n, d}, {d, u}, {u}},
			func(cfg *Config, xs []*G.Node) (*G.Node, error) { return Dense(cfg, xs[0], xs[1], xs[2], relu) })
		closeAll(t, fmt.Sprintf("dense relu=%t", relu), got, want, 1e-12)
	}
}

func TestSoftmaxCEHandWorked(t *testing.T) {
	// logits (0, ln 3) with target class 1: p = (1/4, 3/4), CE = ln(4/3);
	// logits (1000, 0) with target class 1: CE = 1000 (no overflow).
	var op *SoftmaxCEOp
	got, _ := run1(t, tensor.Float32, [][]float64{{0, math.Log(3), 1000, 0}, {0, 1, 0, 1}}, [][]int{{2, 2}, {2, 2}},
		func(cfg *Config, xs []*G.Node) (*G.Node, error) {
			n, o, err := SoftmaxCE(cfg, xs[0], xs[1])
			op = o
			return n, err
		})
	want := (math.Log(4.0/3) + 1000) / 2
	if math.Abs(got[0]-want) > 1e-3 || math.Abs(op.Loss()-want) > 1e-6 {
		t.Errorf("cross-entropy %v (op says %v); want %v", got[0], op.Loss(), want)
	}
	p := op.Probs().Data().([]float32)
	closeAll(t, "probs", []float64{float64(p[0]), float64(p[1]), float64(p[2]), float64(p[3])}, []float64{0.25, 0.75, 1, 0}, 1e-6)
}

func TestPenaltyHandWorked(t *testing.T) {
	var op *PenaltyOp
	got, _ := run1(t, tensor.Float64, [][]float64{{1, -2, 0, 0.5}}, [][]int{{2, 2}},
		func(cfg *Config, xs []*G.Node) (*G.Node, error) {
			n, o, err := Penalty(cfg, xs[0], 0.1, 0.01)
			op = o
			return n, err
		})
	// 0.1·(1+2+0+0.5) + 0.01·(1+4+0+0.25)
	want := 0.35 + 0.0525
	if math.Abs(got[0]-want) > 1e-12 || math.Abs(op.Value()-want) > 1e-12 {
		t.Errorf("penalty %v (op %v); want %v", got[0], op.Value(), want)
	}
}

func TestOpErrors(t *testing.T) {
	g := G.NewGraph()
	cfg := NewConfig(1)
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 2, 5, 5), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(3, 4, 3, 3), G.WithName("w"))
	b := G.NewTensor(g, tensor.Float32, 1, G.WithShape(3), G.WithName("b"))
	if _, err := Conv2D(cfg, x, w, b, ConvParams{Stride: 1, Padding: "same"}); err == nil || !strings.Contains(err.Error(), "do not fit") {
		t.Errorf("conv with 4-channel filters on 2 channels: %v", err)
	}
	w2 := G.NewTensor(g, tensor.Float32, 4, G.WithShape(3, 2, 3, 3), G.WithName("w2"))
	if _, err := Conv2D(cfg, x, w2, b, ConvParams{Stride: 1, Padding: "full"}); err == nil || !strings.Contains(err.Error(), "same or valid") {
		t.Errorf("conv with padding full: %v", err)
	}
	relu1 := ConvParams{Stride: 1, Padding: "same", ReLU: true, NoInputGrad: true}
	relu := ConvParams{Stride: 1, Padding: "same", ReLU: true}
	if _, err := Conv2DChain(cfg, x, G.Nodes{w2, b, w2, b}, []ConvParams{relu1, {Stride: 1, Padding: "same"}}); err == nil || !strings.Contains(err.Error(), "needs a ReLU") {
		t.Errorf("chain without the second ReLU: %v", err)
	}
	if _, err := Conv2DChain(cfg, x, G.Nodes{w2, b}, []ConvParams{relu1}); err == nil || !strings.Contains(err.Error(), "two layers or more") {
		t.Errorf("chain of one layer: %v", err)
	}
	if _, err := Conv2DChain(cfg, x, G.Nodes{w2, b, w2, b}, []ConvParams{relu1, relu}); err == nil || !strings.Contains(err.Error(), "layer 2") || !strings.Contains(err.Error(), "do not fit") {
		t.Errorf("chain whose second filters take 2 channels of the first's 3: %v", err)
	}
	chain := &Conv2DChainOp{base: newBase("Conv2DChain", cfg), layers: []ConvParams{relu1, relu}, mids: make([]buffer, 1)}
	back := &Conv2DChainBackwardOp{base: newBase("Conv2DChainBackward", cfg), src: chain}
	t4 := tensor.New(tensor.WithShape(1, 2, 5, 5), tensor.WithBacking(make([]float32, 50)))
	if _, err := back.Do(t4, t4, t4, t4); err == nil || !strings.Contains(err.Error(), "forward pass has not run") {
		t.Errorf("chain backward before the forward pass: %v", err)
	}
	if _, err := MaxPool2D(cfg, x, 6); err == nil {
		t.Error("pool 6 on a 5x5 input accepted")
	}
	v := G.NewTensor(g, tensor.Float32, 2, G.WithShape(2, 3), G.WithName("v"))
	dw := G.NewTensor(g, tensor.Float32, 2, G.WithShape(4, 3), G.WithName("dw"))
	if _, err := Dense(cfg, v, dw, b, false); err == nil {
		t.Error("dense 2x3 · 4x3 accepted")
	}
	// Do on values of the wrong kind or shape fails cleanly.
	op := &Conv2DOp{base: newBase("Conv2D", cfg), p: ConvParams{Stride: 1, Padding: "same"}}
	if _, err := op.Do(tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{1, 2}))); err == nil {
		t.Error("conv Do with one input succeeded")
	}
	xi := tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking(make([]int, 9)))
	if _, err := op.Do(xi, xi, xi); err == nil || !strings.Contains(err.Error(), "float32 or float64") {
		t.Errorf("conv Do on ints: %v", err)
	}
	x32 := tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking(make([]float32, 9)))
	x64 := tensor.New(tensor.WithShape(1, 1, 3, 3), tensor.WithBacking(make([]float64, 9)))
	b32 := tensor.New(tensor.WithShape(1), tensor.WithBacking(make([]float32, 1)))
	if _, err := op.Do(x32, x64, b32); err == nil || !strings.Contains(err.Error(), "mix") {
		t.Errorf("conv Do mixing float32 and float64: %v", err)
	}
}

func TestBuffersAreReused(t *testing.T) {
	var b buffer
	t1 := b.get(tensor.Float32, 2, 3)
	if t2 := b.get(tensor.Float32, 2, 3); t2 != t1 {
		t.Error("same shape: a new tensor")
	}
	if t3 := b.get(tensor.Float32, 3, 2); t3 == t1 {
		t.Error("new shape: the old tensor")
	}
	if t4 := b.get(tensor.Float64, 3, 2); t4.Dtype() != tensor.Float64 {
		t.Error("new dtype: the old tensor")
	}
}
