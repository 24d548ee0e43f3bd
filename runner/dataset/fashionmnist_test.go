package dataset

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadFashionMNISTFixture reads testdata/fashion, written by Python:
// gzip-compressed training files and plain test files.
func TestReadFashionMNISTFixture(t *testing.T) {
	train, test, err := ReadFashionMNIST(filepath.Join("testdata", "fashion"))
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 3 || test.N != 2 {
		t.Fatalf("got %d train, %d test images; want 3 and 2", train.N, test.N)
	}
	if !bytes.Equal(train.Labels, []byte{9, 0, 3}) || !bytes.Equal(test.Labels, []byte{5, 7}) {
		t.Errorf("labels %v, %v; want [9 0 3], [5 7]", train.Labels, test.Labels)
	}
	if train.C != 1 || train.H != 28 || train.W != 28 || len(train.Pixels) != 3*784 {
		t.Fatalf("shape %dx%dx%d with %d pixels; want 1x28x28 with %d", train.C, train.H, train.W, len(train.Pixels), 3*784)
	}
	// (i*31 + y*7 + x) mod 256, worked by hand.
	cases := []struct {
		set     *Set
		i, y, x int
		want    byte
	}{
		{train, 0, 0, 0, 0},
		{train, 0, 0, 27, 27},
		{train, 0, 1, 0, 7},
		{train, 2, 27, 27, 22}, // 62 + 189 + 27 = 278, mod 256
		{test, 1, 3, 2, 54},    // 31 + 21 + 2
	}
	for _, c := range cases {
		if got := c.set.Pixels[c.i*784+c.y*28+c.x]; got != c.want {
			t.Errorf("image %d pixel (%d,%d) = %d; want %d", c.i, c.y, c.x, got, c.want)
		}
	}
	if train.Classes[9] != "Ankle boot" {
		t.Errorf("class 9 = %q; want Ankle boot", train.Classes[9])
	}
}

