package convolution

import (
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"convlab/runner/spec"
)

// pattern is a 12x8 photo whose channels are easy to tell apart and to
// predict: R = 20x, G = 30y, B = 7xy mod 256.
func pattern() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 12, 8))
	for y := 0; y < 8; y++ {
		for x := 0; x < 12; x++ {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(20 * x), G: uint8(30 * y), B: uint8(7 * x * y % 256), A: 255})
		}
	}
	return img
}

func chR(x, y int) uint8 { return uint8(20 * x) }
func chG(x, y int) uint8 { return uint8(30 * y) }
func chB(x, y int) uint8 { return uint8(7 * x * y % 256) }

// setup writes the pattern photo and an experiment file into a fresh
// directory and returns the file's path.
func setup(t *testing.T, yamlBody string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "img"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "img", "p.png"))
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, pattern()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "conv.yaml")
	if err := os.WriteFile(path, []byte(yamlBody), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

func grayAt(img image.Image, x, y int) uint8 {
	return color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
}

// checkRegion compares the w x h region of img at origin with want(x, y).
func checkRegion(t *testing.T, what string, img image.Image, origin image.Point, w, h int, want func(x, y int) uint8) {
	t.Helper()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if got, exp := grayAt(img, origin.X+x, origin.Y+y), want(x, y); got != exp {
				t.Errorf("%s: pixel (%d, %d) is %d, want %d", what, x, y, got, exp)
				return
			}
		}
	}
}

// The kernels of the Figure 1 test have effects known without convolving:
// identity keeps B; double gives min(2B, 255); left takes each pixel's
// right neighbour (no flip: the weight sits right of centre), 0 on the
// last column (zero padding).
const figureYAML = `kind: convolution
name: fig
image: img/p.png
channel: blue
kernels:
  identity: [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
  double: [[0, 0, 0], [0, 2, 0], [0, 0, 0]]
`

func double(x, y int) uint8 { return uint8(min(2*int(chB(x, y)), 255)) }

func fromRight(x, y int) uint8 {
	if x == 11 {
		return 0
	}
	return chB(x+1, y)
}

func TestRunFigure(t *testing.T) {
	path := setup(t, figureYAML)
	out := t.TempDir()
	dir, err := Run(path, out)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(out, "fig") {
		t.Errorf("Run wrote to %s, want %s", dir, filepath.Join(out, "fig"))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"blue.png", "blue_double.png", "blue_identity.png", "figure1.csv", "figure1.png", "green.png", "red.png"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want exactly %v (no temporary files left)", names, want)
	}

	fig := readPNG(t, filepath.Join(dir, "figure1.png"))
	if _, ok := fig.(*image.Gray); !ok {
		t.Errorf("figure1.png decodes as %T, want a grey-scale image", fig)
	}
	// 3 columns x 2 rows of 12x8 panels, each with a label band above it
	// tall enough for a 3x3 kernel's values.
	l := NewKernelLayout(12, 8, 3, []int{0, 3})
	wantW := l.Margin + 3*(12+l.Margin)
	wantH := l.Margin + l.LabelH + 8 + l.Margin + l.BandH(1) + 8 + l.Margin
	if b := fig.Bounds(); b.Dx() != wantW || b.Dy() != wantH {
		t.Fatalf("figure is %dx%d, want %dx%d", b.Dx(), b.Dy(), wantW, wantH)
	}
	panel := func(row, col int) image.Point {
		y := l.Margin + l.LabelH
		if row == 1 {
			y += 8 + l.Margin + l.BandH(1)
		}
		return image.Pt(l.Margin+col*(12+l.Margin), y)
	}
	checkRegion(t, "top-left panel (red)", fig, panel(0, 0), 12, 8, chR)
	checkRegion(t, "top-middle panel (green)", fig, panel(0, 1), 12, 8, chG)
	checkRegion(t, "top-right panel (blue)", fig, panel(0, 2), 12, 8, chB)
	checkRegion(t, "bottom-left panel (blue)", fig, panel(1, 0), 12, 8, chB)
	checkRegion(t, "bottom-middle panel (blue * identity)", fig, panel(1, 1), 12, 8, chB)
	checkRegion(t, "bottom-right panel (blue * double)", fig, panel(1, 2), 12, 8, double)
	if v := grayAt(fig, 0, 0); v != 255 {
		t.Errorf("background pixel is %d, want white", v)
	}

	// Each result on its own, read back.
	for _, c := range []struct {
		file string
		want func(x, y int) uint8
	}{
		{"red.png", chR}, {"green.png", chG}, {"blue.png", chB},
		{"blue_identity.png", chB}, {"blue_double.png", double},
	} {
		img := readPNG(t, filepath.Join(dir, c.file))
		if b := img.Bounds(); b.Dx() != 12 || b.Dy() != 8 {
			t.Errorf("%s is %dx%d, want 12x8", c.file, b.Dx(), b.Dy())
			continue
		}
		checkRegion(t, c.file, img, image.Point{}, 12, 8, c.want)
	}

	checkStats(t, filepath.Join(dir, "figure1.csv"))

	// Running again overwrites the same files.
	if _, err := Run(path, out); err != nil {
		t.Fatalf("second run: %v", err)
	}
}

