package net

import (
	"fmt"
	"math"

	"convlab/arch/kernels"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Adam is Keras' Adam optimiser as a gorgonia Solver. At step t, for every
// weight w with gradient g:
//
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	w ← w − lr·sqrt(1−β2^t)/(1−β1^t) · m/(sqrt(v)+ε)
//
// gorgonia's own AdamSolver divides by sqrt(v̂)+ε with the bias-corrected
// v̂ instead (ε enters differently) and has other defaults, hence this one.
// The moments are kept per position in the list handed to Step, so every
// call must pass the same weights in the same order.
type Adam struct {
	LR, Beta1, Beta2, Eps float64

	t    int
	m, v [][]float64
}

// NewAdam returns an Adam optimiser; zero arguments take Keras' defaults
// (learning rate 0.001, β1 0.9, β2 0.999, ε 1e-7).
func NewAdam(lr, beta1, beta2, eps float64) *Adam {
	a := &Adam{LR: lr, Beta1: beta1, Beta2: beta2, Eps: eps}
	if a.LR == 0 {
		a.LR = 0.001
	}
	if a.Beta1 == 0 {
		a.Beta1 = 0.9
	}
	if a.Beta2 == 0 {
		a.Beta2 = 0.999
	}
	if a.Eps == 0 {
		a.Eps = 1e-7
	}
	return a
}

// Steps is the number of updates done so far.
func (a *Adam) Steps() int { return a.t }

var _ G.Solver = (*Adam)(nil)

// Step applies one update to every weight, in place.
func (a *Adam) Step(vgs []G.ValueGrad) error {
	if a.m == nil {
		a.m = make([][]float64, len(vgs))
		a.v = make([][]float64, len(vgs))
	}
	if len(vgs) != len(a.m) {
		return fmt.Errorf("adam: %d weights, but the optimiser was started with %d", len(vgs), len(a.m))
	}
	type pair struct{ w, g *tensor.Dense }
	// Check everything before changing anything.
	for i, vg := range vgs {
		w, ok := vg.Value().(*tensor.Dense)
		gv, err := vg.Grad()
		if err != nil {
			return fmt.Errorf("adam: weight %d: %w", i, err)
		}
		g, ok2 := gv.(*tensor.Dense)
		if !ok || !ok2 {
			return fmt.Errorf("adam: weight %d: value %T and gradient %T must be dense tensors", i, vg.Value(), gv)
		}
		if w.Shape().TotalSize() != g.Shape().TotalSize() || w.Dtype() != g.Dtype() {
			return fmt.Errorf("adam: weight %d: value %v %v and gradient %v %v differ", i, w.Shape(), w.Dtype(), g.Shape(), g.Dtype())
		}
		if a.m[i] == nil {
			a.m[i] = make([]float64, w.Shape().TotalSize())
			a.v[i] = make([]float64, w.Shape().TotalSize())
		}
		if len(a.m[i]) != w.Shape().TotalSize() {
			return fmt.Errorf("adam: weight %d has %d values, but the optimiser was started with %d", i, w.Shape().TotalSize(), len(a.m[i]))
		}
	}
	a.t++
	t := float64(a.t)
	lr := a.LR * math.Sqrt(1-math.Pow(a.Beta2, t)) / (1 - math.Pow(a.Beta1, t))
	for i, vg := range vgs {
		w := vg.Value().(*tensor.Dense)
		gv, _ := vg.Grad()
		g := gv.(*tensor.Dense)
		switch w.Dtype() {
		case tensor.Float32:
			wd := w.Float32s()
			kernels.Adam(wd, g.Float32s(), a.m[i], a.v[i], a.Beta1, a.Beta2, a.Eps, lr)
		case tensor.Float64:
			wd := w.Float64s()
			kernels.Adam(wd, g.Float64s(), a.m[i], a.v[i], a.Beta1, a.Beta2, a.Eps, lr)
		default:
			return fmt.Errorf("adam: weight %d has element type %v, want float32 or float64", i, w.Dtype())
		}
	}
	return nil
}
