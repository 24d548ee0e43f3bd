package net

import (
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"convlab/arch"
)

// TestConvlabStreams checks the reference's port of convlab's random
// streams (keras_reference.py `train --streams convlab`, used by make
// fidelity-paired) against the real thing: the initial weights Build
// draws for a seed, and the dropout masks of the first training steps,
// bit for bit. runner/train's TestConvlabShufflePort checks the shuffles.
func TestConvlabStreams(t *testing.T) {
	py := referencePython(t)
	a, err := arch.Preset("strided")
	if err != nil {
		t.Fatal(err)
	}
	in := arch.Shape{C: 3, H: 32, W: 32}
	sizes := []int{3, 128, 20}
	for _, seed := range []int64{1, 7, 1 << 40} {
		t.Run(strconv.FormatInt(seed, 10), func(t *testing.T) {
			dir := t.TempDir()
			var ss []string
			for _, n := range sizes {
				ss = append(ss, strconv.Itoa(n))
			}
			cmd := exec.Command(py, referenceScript, "streams", "--arch", "strided", "--seed", strconv.FormatInt(seed, 10),
				"--perm", "1", "--epochs", "1", "--masks", strings.Join(ss, ","), "--out", dir)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, b)
			}
			m, err := Build(a, in, 128, WithSeed(seed))
			if err != nil {
				t.Fatal(err)
			}
			init := readFloat32s(t, filepath.Join(dir, "init.f32"))
			off := 0
			for _, p := range m.params {
				v := p.Float32s()
				if off+len(v) > len(init) {
					t.Fatalf("init.f32 holds %d values; the parameters need more", len(init))
				}
				for i, x := range v {
					if init[off+i] != x {
						t.Fatalf("%s value %d: port %v, convlab %v", p.Name, i, init[off+i], x)
					}
				}
				off += len(v)
			}
			if off != len(init) {
				t.Fatalf("init.f32 holds %d values; the parameters %d", len(init), off)
			}
			bits, err := os.ReadFile(filepath.Join(dir, "masks.u8"))
			if err != nil {
				t.Fatal(err)
			}
			off = 0
			for _, n := range sizes {
				mc, _, _, err := m.forwardBackward(make([]float32, n*in.C*in.H*in.W), make([]uint8, n))
				if err != nil {
					t.Fatal(err)
				}
				for _, mask := range mc.masks {
					v := make([]float32, mask.Shape().TotalSize())
					load(v, mask)
					if off+len(v) > len(bits) {
						t.Fatalf("masks.u8 holds %d bits; convlab drew more", len(bits))
					}
					kept := 0
					for i, x := range v {
						if (x != 0) != (bits[off+i] != 0) {
							t.Fatalf("batch of %d: mask value %d: port keeps %v, convlab %v", n, i, bits[off+i] != 0, x != 0)
						}
						if x != 0 {
							kept++
						}
					}
					if kept == 0 || kept == len(v) {
						t.Fatalf("batch of %d: %d of %d kept; a dropout-0.5 mask keeps some", n, kept, len(v))
					}
					off += len(v)
				}
			}
			if off != len(bits) {
				t.Fatalf("masks.u8 holds %d bits; convlab drew %d", len(bits), off)
			}
		})
	}
}

func readFloat32s(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