func TestReadFashionMNISTErrors(t *testing.T) {
	good := map[string][]byte{
		"train-images-idx3-ubyte": idxBytes([]int{3, 28, 28}, fashionImages(3)),
		"train-labels-idx1-ubyte": idxBytes([]int{3}, []byte{1, 2, 3}),
		"t10k-images-idx3-ubyte":  idxBytes([]int{2, 28, 28}, fashionImages(2)),
		"t10k-labels-idx1-ubyte":  idxBytes([]int{2}, []byte{4, 5}),
	}
	badMagic := idxBytes([]int{2}, []byte{4, 5})
	badMagic[1] = 1
	tests := []struct {
		name string
		file string
		data []byte // nil removes the file
		want []string
	}{
		{"missing labels", "train-labels-idx1-ubyte", nil, []string{"train-labels-idx1-ubyte", "FASHION_MNIST_DIR"}},
		{"bad magic", "t10k-labels-idx1-ubyte", badMagic, []string{"t10k-labels-idx1-ubyte", "magic number 00010801", "not an IDX file"}},
		{"value type", "t10k-labels-idx1-ubyte", append([]byte{0, 0, 0x0d, 1, 0, 0, 0, 2}, 4, 5), []string{"value type 0x0d", "0x08"}},
		{"zero dimensions", "t10k-labels-idx1-ubyte", []byte{0, 0, 8, 0}, []string{"0 dimensions"}},
		{"image size", "train-images-idx3-ubyte", idxBytes([]int{3, 27, 28}, make([]byte, 3*27*28)), []string{"train-images-idx3-ubyte", "[3 27 28]", "[N 28 28]"}},
		{"labels not 1-D", "train-labels-idx1-ubyte", idxBytes([]int{3, 1}, []byte{1, 2, 3}), []string{"[3 1]", "want [N]"}},
		{"count mismatch", "t10k-labels-idx1-ubyte", idxBytes([]int{3}, []byte{1, 2, 3}), []string{"2 images", "3 labels"}},
		{"label above 9", "train-labels-idx1-ubyte", idxBytes([]int{3}, []byte{1, 12, 3}), []string{"label 1 is 12", "0 to 9"}},
		{"truncated data", "t10k-images-idx3-ubyte", idxBytes([]int{2, 28, 28}, fashionImages(2))[:1000], []string{"truncated", "1568 values", "only 984"}},
		{"truncated header", "t10k-images-idx3-ubyte", []byte{0, 0, 8, 3, 0, 0}, []string{"dimension 1", "unexpected EOF"}},
		{"trailing bytes", "t10k-labels-idx1-ubyte", append(idxBytes([]int{2}, []byte{4, 5}), 9, 9), []string{"2 bytes follow"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range good {
				if name == tc.file {
					data = tc.data
				}
				if data != nil {
					writeFile(t, filepath.Join(dir, name), data)
				}
			}
			_, _, err := ReadFashionMNIST(dir)
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

func TestDecodeIDXGzipDetection(t *testing.T) {
	plain := idxBytes([]int{2, 2}, []byte{1, 2, 3, 4})
	for _, tc := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"x-idx2-ubyte", plain, true},
		{"x-idx2-ubyte", gzipBytes(t, plain), true}, // content decides
		{"x-idx2-ubyte.gz", gzipBytes(t, plain), true},
		{"x-idx2-ubyte.gz", plain, false}, // named .gz but not compressed
		{"x-idx2-ubyte.gz", gzipBytes(t, plain)[:12], false},
	} {
		m, err := DecodeIDX(bytes.NewReader(tc.data), tc.name, -1)
		if (err == nil) != tc.ok {
			t.Errorf("%s (%d bytes): error %v; want ok = %v", tc.name, len(tc.data), err, tc.ok)
			continue
		}
		if tc.ok && (len(m.Dims) != 2 || m.Dims[0] != 2 || m.Dims[1] != 2 || !bytes.Equal(m.Data, []byte{1, 2, 3, 4})) {
			t.Errorf("%s: got %v %v; want [2 2] [1 2 3 4]", tc.name, m.Dims, m.Data)
		}
	}
}

func TestDecodeIDXHugeHeader(t *testing.T) {
	// A header declaring 2^32-1 x 2 values is refused before any reading.
	data := idxBytes([]int{1<<32 - 1, 2}, nil)
	if _, err := DecodeIDX(bytes.NewReader(data), "huge", -1); err == nil || !strings.Contains(err.Error(), "declare more than") {
		t.Fatalf("error %v; want a refusal of the declared size", err)
	}
	// A plausible count with little data behind it is reported as truncated.
	data = idxBytes([]int{60000, 28, 28}, make([]byte, 10))
	if _, err := DecodeIDX(bytes.NewReader(data), "short", int64(len(data))); err == nil || !strings.Contains(err.Error(), "only 10 follow") {
		t.Fatalf("error %v; want truncated with 10 values", err)
	}
}

// fashionRealDir is the installed Fashion-MNIST, if any.
func fashionRealDir(t *testing.T) string {
	dir := os.Getenv(FashionMNISTEnv)
	if dir == "" {
		dir = fashionDefaultDir
	}
	if _, err := os.Stat(filepath.Join(dir, "train-labels-idx1-ubyte.gz")); err != nil {
		if _, err := os.Stat(filepath.Join(dir, "train-labels-idx1-ubyte")); err != nil {
			t.Skipf("Fashion-MNIST is not installed in %s (apt install dataset-fashion-mnist or set %s)", dir, FashionMNISTEnv)
		}
	}
	return dir
}

func TestReadFashionMNISTReal(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 30 MB of compressed data")
	}
	dir := fashionRealDir(t)
	train, test, err := Load("fashion-mnist", dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || test.N != 10000 {
		t.Fatalf("got %d train, %d test images; want 60000 and 10000", train.N, test.N)
	}
	// Compare the first labels with the label file's own bytes after its
	// 8-byte header.
	path, err := findIDX(dir, "t10k-labels-idx1-ubyte")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	head := make([]byte, 8+20)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(test.Labels[:20], head[8:]) {
		t.Errorf("first test labels %v; file bytes %v", test.Labels[:20], head[8:])
	}
	// The first images of both sets are ankle boots.
	if train.Labels[0] != 9 || test.Labels[0] != 9 {
		t.Errorf("first labels %d, %d; want 9, 9", train.Labels[0], test.Labels[0])
	}
}

func FuzzIDX(f *testing.F) {
	f.Add(idxBytes([]int{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(idxBytes([]int{1, 28, 28}, fashionImages(1)))
	f.Add(gzipBytes(f, idxBytes([]int{3}, []byte{1, 2, 3})))
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, hint := range []int64{-1, int64(len(data))} {
			m, err := DecodeIDX(bytes.NewReader(data), "fuzz", hint)
			if err != nil {
				if m != nil {
					t.Fatal("result with an error")
				}
				continue
			}
			total := 1
			for _, d := range m.Dims {
				total *= d
			}
			if len(m.Data) != total || len(m.Dims) < 1 || len(m.Dims) > 4 {
				t.Fatalf("dims %v with %d values", m.Dims, len(m.Data))
			}
		}
		// Never panics as a whole set either.
		if m, err := DecodeIDX(bytes.NewReader(data), "fuzz", -1); err == nil {
			_, _ = idxSet(m, "images", &IDX{Dims: []int{len(m.Data)}, Data: m.Data}, "labels")
		}
	})
}
