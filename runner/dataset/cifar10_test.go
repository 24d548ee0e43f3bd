package dataset

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadCIFAR10Generated(t *testing.T) {
	dir := newCIFARFixture().write(t, t.TempDir())
	train, test, err := ReadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 7 || test.N != 2 {
		t.Fatalf("got %d train, %d test images; want 7 and 2", train.N, test.N)
	}
	if got, want := train.Labels, []byte{0, 1, 2, 3, 4, 5, 6}; !bytes.Equal(got, want) {
		t.Errorf("train labels %v; want %v (batches read in order 1..5)", got, want)
	}
	if got, want := test.Labels, []byte{9, 8}; !bytes.Equal(got, want) {
		t.Errorf("test labels %v; want %v", got, want)
	}
	if train.C != 3 || train.H != 32 || train.W != 32 || len(train.Pixels) != 7*3072 {
		t.Fatalf("train shape %dx%dx%d with %d pixels; want 3x32x32 with %d", train.C, train.H, train.W, len(train.Pixels), 7*3072)
	}
	// Hand-worked values of the pattern c*80 + (i*5 + y*3 + x) % 80.
	cases := []struct {
		set        *Set
		i, c, y, x int
		want       byte
		what       string
	}{
		{train, 0, 0, 0, 0, 0, "image 0 red (0,0)"},
		{train, 0, 1, 0, 0, 80, "image 0 green (0,0)"},
		{train, 0, 2, 0, 0, 160, "image 0 blue (0,0)"},
		{train, 0, 0, 2, 3, 9, "image 0 red (2,3)"},
		{train, 3, 2, 31, 31, 160 + (15+93+31)%80, "image 3 (batch 4, first record) blue (31,31)"},
		{train, 6, 1, 10, 4, 80 + (30+30+4)%80, "image 6 (batch 5) green (10,4)"},
		{test, 1, 0, 1, 1, (505 + 3 + 1) % 80, "test image 1 red (1,1)"},
	}
	for _, c := range cases {
		got := c.set.Pixels[c.i*3072+c.c*1024+c.y*32+c.x]
		if got != c.want {
			t.Errorf("%s = %d; want %d", c.what, got, c.want)
		}
	}
	if got := strings.Join(train.Classes, ","); got != strings.Join(cifarClasses, ",") {
		t.Errorf("classes without batches.meta.txt = %s; want the standard names", got)
	}
}

