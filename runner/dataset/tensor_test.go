package dataset

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// tinySet has n images of 1x1x2 pixels: image i is (i*10, 255-i) with
// label i%10.
func tinySet(n int) *Set {
	s := &Set{N: n, C: 1, H: 1, W: 2, Classes: []string{"c0", "c1"}}
	for i := 0; i < n; i++ {
		s.Pixels = append(s.Pixels, byte(i*10), byte(255-i))
		s.Labels = append(s.Labels, byte(i%10))
	}
	return s
}

func TestSplitAt(t *testing.T) {
	// Expected values computed by Python: int(n * (1 - split)).
	tests := []struct {
		n     int
		split float64
		want  int
	}{
		{5000, 0.1, 4500},
		{10000, 0.1, 9000},
		{20000, 0.1, 18000},
		{40000, 0.1, 36000},
		{5170, 0.1, 4653},
		{1000, 0.1, 900},
		{10, 0.3, 7},
		{100, 0.7, 30},
		{50, 0.9, 4}, // 1 - 0.9 is 0.09999999999999998: Keras keeps 4, not 5
		{10, 0, 10},
		{3, 0.5, 1},
	}
	for _, tc := range tests {
		if got := SplitAt(tc.n, tc.split); got != tc.want {
			t.Errorf("SplitAt(%d, %v) = %d; want %d", tc.n, tc.split, got, tc.want)
		}
	}
}

