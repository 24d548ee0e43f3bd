package convolution

import (
	"math"
	"math/rand"
	"strings"
	"testing"
)

// rowsOf repeats one row h times.
func rowsOf(row []uint8, h int) [][]uint8 {
	out := make([][]uint8, h)
	for i := range out {
		out[i] = append([]uint8(nil), row...)
	}
	return out
}

func mustPlane(t *testing.T, rows [][]uint8) *Plane {
	t.Helper()
	p, err := FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func rawRows(raw []float64, w int) [][]float64 {
	var out [][]float64
	for y := 0; y*w < len(raw); y++ {
		out = append(out, raw[y*w:(y+1)*w])
	}
	return out
}

func equalRaw(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				return false
			}
		}
	}
	return true
}

func equalPix(a, b [][]uint8) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if string(a[i]) != string(b[i]) {
			return false
		}
	}
	return true
}

// TestConvolveHandWorked checks outputs worked out by hand and written down.
func TestConvolveHandWorked(t *testing.T) {
	// 5x5 kernel with entries 1..25 in reading order: k[i][j] = 5i+j+1.
	k5 := make(Kernel, 5)
	for i := range k5 {
		k5[i] = make([]float64, 5)
		for j := range k5[i] {
			k5[i][j] = float64(5*i + j + 1)
		}
	}
	impulse := func(w, h, x, y int, v uint8) [][]uint8 {
		rows := rowsOf(make([]uint8, w), h)
		rows[y][x] = v
		return rows
	}
	tests := []struct {
		name    string
		in      [][]uint8
		k       Kernel
		wantRaw [][]float64
		want    [][]uint8
	}{
		{
			// The study's worked example. Column values c = 10,10,10,0,0,0
			// (0 beyond the border); each output row is, per column,
			// c[x-1] - c[x+1] = -10, 0, 10, 10, 0, 0 summed over the rows
			// of the window that lie inside the image: 2 on the top and
			// bottom rows, 3 in between. A flipped kernel would give the
			// opposite signs (20, 0, -20, ...).
			name: "study vertical edge",
			in:   rowsOf([]uint8{10, 10, 10, 0, 0, 0}, 5),
			k:    Kernel{{1, 0, -1}, {1, 0, -1}, {1, 0, -1}},
			wantRaw: [][]float64{
				{-20, 0, 20, 20, 0, 0},
				{-30, 0, 30, 30, 0, 0},
				{-30, 0, 30, 30, 0, 0},
				{-30, 0, 30, 30, 0, 0},
				{-20, 0, 20, 20, 0, 0},
			},
			want: [][]uint8{
				{0, 0, 20, 20, 0, 0},
				{0, 0, 30, 30, 0, 0},
				{0, 0, 30, 30, 0, 0},
				{0, 0, 30, 30, 0, 0},
				{0, 0, 20, 20, 0, 0},
			},
		},
		{
			// A constant 100 with the all-ones kernel: each sum is 100
			// times the number of in-image pixels of the window (4 in a
			// corner, 6 on an edge, 9 inside), then clipped at 255.
			name: "box sum clipped high",
			in:   rowsOf([]uint8{100, 100, 100, 100}, 3),
			k:    Kernel{{1, 1, 1}, {1, 1, 1}, {1, 1, 1}},
			wantRaw: [][]float64{
				{400, 600, 600, 400},
				{600, 900, 900, 600},
				{400, 600, 600, 400},
			},
			want: rowsOf([]uint8{255, 255, 255, 255}, 3),
		},
		{
			// kernel_1 of Figure 1 on a single bright pixel: 8*50 in the
			// centre (clipped), -50 around it (clipped to 0).
			name: "kernel_1 on an impulse",
			in:   impulse(3, 3, 1, 1, 50),
			k:    Kernel{{-1, -1, -1}, {-1, 8, -1}, {-1, -1, -1}},
			wantRaw: [][]float64{
				{-50, -50, -50},
				{-50, 400, -50},
				{-50, -50, -50},
			},
			want: [][]uint8{{0, 0, 0}, {0, 255, 0}, {0, 0, 0}},
		},
		{
			// kernel_2 on a 2-pixel-wide bar. Pixel (x=1, y=1): 8*40 - 40
			// (above) - 40 (below) - 40 (right neighbour, in the bar) - 0
			// (left) = 200; on the top row the pixel above is padding, so
			// 8*40 - 40 - 40 = 240; outside the bar, 0 - 40 = -40.
			name: "kernel_2 on a bar",
			in:   rowsOf([]uint8{0, 40, 40, 0}, 3),
			k:    Kernel{{0, -1, 0}, {-1, 8, -1}, {0, -1, 0}},
			wantRaw: [][]float64{
				{-40, 240, 240, -40},
				{-40, 200, 200, -40},
				{-40, 240, 240, -40},
			},
			want: [][]uint8{
				{0, 240, 240, 0},
				{0, 200, 200, 0},
				{0, 240, 240, 0},
			},
		},
		{
			// The response to an impulse is the kernel rotated by 180
			// degrees, centred on the impulse: output (x, y) = 10 *
			// k[5-y][5-x] for the impulse at (3, 3).
			name: "5x5 kernel on a centred impulse",
			in:   impulse(7, 7, 3, 3, 10),
			k:    k5,
			wantRaw: [][]float64{
				{0, 0, 0, 0, 0, 0, 0},
				{0, 250, 240, 230, 220, 210, 0},
				{0, 200, 190, 180, 170, 160, 0},
				{0, 150, 140, 130, 120, 110, 0},
				{0, 100, 90, 80, 70, 60, 0},
				{0, 50, 40, 30, 20, 10, 0},
				{0, 0, 0, 0, 0, 0, 0},
			},
			want: [][]uint8{
				{0, 0, 0, 0, 0, 0, 0},
				{0, 250, 240, 230, 220, 210, 0},
				{0, 200, 190, 180, 170, 160, 0},
				{0, 150, 140, 130, 120, 110, 0},
				{0, 100, 90, 80, 70, 60, 0},
				{0, 50, 40, 30, 20, 10, 0},
				{0, 0, 0, 0, 0, 0, 0},
			},
		},
		{
			// The same impulse in the top-left corner: only the part of
			// the rotated kernel that falls inside the image remains,
			// output (x, y) = 10 * k[2-y][2-x].
			name: "5x5 kernel on a corner impulse",
			in:   impulse(4, 4, 0, 0, 10),
			k:    k5,
			wantRaw: [][]float64{
				{130, 120, 110, 0},
				{80, 70, 60, 0},
				{30, 20, 10, 0},
				{0, 0, 0, 0},
			},
			want: [][]uint8{
				{130, 120, 110, 0},
				{80, 70, 60, 0},
				{30, 20, 10, 0},
				{0, 0, 0, 0},
			},
		},
		{
			name:    "1x1 kernel scales and rounds",
			in:      [][]uint8{{0, 3, 5, 200}},
			k:       Kernel{{0.5}},
			wantRaw: [][]float64{{0, 1.5, 2.5, 100}},
			want:    [][]uint8{{0, 2, 3, 100}},
		},
		{
			name:    "single pixel image with a 3x3 kernel",
			in:      [][]uint8{{7}},
			k:       Kernel{{9, 9, 9}, {9, 2, 9}, {9, 9, 9}},
			wantRaw: [][]float64{{14}},
			want:    [][]uint8{{14}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlane(t, tc.in)
			raw, err := ConvolveRaw(p, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			if got := rawRows(raw, p.W); !equalRaw(got, tc.wantRaw) {
				t.Errorf("ConvolveRaw =\n%v\nwant\n%v", got, tc.wantRaw)
			}
			out, err := Convolve(p, tc.k)
			if err != nil {
				t.Fatal(err)
			}
			if out.W != p.W || out.H != p.H {
				t.Fatalf("output is %dx%d, want the input's %dx%d", out.W, out.H, p.W, p.H)
			}
			if got := out.Rows(); !equalPix(got, tc.want) {
				t.Errorf("Convolve =\n%v\nwant\n%v", got, tc.want)
			}
		})
	}
}

func randomPlane(r *rand.Rand, w, h int) *Plane {
	p := NewPlane(w, h)
	for i := range p.Pix {
		p.Pix[i] = uint8(r.Intn(256))
	}
	return p
}

func TestIdentityAndZeroKernels(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	identity := func(n int) Kernel {
		k := make(Kernel, n)
		for i := range k {
			k[i] = make([]float64, n)
		}
		k[n/2][n/2] = 1
		return k
	}
	zero := func(n int) Kernel {
		k := make(Kernel, n)
		for i := range k {
			k[i] = make([]float64, n)
		}
		return k
	}
	for _, n := range []int{1, 3, 5, 7} {
		for _, size := range [][2]int{{1, 1}, {2, 9}, {8, 3}, {11, 6}} {
			p := randomPlane(r, size[0], size[1])
			out, err := Convolve(p, identity(n))
			if err != nil {
				t.Fatal(err)
			}
			if string(out.Pix) != string(p.Pix) {
				t.Errorf("identity %dx%d on %dx%d: output differs from input", n, n, p.W, p.H)
			}
			out, err = Convolve(p, zero(n))
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range out.Pix {
				if v != 0 {
					t.Errorf("zero %dx%d kernel on %dx%d: pixel %d is %d, want 0", n, n, p.W, p.H, i, v)
					break
				}
			}
		}
	}
}

func TestConvolveDoesNotModifyInput(t *testing.T) {
	p := randomPlane(rand.New(rand.NewSource(2)), 6, 4)
	before := append([]uint8(nil), p.Pix...)
	if _, err := Convolve(p, Kernel{{-1, -1, -1}, {-1, 8, -1}, {-1, -1, -1}}); err != nil {
		t.Fatal(err)
	}
	if string(before) != string(p.Pix) {
		t.Error("Convolve changed its input")
	}
}

func TestConvolveErrors(t *testing.T) {
	ok := &Plane{W: 2, H: 2, Pix: []uint8{1, 2, 3, 4}}
	k3 := Kernel{{0, 0, 0}, {0, 1, 0}, {0, 0, 0}}
	tests := []struct {
		name string
		img  *Plane
		k    Kernel
		want string
	}{
		{"nil image", nil, k3, "no image"},
		{"zero width", &Plane{W: 0, H: 3}, k3, "empty image (0x3)"},
		{"zero height", &Plane{W: 4, H: 0}, k3, "empty image (4x0)"},
		{"negative size", &Plane{W: -1, H: -1}, k3, "empty image"},
		{"short pixels", &Plane{W: 2, H: 2, Pix: []uint8{1, 2, 3}}, k3, "holds 3 values, want 4"},
		{"nil kernel", ok, nil, "empty kernel"},
		{"even kernel", ok, Kernel{{1, 0}, {0, 1}}, "kernel is 2x2: its size must be odd"},
		{"even 4x4 kernel", ok, Kernel{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}, "kernel is 4x4"},
		{"non-square kernel", ok, Kernel{{1, 0}, {0, 1}, {1, 1}}, "3 rows but row 1 has 2 values"},
		{"ragged kernel", ok, Kernel{{1, 0, 1}, {0, 1}, {1, 1, 1}}, "row 2 has 2 values"},
		{"empty rows", ok, Kernel{{}}, "1 rows but row 1 has 0 values"},
		{"NaN in kernel", ok, Kernel{{math.NaN()}}, "row 1, column 1 is NaN"},
		{"Inf in kernel", ok, Kernel{{0, 0, 0}, {0, 0, math.Inf(1)}, {0, 0, 0}}, "row 2, column 3 is +Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Convolve(tc.img, tc.k)
			if err == nil {
				t.Fatalf("Convolve = %v, want an error containing %q", out, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if _, err := ConvolveRaw(tc.img, tc.k); err == nil {
				t.Error("ConvolveRaw accepted what Convolve rejects")
			}
		})
	}
}

func TestFromRowsErrors(t *testing.T) {
	for _, rows := range [][][]uint8{nil, {{}}, {{1, 2}, {3}}} {
		if _, err := FromRows(rows); err == nil {
			t.Errorf("FromRows(%v) accepted a bad image", rows)
		}
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   float64
		want uint8
	}{
		{-1e9, 0}, {-0.6, 0}, {-0.4, 0}, {0, 0}, {0.49, 0}, {0.5, 1}, {1.5, 2}, {254.4, 254},
		{254.5, 255}, {255, 255}, {1020, 255}, {math.Inf(1), 255}, {math.Inf(-1), 0}, {math.NaN(), 0},
	}
	for _, tc := range tests {
		if got := Clip(tc.in); got != tc.want {
			t.Errorf("Clip(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestClipRaw(t *testing.T) {
	raw := []float64{-3, 0.5, 254.5, 1020, 7, math.NaN()}
	p := ClipRaw(raw, 3, 2)
	if p.W != 3 || p.H != 2 {
		t.Fatalf("plane is %dx%d, want 3x2", p.W, p.H)
	}
	for i, v := range raw {
		if p.Pix[i] != Clip(v) {
			t.Errorf("pixel %d = %d, want Clip(%v) = %d", i, p.Pix[i], v, Clip(v))
		}
	}
	// Convolve is ConvolveRaw then ClipRaw.
	img := mustPlane(t, [][]uint8{{10, 200, 30}, {40, 250, 60}})
	k := Kernel{{0, -1, 0}, {-1, 4.4, -1}, {0, -1, 0}}
	r, err := ConvolveRaw(img, k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Convolve(img, k)
	if err != nil {
		t.Fatal(err)
	}
	want := ClipRaw(r, img.W, img.H)
	if string(got.Pix) != string(want.Pix) {
		t.Errorf("Convolve = %v, ClipRaw(ConvolveRaw) = %v", got.Pix, want.Pix)
	}
}

func TestGray(t *testing.T) {
	p := mustPlane(t, [][]uint8{{1, 2, 3}, {4, 5, 6}})
	g := p.Gray()
	if b := g.Bounds(); b.Dx() != 3 || b.Dy() != 2 {
		t.Fatalf("bounds %v, want 3x2", b)
	}
	if v := g.GrayAt(2, 1).Y; v != 6 {
		t.Errorf("GrayAt(2, 1) = %d, want 6", v)
	}
	if v := g.GrayAt(0, 1).Y; v != 4 {
		t.Errorf("GrayAt(0, 1) = %d, want 4", v)
	}
}