func TestReadCIFAR10ClassNames(t *testing.T) {
	dir := newCIFARFixture().write(t, t.TempDir())
	writeFile(t, filepath.Join(dir, "batches.meta.txt"), []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n"))
	train, test, err := ReadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(train.Classes, ""); got != "abcdefghij" {
		t.Errorf("train classes %q; want a..j from batches.meta.txt", got)
	}
	if got := strings.Join(test.Classes, ""); got != "abcdefghij" {
		t.Errorf("test classes %q; want a..j", got)
	}
}

func TestReadCIFAR10Errors(t *testing.T) {
	badLabel := cifarBytes(0, 3, 3)
	badLabel[3073] = 10
	tests := []struct {
		name   string
		change func(files map[string][]byte)
		want   []string
	}{
		{"missing file", func(f map[string][]byte) { delete(f, "data_batch_3.bin") }, []string{"data_batch_3.bin", "missing", "CIFAR10_DIR"}},
		{"missing test file", func(f map[string][]byte) { delete(f, "test_batch.bin") }, []string{"test_batch.bin", "missing"}},
		{"size not whole records", func(f map[string][]byte) { f["data_batch_2.bin"] = append(cifarBytes(0, 1, 2), 1, 2, 3, 4, 5) }, []string{"data_batch_2.bin", "6151 bytes", "3073-byte records", "5 bytes left over"}},
		{"short file", func(f map[string][]byte) { f["data_batch_5.bin"] = cifarBytes(0, 1)[:100] }, []string{"data_batch_5.bin", "100 bytes"}},
		{"label above 9", func(f map[string][]byte) { f["test_batch.bin"] = badLabel }, []string{"test_batch.bin", "record 1", "label 10", "0 to 9"}},
		{"meta with 3 names", func(f map[string][]byte) { f["batches.meta.txt"] = []byte("a\nb\nc\n") }, []string{"batches.meta.txt", "3 names", "want 10"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newCIFARFixture()
			tc.change(fx.files)
			dir := fx.write(t, t.TempDir())
			_, _, err := ReadCIFAR10(dir)
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

func TestDecodeCIFAR10Truncated(t *testing.T) {
	data := cifarBytes(0, 1, 2)
	// The declared size says two records but the stream ends inside the
	// second one (a file that shrank while being read).
	_, err := DecodeCIFAR10(bytes.NewReader(data[:3073+500]), int64(len(data)), "shrunk.bin")
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "shrunk.bin record 1") {
		t.Fatalf("error %v; want unexpected EOF at shrunk.bin record 1", err)
	}
	_, err = DecodeCIFAR10(bytes.NewReader(data[:3073]), int64(len(data)), "shrunk.bin")
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v; want unexpected EOF when the stream ends between records", err)
	}
	s, err := DecodeCIFAR10(bytes.NewReader(nil), 0, "empty.bin")
	if err != nil || s.N != 0 {
		t.Fatalf("empty batch: %v, %+v; want an empty set", err, s)
	}
}

// TestReadCIFAR10Subset reads the real subset and checks it against the
// files' own bytes.
func TestReadCIFAR10Subset(t *testing.T) {
	dir := os.Getenv("CIFAR10_DIR")
	if dir == "" {
		t.Skip("CIFAR10_DIR is not set")
	}
	train, test, err := ReadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 5170 || test.N != 1017 {
		t.Fatalf("got %d train, %d test images; want 5170 and 1017", train.N, test.N)
	}
	raw := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b1, b2, tb := raw("data_batch_1.bin"), raw("data_batch_2.bin"), raw("test_batch.bin")
	for i := 0; i < 20; i++ {
		if train.Labels[i] != b1[i*3073] {
			t.Errorf("train label %d = %d; file byte %d", i, train.Labels[i], b1[i*3073])
		}
		if test.Labels[i] != tb[i*3073] {
			t.Errorf("test label %d = %d; file byte %d", i, test.Labels[i], tb[i*3073])
		}
	}
	// The well-known first labels of CIFAR-10: frog, truck, truck, deer.
	if got := train.Labels[:4]; !bytes.Equal(got, []byte{6, 9, 9, 4}) {
		t.Errorf("first train labels %v; want [6 9 9 4]", got)
	}
	// Image 1102 is the first record of data_batch_2.bin.
	if train.Labels[1102] != b2[0] || !bytes.Equal(train.Pixels[1102*3072:1103*3072], b2[1:3073]) {
		t.Error("image 1102 differs from the first record of data_batch_2.bin")
	}
	if !bytes.Equal(test.Pixels[1016*3072:], tb[1016*3073+1:]) {
		t.Error("the last test image differs from the last record of test_batch.bin")
	}
	if got := strings.Join(train.Classes, ","); got != strings.Join(cifarClasses, ",") {
		t.Errorf("classes %s; want the standard names", got)
	}
}

func TestReadCIFAR10NotRegular(t *testing.T) {
	dir := newCIFARFixture().write(t, t.TempDir())
	p := filepath.Join(dir, "data_batch_4.bin")
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	_, _, err := ReadCIFAR10(dir)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("data_batch_4.bin is not a regular file")) {
		t.Fatalf("error %v; want data_batch_4.bin named as not a regular file", err)
	}
}

func TestReadCIFAR10ParentDirHint(t *testing.T) {
	parent := t.TempDir()
	newCIFARFixture().write(t, filepath.Join(parent, "cifar-10-batches-bin"))
	_, _, err := ReadCIFAR10(parent)
	want := "it is in " + filepath.Join(parent, "cifar-10-batches-bin")
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("error %v; want the hint %q", err, want)
	}
}

func FuzzCIFAR10(f *testing.F) {
	f.Add([]byte{})
	f.Add(cifarBytes(0, 7))
	bad := cifarBytes(0, 7)
	bad[0] = 200
	f.Add(bad)
	f.Add(cifarBytes(0, 1)[:3072])
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeCIFAR10(bytes.NewReader(data), int64(len(data)), "fuzz")
		if err != nil {
			return
		}
		if s.N != len(data)/3073 || len(data)%3073 != 0 || len(s.Pixels) != s.N*3072 {
			t.Fatalf("accepted %d bytes as %d images with %d pixels", len(data), s.N, len(s.Pixels))
		}
		for i, l := range s.Labels {
			if l > 9 || l != data[i*3073] {
				t.Fatalf("label %d = %d; file byte %d", i, l, data[i*3073])
			}
		}
	})
}
