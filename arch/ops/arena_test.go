package ops

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// first is the address of a float32 tensor's first value: two tensors on
// one slab share it.
func first(t *tensor.Dense) *float32 { return &t.Float32s()[0] }

func TestArenaLending(t *testing.T) {
	f32 := tensor.Float32
	tests := []struct {
		name string
		run  func(t *testing.T, a *Arena)
	}{
		{"a value being read is not lent again", func(t *testing.T, a *Arena) {
			x := a.lend(nil, f32, []int{10, 10}, 1)
			y := a.lend(nil, f32, []int{5, 10}, 1)
			if first(x) == first(y) {
				t.Error("the second value sits on the first's slab while the first has a reader")
			}
			if a.Bytes() != 150*4 {
				t.Errorf("Bytes = %d; want %d", a.Bytes(), 150*4)
			}
		}},
		{"a value read by all its readers frees its slab", func(t *testing.T, a *Arena) {
			x := a.lend(nil, f32, []int{100}, 2)
			a.consumed([]G.Value{x})
			if y := a.lend(nil, f32, []int{60}, 1); first(x) == first(y) {
				t.Error("lent again after one of two reads")
			}
			a.consumed([]G.Value{x})
			y := a.lend(nil, f32, []int{3, 20}, 1)
			if first(x) != first(y) {
				t.Error("not lent again after both reads")
			}
			if want := (tensor.Shape{3, 20}); !y.Shape().Eq(want) || len(y.Float32s()) != 60 {
				t.Errorf("lent %v with %d values; want %v with 60", y.Shape(), len(y.Float32s()), want)
			}
			if a.Bytes() != 160*4 {
				t.Errorf("Bytes = %d; want %d (no third slab)", a.Bytes(), 160*4)
			}
		}},
		{"the tightest free slab is chosen", func(t *testing.T, a *Arena) {
			big := a.lend(nil, f32, []int{200}, 1)
			small := a.lend(nil, f32, []int{100}, 1)
			a.consumed([]G.Value{big, small})
			if y := a.lend(nil, f32, []int{80}, 1); first(y) != first(small) {
				t.Error("80 values not lent the 100-value slab")
			}
			if y := a.lend(nil, f32, []int{150}, 1); first(y) != first(big) {
				t.Error("150 values not lent the 200-value slab")
			}
		}},
		{"an input given twice is two reads", func(t *testing.T, a *Arena) {
			x := a.lend(nil, f32, []int{10}, 3)
			a.consumed([]G.Value{x, x})
			if y := a.lend(nil, f32, []int{10}, 1); first(x) == first(y) {
				t.Error("a value with three reads freed by two")
			}
			a.consumed([]G.Value{x})
			if y := a.lend(nil, f32, []int{10}, 1); first(x) != first(y) {
				t.Error("a value not freed by its third read")
			}
		}},
		{"Reset frees every slab", func(t *testing.T, a *Arena) {
			x := a.lend(nil, f32, []int{10}, 3)
			a.Reset()
			if y := a.lend(nil, f32, []int{10}, 1); first(x) != first(y) {
				t.Error("not lent again after Reset")
			}
		}},
		{"an op lent the same slab and shape gets its tensor back", func(t *testing.T, a *Arena) {
			x := a.lend(nil, f32, []int{4, 4}, 1)
			a.Reset()
			if y := a.lend(x, f32, []int{4, 4}, 1); y != x {
				t.Error("a new tensor for the same slab and shape")
			}
			a.Reset()
			y := a.lend(x, f32, []int{2, 4}, 1)
			if y == x || first(y) != first(x) {
				t.Error("a smaller shape on the same slab: want a new tensor over the same values")
			}
		}},
		{"float64 values never sit on float32 slabs", func(t *testing.T, a *Arena) {
			x := a.lend(nil, f32, []int{10}, 1)
			a.consumed([]G.Value{x})
			y := a.lend(nil, tensor.Float64, []int{5}, 1)
			if y.Dtype() != tensor.Float64 || len(y.Float64s()) != 5 {
				t.Fatalf("lent %v with %d values; want float64 with 5", y.Dtype(), len(y.Float64s()))
			}
			if a.Bytes() != 10*4+5*8 {
				t.Errorf("Bytes = %d; want %d", a.Bytes(), 10*4+5*8)
			}
		}},
		{"the last reader of a value is handed its slab", func(t *testing.T, a *Arena) {
			x := a.lend(nil, f32, []int{10}, 1)
			if got := a.handOn(x, nil, x.Shape(), 2); got != x {
				t.Fatalf("handOn returned %p; want the input %p", got, x)
			}
			a.consumed([]G.Value{x}) // the handing op's own read
			a.consumed([]G.Value{x}) // the first of the output's two readers
			if y := a.lend(nil, f32, []int{10}, 1); first(x) == first(y) {
				t.Error("the handed-on slab lent again with a reader left")
			}
			a.consumed([]G.Value{x})
			if y := a.lend(nil, f32, []int{10}, 1); first(x) != first(y) {
				t.Error("the handed-on slab not freed by its readers")
			}
		}},
		{"a reshape is handed a view of its input's slab", func(t *testing.T, a *Arena) {
			x := a.lend(nil, f32, []int{2, 6}, 1)
			if got := a.handOn(x, nil, tensor.Shape{5, 2}, 1); got != nil {
				t.Fatal("handed on a slab to an output of another size")
			}
			v := a.handOn(x, nil, tensor.Shape{3, 4}, 1)
			if v == nil || !v.Shape().Eq(tensor.Shape{3, 4}) || first(v) != first(x) {
				t.Fatalf("handOn in shape (3, 4) = %v; want a 3×4 view of the input's slab", v)
			}
			a.consumed([]G.Value{x}) // the reshape's own read
			if y := a.lend(nil, f32, []int{12}, 1); first(y) == first(x) {
				t.Error("the viewed slab lent again before the view's reader")
			}
			a.consumed([]G.Value{v})
			if y := a.lend(nil, f32, []int{12}, 1); first(y) != first(x) {
				t.Error("the viewed slab not freed by the view's reader")
			}
			// The next run's same hand-over reuses the view.
			a.Reset()
			x2 := a.lend(x, f32, []int{2, 6}, 1)
			if v2 := a.handOn(x2, v, tensor.Shape{3, 4}, 1); v2 != v {
				t.Errorf("the second run's view %p; want the first's %p again", v2, v)
			}
		}},
		{"a value with readers to come is not handed on", func(t *testing.T, a *Arena) {
			x := a.lend(nil, f32, []int{10}, 2)
			if got := a.handOn(x, nil, x.Shape(), 1); got != nil {
				t.Error("handed on a value another op still reads")
			}
			own := tensor.New(tensor.WithShape(10), tensor.WithBacking(make([]float32, 10)))
			if got := a.handOn(own, nil, own.Shape(), 1); got != nil {
				t.Error("handed on a value the arena did not lend")
			}
			var owned buffer
			if got := owned.inPlace(x); got != nil {
				t.Error("an owned output written over its input")
			}
		}},
		{"values not lent are ignored", func(t *testing.T, a *Arena) {
			x := a.lend(nil, f32, []int{10}, 1)
			own := tensor.New(tensor.WithShape(10), tensor.WithBacking(make([]float32, 10)))
			f := G.F32(1)
			a.consumed([]G.Value{own, &f, nil})
			if y := a.lend(nil, f32, []int{10}, 1); first(x) == first(y) {
				t.Error("a foreign value counted as a read of a lent one")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, NewArena()) })
	}
}

