package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	// FashionMNISTEnv names the environment variable that points at a
	// directory of Fashion-MNIST IDX files.
	FashionMNISTEnv = "FASHION_MNIST_DIR"
	// fashionDefaultDir is where Debian's dataset-fashion-mnist installs
	// the gzip-compressed IDX files.
	fashionDefaultDir = "/usr/share/datasets/fashion-mnist"
	fashionSide       = 28
)

var fashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

func init() {
	Register(&Info{
		Name: "fashion-mnist", TrainSize: 60000, TestSize: 10000, C: 1, H: 28, W: 28,
		Classes: fashionClasses,
		Env:     FashionMNISTEnv,
		Default: func() (string, error) { return fashionDefaultDir, nil },
		Load:    ReadFashionMNIST,
	})
}

// ReadFashionMNIST reads Fashion-MNIST from the IDX files in dir:
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte, each either plain or gzip-compressed (with
// or without a .gz suffix; the content decides). Images are 28x28, one
// channel.
func ReadFashionMNIST(dir string) (train, test *Set, err error) {
	train, err = readIDXPair(dir, "train")
	if err != nil {
		return nil, nil, err
	}
	test, err = readIDXPair(dir, "t10k")
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// readIDXPair reads prefix-images-idx3-ubyte and prefix-labels-idx1-ubyte.
func readIDXPair(dir, prefix string) (*Set, error) {
	imgPath, err := findIDX(dir, prefix+"-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	lblPath, err := findIDX(dir, prefix+"-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	images, err := readIDXFile(imgPath)
	if err != nil {
		return nil, err
	}
	labels, err := readIDXFile(lblPath)
	if err != nil {
		return nil, err
	}
	return idxSet(images, imgPath, labels, lblPath)
}

// findIDX returns the path of base or base.gz in dir.
func findIDX(dir, base string) (string, error) {
	for _, name := range []string{base + ".gz", base} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("read Fashion-MNIST: %w", err)
		}
	}
	return "", fmt.Errorf("read Fashion-MNIST: neither %s nor %s.gz is in %s; install Debian's dataset-fashion-mnist or set %s to a directory holding the IDX files",
		base, base, dir, FashionMNISTEnv)
}

// IDX is a decoded IDX file of unsigned bytes: Dims are the sizes of its
// dimensions, outermost first, and Data holds their product of values.
type IDX struct {
	Dims []int
	Data []uint8
}

// idxMaxValues bounds the values an IDX file may declare, far above any
// image data set convlab can train on, so a corrupt header cannot make
// the reader allocate without limit.
const idxMaxValues = 1 << 31

func readIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read Fashion-MNIST: %w", err)
	}
	defer f.Close()
	hint := int64(-1)
	if st, err := f.Stat(); err == nil {
		hint = st.Size()
	}
	return DecodeIDX(f, path, hint)
}

// DecodeIDX reads an IDX file of unsigned bytes from r, gzip-compressed
// or not (told apart by the gzip magic bytes). name is used in error
// messages; sizeHint, when not negative, is the size of r's content and
// lets the data be allocated at once (it is only a hint). The header must
// be two zero bytes, type 0x08 (unsigned byte) and 1 to 4 dimensions,
// followed by exactly the declared number of values.
func DecodeIDX(r io.Reader, name string, sizeHint int64) (*IDX, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read IDX %s: bad gzip header: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 1<<16)
		sizeHint = -1
	} else if strings.HasSuffix(name, ".gz") {
		return nil, fmt.Errorf("read IDX %s: the name ends in .gz but the content is not gzip-compressed", name)
	}
	var head [4]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, fmt.Errorf("read IDX %s: header: %w", name, unexpectedEOF(err))
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("read IDX %s: magic number %02x%02x%02x%02x does not start with two zero bytes; not an IDX file", name, head[0], head[1], head[2], head[3])
	}
	if head[2] != 0x08 {
		return nil, fmt.Errorf("read IDX %s: value type 0x%02x; only 0x08 (unsigned byte) is supported", name, head[2])
	}
	nd := int(head[3])
	if nd < 1 || nd > 4 {
		return nil, fmt.Errorf("read IDX %s: %d dimensions; want 1 to 4", name, nd)
	}
	dims := make([]int, nd)
	total := int64(1)
	for i := range dims {
		var d uint32
		if err := binary.Read(br, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("read IDX %s: dimension %d: %w", name, i+1, unexpectedEOF(err))
		}
		dims[i] = int(d)
		total *= int64(d)
		if total > idxMaxValues {
			return nil, fmt.Errorf("read IDX %s: dimensions %v declare more than %d values", name, dims[:i+1], int64(idxMaxValues))
		}
	}
	var data []byte
	headerLen := int64(4 + 4*nd)
	if sizeHint >= 0 && sizeHint-headerLen == total {
		data = make([]byte, total)
		if _, err := io.ReadFull(br, data); err != nil {
			return nil, fmt.Errorf("read IDX %s: data: %w", name, unexpectedEOF(err))
		}
	} else {
		// The size is unknown or wrong: let the data grow as it arrives
		// rather than trust the header's count.
		var buf bytes.Buffer
		n, err := io.CopyN(&buf, br, total)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("read IDX %s: truncated: dimensions %v declare %d values but only %d follow the header", name, dims, total, n)
			}
			return nil, fmt.Errorf("read IDX %s: data: %w", name, err)
		}
		data = buf.Bytes()
	}
	extra, err := io.Copy(io.Discard, br)
	if err != nil {
		return nil, fmt.Errorf("read IDX %s: %w", name, err)
	}
	if extra > 0 {
		return nil, fmt.Errorf("read IDX %s: %d bytes follow the %d values its dimensions %v declare", name, extra, total, dims)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// idxSet joins an images file (N x 28 x 28) and a labels file (N) into a
// set, checking shapes, counts and labels.
func idxSet(images *IDX, imgName string, labels *IDX, lblName string) (*Set, error) {
	if len(images.Dims) != 3 || images.Dims[1] != fashionSide || images.Dims[2] != fashionSide {
		return nil, fmt.Errorf("read Fashion-MNIST: %s has dimensions %v; want [N 28 28]", imgName, images.Dims)
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("read Fashion-MNIST: %s has dimensions %v; want [N]", lblName, labels.Dims)
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("read Fashion-MNIST: %s holds %d images but %s holds %d labels; the counts must match",
			imgName, images.Dims[0], lblName, labels.Dims[0])
	}
	for i, l := range labels.Data {
		if l > 9 {
			return nil, fmt.Errorf("read Fashion-MNIST: %s label %d is %d; labels are 0 to 9", lblName, i, l)
		}
	}
	return &Set{
		Pixels:  images.Data,
		Labels:  labels.Data,
		N:       images.Dims[0],
		C:       1,
		H:       fashionSide,
		W:       fashionSide,
		Classes: append([]string(nil), fashionClasses...),
	}, nil
}