// TestRenderLabels checks that every label band carries dark text and
// that the space between panels stays white.
func TestRenderLabels(t *testing.T) {
	exp, err := Parse([]byte(figureYAML), "x.yaml")
	if err != nil {
		t.Fatal(err)
	}
	big := image.NewNRGBA(image.Rect(0, 0, 120, 60))
	for i := range big.Pix {
		big.Pix[i] = 200
	}
	res, err := Compute(exp, big)
	if err != nil {
		t.Fatal(err)
	}
	l := res.Layout
	for r, row := range res.Grid {
		for c := range row {
			band := l.label(r, c)
			dark := 0
			for y := band.Min.Y; y < band.Max.Y; y++ {
				for x := band.Min.X; x < band.Max.X; x++ {
					if res.Figure.GrayAt(x, y).Y < 128 {
						dark++
					}
				}
			}
			if dark == 0 {
				t.Errorf("label of panel (%d, %d) %q: no text drawn", r, c, row[c].Label)
			}
		}
	}
	gapX := l.Panel(0, 0).Max.X + l.Margin/2 + 1
	for y := 0; y < res.Figure.Bounds().Dy(); y++ {
		if v := res.Figure.GrayAt(gapX, y).Y; v != 255 {
			t.Fatalf("gap column x=%d is %d at y=%d, want white", gapX, v, y)
		}
	}
}

func TestGridShapes(t *testing.T) {
	tests := []struct {
		kernels  int
		channels []string
		want     string // panels per row
		labels   string // labels of the last row
	}{
		{2, []string{"blue"}, "3 3", "blue|blue * k0|blue * k1"},
		{1, []string{"blue"}, "3 2", "blue|blue * k0"},
		{3, []string{"blue"}, "3 4", "blue|blue * k0|blue * k1|blue * k2"},
		{4, []string{"green"}, "3 5", "green|green * k0|green * k1|green * k2|green * k3"},
		{6, []string{"blue"}, "3 5 2", "blue * k4|blue * k5"},
		{2, []string{"red", "blue"}, "3 3 3", "blue|blue * k0|blue * k1"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d kernels %v", tc.kernels, tc.channels), func(t *testing.T) {
			var names []NamedKernel
			for i := 0; i < tc.kernels; i++ {
				names = append(names, NamedKernel{Name: fmt.Sprintf("k%d", i), Kernel: Kernel{{1}}})
			}
			g := Grid(names, tc.channels, nil, nil)
			var sizes []string
			for _, row := range g {
				sizes = append(sizes, fmt.Sprint(len(row)))
			}
			if got := strings.Join(sizes, " "); got != tc.want {
				t.Errorf("row sizes %q, want %q", got, tc.want)
			}
			var labels []string
			for _, p := range g[len(g)-1] {
				labels = append(labels, p.Label)
			}
			if got := strings.Join(labels, "|"); got != tc.labels {
				t.Errorf("last row %q, want %q", got, tc.labels)
			}
			if got := g[0][0].Label + g[0][1].Label + g[0][2].Label; got != "redgreenblue" {
				t.Errorf("top row %q, want red, green, blue", got)
			}
		})
	}
}