func TestArenaNil(t *testing.T) {
	var a *Arena
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, 1, 2, 2), G.WithName("x"))
	p, err := MaxPool2D(nil, x, 2)
	if err != nil {
		t.Fatal(err)
	}
	a.Share(g)
	a.Reset()
	if a.Bytes() != 0 {
		t.Errorf("Bytes = %d; want 0", a.Bytes())
	}
	if op := p.Op().(*MaxPool2DOp); op.out.arena != nil || op.arena != nil {
		t.Error("a nil arena lent a buffer")
	}
}

// TestArenaShare checks which outputs Share lends: those of lending ops
// that some node reads and that are not kept.
func TestArenaShare(t *testing.T) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 1, 4, 4), G.WithName("x"))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(2, 1, 3, 3), G.WithName("w"))
	b := G.NewTensor(g, tensor.Float32, 1, G.WithShape(2), G.WithName("b"))
	conv, err := Conv2D(nil, x, w, b, ConvParams{Stride: 1, Padding: "same", ReLU: true})
	if err != nil {
		t.Fatal(err)
	}
	pool, err := MaxPool2D(nil, conv, 2)
	if err != nil {
		t.Fatal(err)
	}
	// back reads the conv output a second time and the pool output
	// twice: three reads of pool in all, one per input slot.
	grad, err := MaxPool2D(nil, pool, 2)
	if err != nil {
		t.Fatal(err)
	}
	back, err := G.ApplyOp(&MaxPool2DBackwardOp{base: newBase("MaxPool2DBackward(2)", nil), p: 2}, conv, pool, pool)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		keep    []*G.Node
		readers map[*G.Node]int // 0: not lent
	}{
		{"everything read is lent", nil, map[*G.Node]int{conv: 2, pool: 3, grad: 0, back: 0}},
		{"kept nodes stay owned", []*G.Node{pool}, map[*G.Node]int{conv: 2, pool: 0, grad: 0, back: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for n := range tc.readers {
				b := n.Op().(lender).output()
				b.arena, b.readers = nil, 0
			}
			a := NewArena()
			a.Share(g, tc.keep...)
			for n, want := range tc.readers {
				b := n.Op().(lender).output()
				if want == 0 && b.arena != nil {
					t.Errorf("%v: lent; want owned", n.Op())
				}
				if want > 0 && (b.arena != a || b.readers != want) {
					t.Errorf("%v: lent %t with %d readers; want lent with %d", n.Op(), b.arena == a, b.readers, want)
				}
			}
			users := map[string]*Arena{
				"conv": conv.Op().(*Conv2DOp).arena, "pool": pool.Op().(*MaxPool2DOp).arena,
				"grad": grad.Op().(*MaxPool2DOp).arena, "back": back.Op().(*MaxPool2DBackwardOp).arena,
			}
			for name, got := range users {
				if got != a {
					t.Errorf("%s: does not count its inputs off to the arena", name)
				}
			}
		})
	}
}
