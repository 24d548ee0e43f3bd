package dataset

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// cifarPixel is the generated pattern: the red plane holds 0..79, green
// 80..159, blue 160..239, so plane order mistakes show.
func cifarPixel(i, c, y, x int) byte {
	return byte(c*80 + (i*5+y*3+x)%80)
}

// cifarRecords builds len(labels) records with the cifarPixel pattern,
// image numbers starting at first.
func cifarBytes(first int, labels ...byte) []byte {
	var b bytes.Buffer
	for k, l := range labels {
		b.WriteByte(l)
		for c := 0; c < 3; c++ {
			for y := 0; y < 32; y++ {
				for x := 0; x < 32; x++ {
					b.WriteByte(cifarPixel(first+k, c, y, x))
				}
			}
		}
	}
	return b.Bytes()
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// cifarFixture is a small CIFAR-10 directory: train batches of 2, 0, 1, 3
// and 1 records (7 images, labels 0..6) and a test batch of 2 records
// (labels 9, 8).
type cifarFixture struct {
	files map[string][]byte
}

func newCIFARFixture() cifarFixture {
	return cifarFixture{files: map[string][]byte{
		"data_batch_1.bin": cifarBytes(0, 0, 1),
		"data_batch_2.bin": cifarBytes(2),
		"data_batch_3.bin": cifarBytes(2, 2),
		"data_batch_4.bin": cifarBytes(3, 3, 4, 5),
		"data_batch_5.bin": cifarBytes(6, 6),
		"test_batch.bin":   cifarBytes(100, 9, 8),
	}}
}

func (f cifarFixture) write(t testing.TB, dir string) string {
	t.Helper()
	for name, data := range f.files {
		writeFile(t, filepath.Join(dir, name), data)
	}
	return dir
}

// tarGz builds a gzip-compressed tar archive of the given entries, in
// order.
type tarEntry struct {
	name string
	body []byte
	dir  bool   // makes a directory
	link string // makes a symlink when set
}

func tarGz(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644}
		switch {
		case e.link != "":
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.link
		case e.dir:
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// cifarArchiveBytes is the fixture packed like the official archive.
func cifarArchiveBytes(t testing.TB) []byte {
	f := newCIFARFixture()
	entries := []tarEntry{{name: "cifar-10-batches-bin/", dir: true}}
	for _, name := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"} {
		entries = append(entries, tarEntry{name: "cifar-10-batches-bin/" + name, body: f.files[name]})
	}
	entries = append(entries, tarEntry{name: "cifar-10-batches-bin/batches.meta.txt", body: []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n")})
	return tarGz(t, entries...)
}

// idxBytes builds an IDX file of unsigned bytes with the given dims.
func idxBytes(dims []int, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(data)
	return b.Bytes()
}

func gzipBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fashionPixel is the generated Fashion-MNIST pattern.
func fashionPixel(i, y, x int) byte { return byte(i*31 + y*7 + x) }

func fashionImages(n int) []byte {
	b := make([]byte, 0, n*784)
	for i := 0; i < n; i++ {
		for y := 0; y < 28; y++ {
			for x := 0; x < 28; x++ {
				b = append(b, fashionPixel(i, y, x))
			}
		}
	}
	return b
}
