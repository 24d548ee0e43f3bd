package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CIFAR-10 binary format: each record is one label byte followed by 3072
// pixel bytes, the red, green and blue planes of a 32x32 image, each plane
// row-major.
const (
	cifarSide       = 32
	cifarImageBytes = 3 * cifarSide * cifarSide
	cifarRecordSize = 1 + cifarImageBytes

	// cifarDirName is the directory the official archive unpacks to.
	cifarDirName = "cifar-10-batches-bin"
	// CIFAR10Env names the environment variable that points at a
	// cifar-10-batches-bin directory.
	CIFAR10Env = "CIFAR10_DIR"
)

// cifarTrainFiles and cifarTestFile are the batch files of the official
// binary distribution.
var (
	cifarTrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	cifarTestFile   = "test_batch.bin"
	cifarMetaFile   = "batches.meta.txt"
)

var cifarClasses = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

func init() {
	Register(&Info{
		Name: "cifar10", TrainSize: 50000, TestSize: 10000, C: 3, H: 32, W: 32,
		Classes: cifarClasses,
		Env:     CIFAR10Env,
		Default: cifarCacheDir,
		Fetch:   fetchCIFAR10,
		Load:    ReadCIFAR10,
	})
}

// cifarCacheDir is the default CIFAR-10 directory, under the user cache
// directory.
func cifarCacheDir() (string, error) {
	root, err := cacheRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, cifarDirName), nil
}

// cacheRoot is convlab's directory under the user cache directory.
func cacheRoot() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the user cache directory for CIFAR-10: %w; set %s=/path/to/%s (or data_dir: in the experiment file)", err, CIFAR10Env, cifarDirName)
	}
	return filepath.Join(base, "convlab"), nil
}

// fetchCIFAR10 downloads CIFAR-10 into dir, the default directory
// <cache>/cifar-10-batches-bin, when its test batch is missing there.
func fetchCIFAR10(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, cifarTestFile)); errors.Is(err, fs.ErrNotExist) {
		return newDownloader().fetch(filepath.Dir(dir))
	}
	return nil
}

// ReadCIFAR10 reads the five training batches and the test batch of the
// CIFAR-10 binary distribution from dir, which holds data_batch_1.bin ..
// data_batch_5.bin and test_batch.bin. Each file may hold any whole number
// of records. Class names come from batches.meta.txt when it is present.
// It never downloads.
func ReadCIFAR10(dir string) (train, test *Set, err error) {
	classes, err := readCIFARClasses(filepath.Join(dir, cifarMetaFile))
	if err != nil {
		return nil, nil, err
	}
	trainPaths := make([]string, len(cifarTrainFiles))
	for i, f := range cifarTrainFiles {
		trainPaths[i] = filepath.Join(dir, f)
	}
	train, err = readCIFARFiles(trainPaths)
	if err != nil {
		return nil, nil, err
	}
	test, err = readCIFARFiles([]string{filepath.Join(dir, cifarTestFile)})
	if err != nil {
		return nil, nil, err
	}
	train.Classes = classes
	test.Classes = classes
	return train, test, nil
}

// readCIFARClasses reads one class name a line; a missing file means the
// standard names.
func readCIFARClasses(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return append([]string(nil), cifarClasses...), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read CIFAR-10 class names: %w", err)
	}
	var names []string
	for _, line := range strings.Split(string(data), "\n") {
		if name := strings.TrimSpace(line); name != "" {
			names = append(names, name)
		}
	}
	if len(names) != len(cifarClasses) {
		return nil, fmt.Errorf("read CIFAR-10 class names: %s has %d names; want %d, one a line", path, len(names), len(cifarClasses))
	}
	return names, nil
}

// readCIFARFiles reads the records of every file into one set, allocating
// the pixels once from the files' sizes and reading straight into them.
func readCIFARFiles(paths []string) (*Set, error) {
	files := make([]*os.File, 0, len(paths))
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	counts := make([]int, len(paths))
	total := 0
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				dir := filepath.Dir(p)
				hint := ""
				if _, err := os.Stat(filepath.Join(dir, cifarDirName, filepath.Base(p))); err == nil {
					hint = fmt.Sprintf("; it is in %s: point there instead", filepath.Join(dir, cifarDirName))
				}
				return nil, fmt.Errorf("read CIFAR-10: %s is missing; the directory must hold %s and %s (set %s or data_dir: to the cifar-10-batches-bin directory)%s",
					p, strings.Join(cifarTrainFiles, ", "), cifarTestFile, CIFAR10Env, hint)
			}
			return nil, fmt.Errorf("read CIFAR-10: %w", err)
		}
		files = append(files, f)
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("read CIFAR-10: %w", err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("read CIFAR-10: %s is not a regular file", p)
		}
		n, err := cifarRecords(p, st.Size())
		if err != nil {
			return nil, err
		}
		counts[i] = n
		total += n
	}
	s := newCIFARSet(total)
	at := 0
	for i, f := range files {
		if err := readCIFARRecords(bufio.NewReaderSize(f, 1<<16), paths[i], s, at, counts[i]); err != nil {
			return nil, err
		}
		at += counts[i]
	}
	return s, nil
}

// cifarRecords checks that a file of size bytes holds whole records.
func cifarRecords(name string, size int64) (int, error) {
	if size%cifarRecordSize != 0 {
		return 0, fmt.Errorf("read CIFAR-10: %s is %d bytes, not a whole number of %d-byte records (%d records and %d bytes left over)",
			name, size, cifarRecordSize, size/cifarRecordSize, size%cifarRecordSize)
	}
	return int(size / cifarRecordSize), nil
}

func newCIFARSet(n int) *Set {
	return &Set{
		Pixels:  make([]uint8, n*cifarImageBytes),
		Labels:  make([]uint8, n),
		N:       n,
		C:       3,
		H:       cifarSide,
		W:       cifarSide,
		Classes: append([]string(nil), cifarClasses...),
	}
}

// readCIFARRecords reads n records from r into s, images at.. at+n-1.
func readCIFARRecords(r io.Reader, name string, s *Set, at, n int) error {
	var label [1]byte
	for i := 0; i < n; i++ {
		if _, err := io.ReadFull(r, label[:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read CIFAR-10: %s record %d: %w", name, i, err)
		}
		if label[0] > 9 {
			return fmt.Errorf("read CIFAR-10: %s record %d (byte offset %d) has label %d; labels are 0 to 9",
				name, i, int64(i)*cifarRecordSize, label[0])
		}
		s.Labels[at+i] = label[0]
		img := s.Pixels[(at+i)*cifarImageBytes : (at+i+1)*cifarImageBytes]
		if _, err := io.ReadFull(r, img); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("read CIFAR-10: %s record %d: %w", name, i, err)
		}
	}
	return nil
}

// DecodeCIFAR10 reads one CIFAR-10 batch of size bytes from r: size must
// be a whole number of 3073-byte records, each a label byte 0..9 then the
// red, green and blue 32x32 planes. name is used in error messages.
func DecodeCIFAR10(r io.Reader, size int64, name string) (*Set, error) {
	if size < 0 {
		return nil, fmt.Errorf("read CIFAR-10: %s has negative size %d", name, size)
	}
	n, err := cifarRecords(name, size)
	if err != nil {
		return nil, err
	}
	s := newCIFARSet(n)
	if err := readCIFARRecords(r, name, s, 0, n); err != nil {
		return nil, err
	}
	return s, nil
}