func TestPrepare(t *testing.T) {
	train, test := tinySet(12), tinySet(3)
	p, err := Prepare(train, test, 10, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if p.Train.N != 8 || p.Val.N != 2 || p.Test.N != 3 {
		t.Fatalf("sizes %d/%d/%d; want 8/2/3", p.Train.N, p.Val.N, p.Test.N)
	}
	for _, tt := range []Tensor{p.Train, p.Val, p.Test} {
		if tt.C != 1 || tt.H != 1 || tt.W != 2 || tt.Values() != tt.N*2 || len(tt.Y) != tt.N {
			t.Fatalf("tensor %+v has the wrong shape", tt)
		}
	}
	val, tr, te := allImages(&p.Val), allImages(&p.Train), allImages(&p.Test)
	// The validation images are the LAST two of the first ten: 8 and 9,
	// not 10 and 11.
	if p.Val.Y[0] != 8 || p.Val.Y[1] != 9 {
		t.Errorf("validation labels %v; want [8 9]", p.Val.Y)
	}
	// Hand-worked scaled values: image 9 is (90, 246) -> (90/255, 246/255).
	want := []float32{float32(90) / 255, float32(246) / 255}
	if val[2] != want[0] || val[3] != want[1] {
		t.Errorf("validation image 1 = %v; want %v", val[2:4], want)
	}
	if tr[0] != 0 || tr[1] != 1 {
		t.Errorf("training image 0 = %v; want [0 1]", tr[:2])
	}
	if got := tr[2*7]; got < 0.27450 || got > 0.27451 { // 70/255
		t.Errorf("training image 7 red = %v; want 70/255 = 0.274509...", got)
	}
	if p.Test.Y[2] != 2 || te[5] != float32(253)/255 {
		t.Errorf("test image 2 = %v label %d; want [20/255 253/255] label 2", te[4:6], p.Test.Y[2])
	}
	one := make([]float32, 2)
	p.Val.Image(one, 1)
	if one[0] != want[0] || one[1] != want[1] {
		t.Errorf("Val.Image(1) = %v; want %v", one, want)
	}
	if strings.Join(p.Classes, ",") != "c0,c1" {
		t.Errorf("classes %v; want the training set's", p.Classes)
	}
	// Labels and classes are copies: changing them leaves the set alone.
	// The pixels are the set's own (read-only) bytes, not a copy.
	p.Train.Y[0] = 7
	p.Classes[0] = "x"
	if train.Labels[0] != 0 || train.Classes[0] != "c0" {
		t.Error("Prepare's labels or classes share memory with the set")
	}
	if &p.Val.Pixels[0] != &train.Pixels[8*2] {
		t.Error("Prepare copied the pixels instead of sharing the set's")
	}
}

// allImages is every image of t as float32.
func allImages(t *Tensor) []float32 {
	x := make([]float32, t.N*t.Size())
	t.Images(x, 0, t.N)
	return x
}

func TestTensorImagesFromBytes(t *testing.T) {
	// A tensor hands out images [from, to) of its bytes, each v as v/255.
	tt := Tensor{Pixels: []uint8{0, 51, 102, 153, 204, 255}, Y: []uint8{0, 1, 2}, N: 3, C: 1, H: 1, W: 2}
	got := make([]float32, 4)
	tt.Images(got, 1, 3)
	if want := []float32{102.0 / 255, 153.0 / 255, 204.0 / 255, 1}; !slices.Equal(got, want) {
		t.Errorf("Images(1, 3) = %v; want %v", got, want)
	}
	if tt.Values() != 6 {
		t.Errorf("Values() = %d; want 6", tt.Values())
	}
}

func TestPrepareErrors(t *testing.T) {
	other := tinySet(3)
	other.C, other.W = 2, 1
	broken := tinySet(3)
	broken.Labels = broken.Labels[:2]
	tests := []struct {
		name        string
		train, test *Set
		n           int
		split       float64
		want        []string
	}{
		{"n above available", tinySet(12), tinySet(3), 13, 0.1, []string{"n = 13", "only 12 are available", "data_dir:"}},
		{"n zero", tinySet(12), tinySet(3), 0, 0.1, []string{"n = 0", "at least 1"}},
		{"split one", tinySet(12), tinySet(3), 10, 1, []string{"split 1", "0 <= split < 1"}},
		{"split negative", tinySet(12), tinySet(3), 10, -0.1, []string{"split -0.1"}},
		{"no training left", tinySet(12), tinySet(3), 10, 0.9, []string{"leaves no training images"}},
		{"shape mismatch", tinySet(12), other, 10, 0.1, []string{"1x1x2", "2x1x1"}},
		{"labels short", broken, tinySet(3), 2, 0.1, []string{"2 labels for 3 images"}},
		{"nil set", nil, tinySet(3), 2, 0.1, []string{"required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Prepare(tc.train, tc.test, tc.n, tc.split)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestPrepareNotDataSetSpecific(t *testing.T) {
	// Prepare does not know which data set it prepares, so it names no
	// data set's environment variable; CheckN does.
	_, err := Prepare(tinySet(12), tinySet(3), 13, 0.1)
	if err == nil {
		t.Fatal("no error")
	}
	for _, env := range []string{CIFAR10Env, FashionMNISTEnv} {
		if strings.Contains(err.Error(), env) {
			t.Errorf("error %q names %s", err, env)
		}
	}
}

func TestCheckN(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		want []string
		bad  []string
	}{
		{"cifar10", []string{"n = 13", "data set cifar10 in " + dir, "only 12 training images", "n <= 12", "data_dir:", "$CIFAR10_DIR"}, []string{FashionMNISTEnv}},
		{"fashion-mnist", []string{"n = 13", "data set fashion-mnist in " + dir, "only 12 training images", "n <= 12", "data_dir:", "$FASHION_MNIST_DIR"}, []string{CIFAR10Env}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckN(tc.name, dir, tinySet(12), 12); err != nil {
				t.Errorf("n = 12 of 12: %v", err)
			}
			err := CheckN(tc.name, dir, tinySet(12), 13)
			if err == nil {
				t.Fatal("n = 13 of 12: no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, b := range tc.bad {
				if strings.Contains(err.Error(), b) {
					t.Errorf("error %q names the other data set's %s", err, b)
				}
			}
		})
	}
	if err := CheckN("mnist", dir, tinySet(12), 1); err == nil || !strings.Contains(err.Error(), `"mnist"`) {
		t.Errorf("unknown data set: error %v; want it named", err)
	}
}

func TestPrepareSubset(t *testing.T) {
	dir := os.Getenv("CIFAR10_DIR")
	if dir == "" {
		t.Skip("CIFAR10_DIR is not set")
	}
	train, test, err := LoadCached("cifar10", dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(train, test, 5000, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Train.N != 4500 || p.Val.N != 500 || p.Test.N != 1017 {
		t.Fatalf("sizes %d/%d/%d; want 4500/500/1017", p.Train.N, p.Val.N, p.Test.N)
	}
	for _, k := range []int{0, 1, 3071} {
		if got, want := allImages(&p.Val)[k], float32(train.Pixels[4500*3072+k])/255; got != want {
			t.Errorf("validation value %d = %v; want image 4500's %v", k, got, want)
		}
	}
	if p.Val.Y[499] != train.Labels[4999] {
		t.Error("the last validation label is not image 4999's")
	}
	if _, err := Prepare(train, test, 10000, 0.1); err == nil || !strings.Contains(err.Error(), "only 5170 are available") {
		t.Errorf("n = 10000 on the subset: error %v; want one naming the 5170 available", err)
	}
}

func ExamplePrepare() {
	// Ten 1x1x1 images with pixel values 0, 25, 50, ... and labels 0..9.
	s := &Set{N: 10, C: 1, H: 1, W: 1}
	for i := 0; i < 10; i++ {
		s.Pixels = append(s.Pixels, byte(25*i))
		s.Labels = append(s.Labels, byte(i))
	}
	p, err := Prepare(s, s, 8, 0.25)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("train:", p.Train.N, p.Train.Y)
	val := make([]float32, p.Val.N*p.Val.Size())
	p.Val.Images(val, 0, p.Val.N)
	fmt.Println("val:", p.Val.N, p.Val.Y, val)
	// Output:
	// train: 6 [0 1 2 3 4 5]
	// val: 2 [6 7] [0.5882353 0.6862745]
}

func ExampleSplitAt() {
	fmt.Println(SplitAt(5000, 0.1), SplitAt(50, 0.9))
	// Output: 4500 4
}
