package train

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestConvlabShufflePort checks the reference's port of Train's shuffle
// stream (keras_reference.py `train --streams convlab`, used by make
// fidelity-paired): the permutations of consecutive epochs, as Train
// draws them from the run's seed, element for element. The sizes cover
// Perm's power-of-two bound (uint64n masks instead of multiplying).
func TestConvlabShufflePort(t *testing.T) {
	py := os.Getenv("CONVLAB_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if out, err := exec.Command(py, "-c", "import torch, numpy").CombinedOutput(); err != nil {
		t.Skipf("the Keras reference needs PyTorch and numpy for %s: %v %s", py, err, bytes.TrimSpace(out))
	}
	const epochs = 3
	for _, c := range []struct {
		seed int64
		n    int
	}{{1, 4500}, {9, 64}, {1 << 40, 1000}} {
		t.Run(strconv.FormatInt(c.seed, 10)+"/"+strconv.Itoa(c.n), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(py, "../../scripts/peer/keras_reference.py", "streams", "--seed", strconv.FormatInt(c.seed, 10),
				"--perm", strconv.Itoa(c.n), "--epochs", strconv.Itoa(epochs), "--masks", "", "--out", dir)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, b)
			}
			b, err := os.ReadFile(filepath.Join(dir, "perm.u32"))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != 4*epochs*c.n {
				t.Fatalf("perm.u32 holds %d bytes; want %d", len(b), 4*epochs*c.n)
			}
			r := rand.New(rand.NewPCG(uint64(c.seed), shuffleStream)) // as Train seeds it
			for e := range epochs {
				for i, j := range r.Perm(c.n) {
					if got := binary.LittleEndian.Uint32(b[4*(e*c.n+i):]); int(got) != j {
						t.Fatalf("epoch %d, position %d: port %d, convlab %d", e+1, i, got, j)
					}
				}
			}
		})
	}
}
