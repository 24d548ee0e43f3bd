// The hand-written 2-D convolution of part i: one 8-bit colour channel
// convolved with a square kernel of odd size, zero padding of (k-1)/2 on
// every side so the output keeps the input's size, no kernel flip
// (cross-correlation, as deep-learning libraries compute it), and the
// result clipped to [0, 255].

package convolution

import (
	"fmt"
	"image"
	"math"
)

// Plane is one channel of an image: W x H 8-bit pixels, row-major, so the
// pixel in column x of row y is Pix[y*W+x].
type Plane struct {
	W, H int
	Pix  []uint8
}

// NewPlane returns a black plane of the given size.
func NewPlane(w, h int) *Plane {
	if w < 0 || h < 0 {
		w, h = 0, 0
	}
	return &Plane{W: w, H: h, Pix: make([]uint8, w*h)}
}

// FromRows builds a plane from rows of pixels; every row must have the
// same length.
func FromRows(rows [][]uint8) (*Plane, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, fmt.Errorf("convolve: empty image: want at least one row of at least one pixel")
	}
	w := len(rows[0])
	p := NewPlane(w, len(rows))
	for y, r := range rows {
		if len(r) != w {
			return nil, fmt.Errorf("convolve: row %d has %d pixels, row 1 has %d: every row must have the same length", y+1, len(r), w)
		}
		copy(p.Pix[y*w:], r)
	}
	return p, nil
}

// At is the pixel in column x of row y.
func (p *Plane) At(x, y int) uint8 { return p.Pix[y*p.W+x] }

// Rows returns the pixels as one slice per row (a copy).
func (p *Plane) Rows() [][]uint8 {
	out := make([][]uint8, p.H)
	for y := range out {
		out[y] = append([]uint8(nil), p.Pix[y*p.W:(y+1)*p.W]...)
	}
	return out
}

// Gray returns the plane as a grey-scale image whose bounds start at (0, 0).
func (p *Plane) Gray() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, p.W, p.H))
	for y := 0; y < p.H; y++ {
		copy(g.Pix[y*g.Stride:y*g.Stride+p.W], p.Pix[y*p.W:(y+1)*p.W])
	}
	return g
}

func (p *Plane) check() error {
	if p == nil {
		return fmt.Errorf("convolve: no image (nil plane)")
	}
	if p.W <= 0 || p.H <= 0 {
		return fmt.Errorf("convolve: empty image (%dx%d): want at least 1x1 pixels", p.W, p.H)
	}
	if len(p.Pix) != p.W*p.H {
		return fmt.Errorf("convolve: image of %dx%d pixels holds %d values, want %d", p.W, p.H, len(p.Pix), p.W*p.H)
	}
	return nil
}

// Kernel is a square filter of odd size, indexed [row][column]. It is
// applied as is, without flipping: kernel[0][0] weighs the pixel above and
// to the left of the output pixel.
type Kernel [][]float64

// Size checks that the kernel is square, of odd size, with finite values,
// and returns its size k.
func (k Kernel) Size() (int, error) {
	n := len(k)
	if n == 0 {
		return 0, fmt.Errorf("convolve: empty kernel: want a square kernel of odd size, e.g. 3x3")
	}
	for i, row := range k {
		if len(row) != n {
			return 0, fmt.Errorf("convolve: kernel is not square: it has %d rows but row %d has %d values; want k rows of k values with k odd", n, i+1, len(row))
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("convolve: kernel value at row %d, column %d is %v: want a finite number", i+1, j+1, v)
			}
		}
	}
	if n%2 == 0 {
		return 0, fmt.Errorf("convolve: kernel is %dx%d: its size must be odd (1x1, 3x3, 5x5, ...) so that it has a centre", n, n)
	}
	return n, nil
}

// ConvolveRaw is Convolve before rounding and clipping: out[y*W+x] is the
// sum over the k x k window centred on (x, y), zero-padded at the borders,
// of pixel times kernel weight. With an integer kernel every value is an
// exact integer.
func ConvolveRaw(img *Plane, k Kernel) ([]float64, error) {
	if err := img.check(); err != nil {
		return nil, err
	}
	n, err := k.Size()
	if err != nil {
		return nil, err
	}
	r := (n - 1) / 2
	out := make([]float64, img.W*img.H)
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			var s float64
			for i := 0; i < n; i++ {
				yy := y + i - r
				if yy < 0 || yy >= img.H {
					continue // zero padding
				}
				row := img.Pix[yy*img.W : (yy+1)*img.W]
				for j := 0; j < n; j++ {
					xx := x + j - r
					if xx < 0 || xx >= img.W {
						continue
					}
					s += float64(row[xx]) * k[i][j]
				}
			}
			out[y*img.W+x] = s
		}
	}
	return out, nil
}

// Convolve convolves one 8-bit channel with a square kernel of odd size k:
// zero padding of (k-1)/2 on every side (the output has the input's size),
// no kernel flip, each sum rounded to the nearest integer (halves away from
// zero, which matters only for fractional kernels) and clipped to [0, 255].
func Convolve(img *Plane, k Kernel) (*Plane, error) {
	raw, err := ConvolveRaw(img, k)
	if err != nil {
		return nil, err
	}
	return ClipRaw(raw, img.W, img.H), nil
}

// ClipRaw turns the sums ConvolveRaw returns for a w x h plane into that
// plane's pixels, each rounded and clipped by Clip. raw must hold w*h
// values.
func ClipRaw(raw []float64, w, h int) *Plane {
	out := NewPlane(w, h)
	for i, v := range raw[:len(out.Pix)] {
		out.Pix[i] = Clip(v)
	}
	return out
}

// Clip rounds v to the nearest integer and clips it to an 8-bit pixel.
func Clip(v float64) uint8 {
	v = math.Round(v)
	switch {
	case v <= 0 || math.IsNaN(v):
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v)
}
