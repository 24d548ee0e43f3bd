package dataset

import (
	"fmt"
	"math"
)

// Tensor is a batch of images ready for training: N images, channels
// first (image i occupies values [i*C*H*W, (i+1)*C*H*W) as C planes of H
// rows of W values), and Y holds the N class labels. The images are
// Pixels, bytes whose value v stands for float32(v)/255: a quarter of the
// memory of float32 images, converted a batch at a time by Images.
type Tensor struct {
	Pixels     []uint8
	Y          []uint8
	N, C, H, W int
}

// Size is the number of values in one image.
func (t *Tensor) Size() int { return t.C * t.H * t.W }

// Values is the number of image values the tensor holds.
func (t *Tensor) Values() int { return len(t.Pixels) }

// Images writes images [from, to) into dst (at least (to−from)·Size
// values) as float32 values in [0, 1].
func (t *Tensor) Images(dst []float32, from, to int) {
	size := t.Size()
	scale(dst, t.Pixels[from*size:to*size])
}

// Image writes image i into dst (Size values), as Images does.
func (t *Tensor) Image(dst []float32, i int) { t.Images(dst, i, i+1) }

// scale sets dst[i] to src[i] / 255 as float32.
func scale(dst []float32, src []uint8) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = scaled[v]
	}
}

// Prepared is a data set prepared as the study does: the training images
// split into a training part and a held-out validation part, and the test
// set, all scaled to [0, 1].
type Prepared struct {
	Train, Val, Test Tensor
	Classes          []string
}

// SplitAt returns the number of the first n images kept for training when
// the fraction valSplit is held out for validation, exactly as Keras
// computes it: int(n * (1 - valSplit)).
func SplitAt(n int, valSplit float64) int {
	return int(float64(n) * (1 - valSplit))
}

// Prepare takes the first n training images and holds out the LAST
// valSplit fraction of them for validation (Keras: split_at =
// int(n * (1 - valSplit)); train = [:split_at], val = [split_at:]), before
// any shuffling; the test part is the whole test set. The parts' images
// are the sets' own pixel bytes (Tensor.Pixels, not copied, to be read
// only), scaled to [0, 1] as float32 as they are used; their labels are
// copies. The sets are not modified.
func Prepare(train, test *Set, n int, valSplit float64) (*Prepared, error) {
	if train == nil || test == nil {
		return nil, fmt.Errorf("prepare data: training and test sets are required")
	}
	if err := train.check("training"); err != nil {
		return nil, err
	}
	if err := test.check("test"); err != nil {
		return nil, err
	}
	if train.C != test.C || train.H != test.H || train.W != test.W {
		return nil, fmt.Errorf("prepare data: training images are %dx%dx%d but test images are %dx%dx%d; both sets must have the same shape",
			train.C, train.H, train.W, test.C, test.H, test.W)
	}
	if n <= 0 {
		return nil, fmt.Errorf("prepare data: n = %d training images; n must be at least 1", n)
	}
	if n > train.N {
		return nil, fmt.Errorf("prepare data: n = %d training images requested but only %d are available; "+
			"use n <= %d, or point the data set's directory (data_dir: in the experiment file, or its environment variable) at the full data set",
			n, train.N, train.N)
	}
	if math.IsNaN(valSplit) || valSplit < 0 || valSplit >= 1 {
		return nil, fmt.Errorf("prepare data: validation split %v; valid values are 0 <= split < 1", valSplit)
	}
	at := SplitAt(n, valSplit)
	if at < 1 {
		return nil, fmt.Errorf("prepare data: validation split %v of n = %d leaves no training images; use a larger n or a smaller split", valSplit, n)
	}
	p := &Prepared{
		Train:   toTensor(train, 0, at),
		Val:     toTensor(train, at, n),
		Test:    toTensor(test, 0, test.N),
		Classes: append([]string(nil), train.Classes...),
	}
	return p, nil
}

// CheckN reports whether the training set train, read by
// LoadCached(name, dir), holds the n images a run asks for; the error names
// the data set, its resolved directory and where to point it instead
// (data_dir: or the data set's environment variable). Call it before
// Prepare, whose own message cannot name the data set.
func CheckN(name, dir string, train *Set, n int) error {
	info, err := Lookup(name)
	if err != nil {
		return err
	}
	if train == nil || n <= train.N {
		return nil
	}
	where := "data_dir: in the experiment file"
	if info.Env != "" {
		where += " or $" + info.Env
	}
	resolved, err := ResolveDir(name, dir)
	if err != nil {
		return err
	}
	if resolved != "" {
		resolved = " in " + resolved
	}
	return fmt.Errorf("n = %d, but data set %s%s has only %d training images; use n <= %d, or point %s at the full data set",
		n, name, resolved, train.N, train.N, where)
}

// check reports whether the set's slices agree with its declared shape.
func (s *Set) check(what string) error {
	if s.N < 0 || s.C <= 0 || s.H <= 0 || s.W <= 0 {
		return fmt.Errorf("prepare data: %s set has shape N=%d C=%d H=%d W=%d; all must be positive", what, s.N, s.C, s.H, s.W)
	}
	if len(s.Pixels) != s.N*s.Size() {
		return fmt.Errorf("prepare data: %s set has %d pixel values, want N*C*H*W = %d", what, len(s.Pixels), s.N*s.Size())
	}
	if len(s.Labels) != s.N {
		return fmt.Errorf("prepare data: %s set has %d labels for %d images", what, len(s.Labels), s.N)
	}
	return nil
}

// scaled[v] is float32(v) / 255, the value Keras' x.astype("float32") / 255
// gives, looked up instead of divided for every pixel.
var scaled = func() (t [256]float32) {
	for v := range t {
		t[v] = float32(v) / 255
	}
	return t
}()

// toTensor is images [from, to) of s, sharing s's pixels.
func toTensor(s *Set, from, to int) Tensor {
	size := s.Size()
	y := make([]uint8, to-from)
	copy(y, s.Labels[from:to])
	return Tensor{Pixels: s.Pixels[from*size : to*size : to*size], Y: y, N: to - from, C: s.C, H: s.H, W: s.W}
}
