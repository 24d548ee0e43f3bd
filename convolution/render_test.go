package convolution

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/cmpimg"
)

var update = flag.Bool("update", false, "rewrite the golden images under testdata")

// goldenPhoto is a 160x100 picture with edges in every direction: a
// diagonal gradient crossed by a bright disc and a dark bar.
func goldenPhoto() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 160, 100))
	for y := range 100 {
		for x := range 160 {
			v := uint8((x + 2*y) * 255 / 360)
			if dx, dy := x-60, y-50; dx*dx+dy*dy < 900 {
				v = 230
			}
			if x > 110 && x < 125 {
				v = 20
			}
			img.SetNRGBA(x, y, color.NRGBA{R: v, G: 255 - v, B: v / 2, A: 255})
		}
	}
	return img
}

// TestFigureGolden renders Figure 1 of a fixed photo with a 3x3, a 5x5
// and a 9x9 kernel (too big to print, named by its size) and compares it
// with testdata/figure1_golden.png (cmpimg); -update rewrites it.
func TestFigureGolden(t *testing.T) {
	nine := make(Kernel, 9)
	for i := range nine {
		nine[i] = make([]float64, 9)
	}
	nine[4][4] = 1
	exp := &Experiment{Path: "golden.yaml", Channels: []string{"blue"}, Kernels: []NamedKernel{
		{Name: "edges", Kernel: Kernel{{-1, -1, -1}, {-1, 8, -1}, {-1, -1, -1}}},
		{Name: "blur", Kernel: Kernel{{0, 0, 0.04, 0, 0}, {0, 0.04, 0.08, 0.04, 0}, {0.04, 0.08, 0.2, 0.08, 0.04}, {0, 0.04, 0.08, 0.04, 0}, {0, 0, 0.04, 0, 0}}},
		{Name: "identity", Kernel: nine},
	}}
	res, err := Compute(exp, goldenPhoto())
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := png.Encode(&got, res.Figure); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "figure1_golden.png")
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./convolution -run TestFigureGolden -update)", err)
	}
	ok, err := cmpimg.Equal("png", got.Bytes(), want)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		out := filepath.Join(t.TempDir(), "figure1.png")
		_ = os.WriteFile(out, got.Bytes(), 0o644)
		t.Errorf("Figure 1 differs from %s; the new drawing is %s (go test -update accepts it)", path, out)
	}
	// Room for the values of the largest kernel shown, in its row only.
	if l := res.Layout; l.RowLines[1] != 5 || l.RowLines[0] != 0 {
		t.Errorf("kernel lines per row %v, want 0 for the channels and 5 for the 5x5 kernel", l.RowLines)
	}
}
