package report

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"convlab/runner/results"
)

var keep = flag.String("keep", "", "also build the fixture report into this directory, to look at it")

// copyTree copies the fixture tree into a fresh directory named like it.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// snapshot reads every file under root by relative path.
func snapshot(t testing.TB, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuildFixture(t *testing.T) {
	root := copyTree(t, fixtureRoot)
	if err := Build(root, nil); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, root)
	if err := Build(root, nil); err != nil {
		t.Fatal(err)
	}
	second := snapshot(t, root)
	if len(first) != len(second) {
		t.Errorf("second build has %d files, first %d", len(second), len(first))
	}
	for rel, b := range first {
		if !bytes.Equal(b, second[rel]) {
			t.Errorf("%s differs between two builds of the same tree", rel)
		}
	}
	if *keep != "" {
		if err := os.RemoveAll(*keep); err != nil {
			t.Fatal(err)
		}
		if err := os.CopyFS(*keep, os.DirFS(root)); err != nil {
			t.Fatal(err)
		}
	}

	var generated []string
	for rel := range first {
		if !strings.HasPrefix(rel, "runs/") {
			generated = append(generated, rel)
		}
	}
	sort.Strings(generated)
	want := []string{"REPORT.md",
		"figures/architectures_comparison.png", "figures/data_amount_curves.png", "figures/deeper_comparison.png",
		"figures/l1_curves.png"}
	for _, id := range []string{"deeper-n50000-l1_0.0001", "maxpool-n5000-l1_0.0001", "strided-n10000-l1_0.0001",
		"strided-n20000-l1_0.0001", "strided-n40000-l1_0.0001", "strided-n5000-l1_0", "strided-n5000-l1_0.0001",
		"strided-n5000-l1_0.001", "strided-n5000-l1_0.01", "strided-n5000-l1_0.1", "strided-n5000-l1_1", "strided-n5000-l1_10"} {
		want = append(want, "figures/runs/"+id+"/confusion_test.png", "figures/runs/"+id+"/curves.png")
	}
	want = append(want, "sweeps.json", "tables/architectures.csv", "tables/baselines.csv", "tables/comparisons.csv", "tables/data_amount.csv",
		"tables/l1.csv", "tables/runs.csv")
	sort.Strings(want)
	if strings.Join(generated, "\n") != strings.Join(want, "\n") {
		t.Errorf("generated files:\n%s\nwant:\n%s", strings.Join(generated, "\n"), strings.Join(want, "\n"))
	}

	for _, rel := range generated {
		switch filepath.Ext(rel) {
		case ".csv", ".md":
			golden(t, filepath.Join("testdata", "golden", filepath.Base(rel)+".golden"), first[rel])
		case ".png":
			checkPNG(t, rel, first[rel])
		}
	}
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// checkPNG decodes a figure and checks it is big enough to read and has
// content: many distinct colours, a white background and enough ink.
func checkPNG(t *testing.T, name string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if w < 800 || h < 600 {
		t.Errorf("%s is %dx%d pixels; want at least 800x600", name, w, h)
	}
	colors, white, ink := inkStats(img)
	if colors < 20 {
		t.Errorf("%s has %d distinct colours; want a real figure (20 or more)", name, colors)
	}
	total := w * h
	if white < total/10 {
		t.Errorf("%s: only %d of %d pixels are white; want a white background", name, white, total)
	}
	if ink < total/100 {
		t.Errorf("%s: only %d of %d pixels are drawn; want visible content", name, ink, total)
	}
}

func inkStats(img image.Image) (colors, white, ink int) {
	seen := map[color.RGBA]bool{}
	bd := img.Bounds()
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			r, g, b, a := img.At(x, y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
			seen[c] = true
			if c == (color.RGBA{255, 255, 255, 255}) {
				white++
			} else {
				ink++
			}
		}
	}
	return len(seen), white, ink
}

func TestGenerateFromRecords(t *testing.T) {
	recs, sweeps := fixtureRecords()
	files, err := generateContents(newContents("report", recs, sweeps))
	if err != nil {
		t.Fatal(err)
	}
	fromTree, err := results.ReadTree(fixtureRoot)
	if err != nil {
		t.Fatal(err)
	}
	again, err := generateContents(newContents("report", fromTree, sweeps))
	if err != nil {
		t.Fatal(err)
	}
	for rel, b := range files {
		if !bytes.Equal(b, again[rel]) {
			t.Errorf("%s differs between records in memory and read back from disk", rel)
		}
	}
}
