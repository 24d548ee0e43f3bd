package convolution_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"convlab/convolution"
)

// gorgoniaConv computes the same convolution with gorgonia's own Conv2d
// (float64, one image, one channel, one filter, stride 1, padding (k-1)/2).
func gorgoniaConv(t *testing.T, p *convolution.Plane, k convolution.Kernel) []float64 {
	t.Helper()
	n := len(k)
	xs := make([]float64, len(p.Pix))
	for i, v := range p.Pix {
		xs[i] = float64(v)
	}
	ws := make([]float64, 0, n*n)
	for _, row := range k {
		ws = append(ws, row...)
	}
	g := gorgonia.NewGraph()
	x := gorgonia.NodeFromAny(g, tensor.New(tensor.WithShape(1, 1, p.H, p.W), tensor.WithBacking(xs)), gorgonia.WithName("x"))
	w := gorgonia.NodeFromAny(g, tensor.New(tensor.WithShape(1, 1, n, n), tensor.WithBacking(ws)), gorgonia.WithName("w"))
	pad := (n - 1) / 2
	y, err := gorgonia.Conv2d(x, w, tensor.Shape{n, n}, []int{pad, pad}, []int{1, 1}, []int{1, 1})
	if err != nil {
		t.Fatalf("gorgonia.Conv2d: %v", err)
	}
	m := gorgonia.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatalf("gorgonia run: %v", err)
	}
	if s := y.Shape(); len(s) != 4 || s[2] != p.H || s[3] != p.W {
		t.Fatalf("gorgonia output shape %v, want (1, 1, %d, %d)", s, p.H, p.W)
	}
	return append([]float64(nil), y.Value().Data().([]float64)...)
}

// TestAgreesWithGorgonia compares the unclipped result with gorgonia's
// Conv2d on random images and kernels: both compute cross-correlation
// with zero padding, the convention the training engine uses too.
func TestAgreesWithGorgonia(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	cases := []struct{ w, h, k int }{
		{6, 5, 3}, {9, 7, 3}, {4, 8, 5}, {7, 7, 5}, {5, 3, 1}, {3, 4, 7},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%d_k%d", c.w, c.h, c.k), func(t *testing.T) {
			p := convolution.NewPlane(c.w, c.h)
			for i := range p.Pix {
				p.Pix[i] = uint8(r.Intn(256))
			}
			k := make(convolution.Kernel, c.k)
			for i := range k {
				k[i] = make([]float64, c.k)
				for j := range k[i] {
					k[i][j] = math.Round((r.Float64()*4-2)*100) / 100
				}
			}
			got, err := convolution.ConvolveRaw(p, k)
			if err != nil {
				t.Fatal(err)
			}
			want := gorgoniaConv(t, p, k)
			if len(got) != len(want) {
				t.Fatalf("%d values, gorgonia gives %d", len(got), len(want))
			}
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-9 {
					t.Fatalf("pixel (%d, %d): %v, gorgonia gives %v", i%c.w, i/c.w, got[i], want[i])
				}
			}
		})
	}
}