// TestRunWideGridAndJPEG uses several channels, a wrapping row of
// kernels and a JPEG photo.
func TestRunWideGridAndJPEG(t *testing.T) {
	path := setup(t, `kind: convolution
name: wide
image: img/p.jpg
channels: [red, blue]
kernels:
  a: [[1]]
  b: [[0, 0, 0], [0, 0, 1], [0, 0, 0]]
  c: [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
  d: [[-1]]
  e: [[2]]
`)
	f, err := os.Create(filepath.Join(filepath.Dir(path), "img", "p.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(f, pattern(), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	dir, err := Run(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fig := readPNG(t, filepath.Join(dir, "figure1.png"))
	// 5 columns; rows: R G B | red a b c d | e | blue a b c d | e.
	// Kernel lines per row: none, then c is 5x5, e 1x1.
	l := NewKernelLayout(12, 8, 5, []int{0, 5, 1, 5, 1})
	bands := l.LabelH + 2*(l.LabelH+5*l.KernelLineH+l.FontPx/3) + 2*(l.LabelH+l.KernelLineH+l.FontPx/3)
	if b := fig.Bounds(); b.Dx() != l.Margin+5*(12+l.Margin) || b.Dy() != l.Margin+bands+5*(8+l.Margin) {
		t.Errorf("figure is %dx%d, want 5x5 cells of 12x8", b.Dx(), b.Dy())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.png"))
	sort.Strings(files)
	if len(files) != 3+2*5+1 {
		t.Errorf("%d PNG files, want 14: %v", len(files), files)
	}
	// d = [[-1]] clips every pixel to 0.
	d := readPNG(t, filepath.Join(dir, "red_d.png"))
	checkRegion(t, "red_d.png", d, image.Point{}, 12, 8, func(x, y int) uint8 { return 0 })
	// b takes each pixel's right neighbour, whatever JPEG did to them.
	blue := readPNG(t, filepath.Join(dir, "blue.png"))
	b := readPNG(t, filepath.Join(dir, "blue_b.png"))
	checkRegion(t, "blue_b.png", b, image.Point{}, 12, 8, func(x, y int) uint8 {
		if x == 11 {
			return 0
		}
		return grayAt(blue, x+1, y)
	})
}

func TestRunShiftKernelNoFlip(t *testing.T) {
	path := setup(t, strings.Replace(figureYAML, "double: [[0, 0, 0], [0, 2, 0], [0, 0, 0]]", "shift: [[0, 0, 0], [0, 0, 1], [0, 0, 0]]", 1))
	dir, err := Run(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	checkRegion(t, "blue_shift.png", readPNG(t, filepath.Join(dir, "blue_shift.png")), image.Point{}, 12, 8, fromRight)
}

// TestRunStudyFile runs the shipped experiments/figure1.yaml on the
// shipped photo.
func TestRunStudyFile(t *testing.T) {
	path := filepath.Join("..", "experiments", "figure1.yaml")
	if err := validate(path); err != nil {
		t.Fatal(err)
	}
	exp, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if exp.Name != "figure1" || len(exp.Kernels) != 2 || exp.Kernels[0].Name != "kernel_1" || exp.Kernels[0].Kernel[1][1] != 8 ||
		exp.Kernels[1].Kernel[0][0] != 0 || exp.Kernels[1].Kernel[0][1] != -1 || strings.Join(exp.Channels, ",") != "blue" {
		t.Errorf("figure1.yaml is not the study's setting: %+v", exp)
	}
	st, err := os.Stat(exp.Image)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 200<<10 {
		t.Errorf("the shipped photo is %d bytes, want at most 200 KB", st.Size())
	}
	dir, err := Run(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	photo := readPNG(t, exp.Image)
	pb := photo.Bounds()
	fig := readPNG(t, filepath.Join(dir, "figure1.png"))
	l := NewKernelLayout(pb.Dx(), pb.Dy(), 3, []int{0, 3})
	if fb := fig.Bounds(); fb.Dx() != l.Margin+3*(pb.Dx()+l.Margin) || fb.Dy() != l.Margin+l.BandH(0)+l.BandH(1)+2*(pb.Dy()+l.Margin) {
		t.Errorf("figure is %v for a %v photo", fb, pb)
	}
	red := func(x, y int) uint8 {
		return color.NRGBAModel.Convert(photo.At(pb.Min.X+x, pb.Min.Y+y)).(color.NRGBA).R
	}
	checkRegion(t, "top-left panel (red)", fig, l.Panel(0, 0).Min, pb.Dx(), pb.Dy(), red)
}

// validate checks a file as the command line does before running it.
func validate(path string) error {
	exp, err := Load(path)
	if err != nil {
		return err
	}
	return exp.CheckImage()
}

func TestValidateAndRunErrors(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"missing_image.yaml", filepath.Join("testdata", "missing_image.yaml") + ":3:8: image: open " + filepath.Join("testdata", "no", "such", "photo.png")},
		{"not_png.yaml", filepath.Join("testdata", "not_png.yaml") + ":2:8: image " + filepath.Join("testdata", "notapng.png") + ": not a readable PNG or JPEG"},
		{"many_errors.yaml", "unknown key \"chanel\""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			err := validate(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate: %v, want an error containing %q", err, tc.want)
			}
			out := t.TempDir()
			if _, err := Run(path, out); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run: %v, want an error containing %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("a failed run wrote %d entries", len(entries))
			}
		})
	}
	if err := validate(filepath.Join("testdata", "valid.yaml")); err != nil {
		t.Errorf("Validate(valid.yaml): %v", err)
	}
}

func TestCheckImageAndRunExperiment(t *testing.T) {
	path := setup(t, figureYAML)
	exp, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.CheckImage(); err != nil {
		t.Fatalf("CheckImage: %v", err)
	}
	// RunExperiment writes the same files as Run, without reading the
	// experiment file again.
	viaRun, err := Run(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	dir, err := RunExperiment(exp, out)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(out, "fig") {
		t.Errorf("RunExperiment wrote to %s, want %s", dir, filepath.Join(out, "fig"))
	}
	for _, f := range []string{"blue.png", "blue_double.png", "blue_identity.png", "figure1.csv", "figure1.png", "green.png", "red.png"} {
		a, errA := os.ReadFile(filepath.Join(viaRun, f))
		b, errB := os.ReadFile(filepath.Join(dir, f))
		if errA != nil || errB != nil || string(a) != string(b) {
			t.Errorf("%s differs between Run and RunExperiment (%v, %v)", f, errA, errB)
		}
	}

	for _, tc := range []struct{ file, want string }{
		{"missing_image.yaml", filepath.Join("testdata", "missing_image.yaml") + ":3:8: image: open " + filepath.Join("testdata", "no", "such", "photo.png")},
		{"not_png.yaml", filepath.Join("testdata", "not_png.yaml") + ":2:8: image " + filepath.Join("testdata", "notapng.png") + ": not a readable PNG or JPEG"},
	} {
		exp, err := Load(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if err := exp.CheckImage(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: CheckImage: %v, want an error containing %q", tc.file, err, tc.want)
		}
		out := t.TempDir()
		if _, err := RunExperiment(exp, out); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: RunExperiment: %v, want an error containing %q", tc.file, err, tc.want)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 0 {
			t.Errorf("%s: a failed run wrote %d entries", tc.file, len(entries))
		}
	}
}

func TestRunUnwritableOutput(t *testing.T) {
	path := setup(t, figureYAML)
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(path, blocker); err == nil || !strings.Contains(err.Error(), "create output directory") {
		t.Errorf("Run into a file: %v, want an error about the output directory", err)
	}
}

func TestSplitRGBAlpha(t *testing.T) {
	// A half-transparent pixel keeps its (non-premultiplied) colour.
	img := image.NewNRGBA(image.Rect(5, 5, 6, 6))
	img.SetNRGBA(5, 5, color.NRGBA{R: 200, G: 100, B: 50, A: 128})
	p := SplitRGB(img)
	if p["red"].Pix[0] != 200 || p["green"].Pix[0] != 100 || p["blue"].Pix[0] != 50 {
		t.Errorf("channels %d %d %d, want 200 100 50", p["red"].Pix[0], p["green"].Pix[0], p["blue"].Pix[0])
	}
	g := image.NewGray(image.Rect(0, 0, 2, 1))
	g.Pix[1] = 77
	p = SplitRGB(g)
	if p["red"].Pix[1] != 77 || p["blue"].Pix[1] != 77 || p["green"].Pix[0] != 0 {
		t.Errorf("grey photo: every channel should equal the grey level")
	}
}

// checkStats compares figure1.csv of figureYAML with statistics of the
// pattern's blue channel counted here.
func checkStats(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var maxB, sumB, sumD, over int
	for y := 0; y < 8; y++ {
		for x := 0; x < 12; x++ {
			b := int(chB(x, y))
			maxB = max(maxB, b)
			sumB += b
			sumD += int(double(x, y))
			if 2*b > 255 {
				over++
			}
		}
	}
	if over == 0 {
		t.Fatal("the pattern should overflow with the double kernel")
	}
	want := [][]any{
		{"channel", "kernel", "kernel_sum", "raw_min", "raw_max", "mean_output", "share_clipped_below_0", "share_clipped_above_255"},
		{"blue", "identity", 1.0, 0.0, float64(maxB), float64(sumB) / 96, 0.0, 0.0},
		{"blue", "double", 2.0, 0.0, float64(2 * maxB), float64(sumD) / 96, 0.0, float64(over) / 96},
	}
	if len(rows) != len(want) {
		t.Fatalf("figure1.csv has %d rows, want %d: %v", len(rows), len(want), rows)
	}
	for i, w := range want {
		if len(rows[i]) != len(w) {
			t.Fatalf("row %d has %d fields, want %d", i+1, len(rows[i]), len(w))
		}
		for j, cell := range w {
			switch v := cell.(type) {
			case string:
				if rows[i][j] != v {
					t.Errorf("row %d field %d = %q, want %q", i+1, j+1, rows[i][j], v)
				}
			case float64:
				got, err := strconv.ParseFloat(rows[i][j], 64)
				if err != nil || math.Abs(got-v) > 1e-5*max(1, math.Abs(v)) {
					t.Errorf("row %d %s = %q, want %g", i+1, want[0][j], rows[i][j], v)
				}
			}
		}
	}
}

// Every problem of a convolution file, in the YAML or with its photo, is a
// *spec.Error located in the file, as for training files; a photo's error
// keeps its cause.
func TestProblemsAreSpecErrors(t *testing.T) {
	tests := []struct {
		file       string
		line, col  int
		notExist   bool
		wantPrefix string
	}{
		{"missing_image.yaml", 3, 8, true, "image: open "},
		{"not_png.yaml", 2, 8, false, "image "},
		{"many_errors.yaml", 4, 1, false, `unknown key "chanel"`},
	}
	for _, tc := range tests {
		err := validate(filepath.Join("testdata", tc.file))
		var se *spec.Error
		if !errors.As(err, &se) {
			t.Errorf("%s: %v (%T) is not a *spec.Error", tc.file, err, err)
			continue
		}
		if se.File != filepath.Join("testdata", tc.file) || se.Line != tc.line || se.Column != tc.col || !strings.HasPrefix(se.Msg, tc.wantPrefix) {
			t.Errorf("%s: %+v, want line %d:%d and a message starting %q", tc.file, se, tc.line, tc.col, tc.wantPrefix)
		}
		if got := errors.Is(err, fs.ErrNotExist); got != tc.notExist {
			t.Errorf("%s: errors.Is(err, fs.ErrNotExist) = %v, want %v", tc.file, got, tc.notExist)
		}
	}
	// A channel set in code rather than read from a file is checked too.
	exp := &Experiment{Path: "code", Channels: []string{"bleu"}, Kernels: []NamedKernel{{"k", Kernel{{1}}}}}
	_, err := Compute(exp, image.NewRGBA(image.Rect(0, 0, 1, 1)))
	if want := `code: channels: unknown channel "bleu" (did you mean blue?); valid: red, green, blue`; err == nil || err.Error() != want {
		t.Errorf("Compute with channel bleu: %v, want %s", err, want)
	}
}
