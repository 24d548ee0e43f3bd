package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot/cmpimg"

	"convlab/runner/results"
)

// figureGoldens are PNGs of each kind of figure drawn from the fixture;
// go test ./report -run TestFigureGoldens -update rewrites them.
var figureGoldens = filepath.Join("testdata", "figures")

// fixtureByID is the fixture's records by ID.
func fixtureByID() map[string]*results.Record {
	recs, _ := fixtureRecords()
	out := map[string]*results.Record{}
	for _, r := range recs {
		out[r.Run.ID] = r
	}
	return out
}

// seededRecords makes seeds copies of each record, as runs of seeds 1 to
// seeds: the same settings, histories and accuracies moved by seed noise
// (sd about 0.015 in accuracy), IDs ending in -s<seed>.
func seededRecords(base []*results.Record, seeds int) []*results.Record {
	var out []*results.Record
	for i, b := range base {
		for s := 1; s <= seeds; s++ {
			rng := rand.New(rand.NewPCG(uint64(i+1), uint64(s)))
			r := *b
			r.Run.ID = fmt.Sprintf("%s-s%d", b.Run.ID, s)
			r.Run.Seed = int64(s)
			r.Hash = r.Run.Hash()
			shift := 0.015 * rng.NormFloat64()
			r.History = nil
			for _, e := range b.History {
				e.Accuracy = round4(e.Accuracy + shift + 0.004*rng.NormFloat64())
				e.ValAccuracy = round4(e.ValAccuracy + shift + 0.01*rng.NormFloat64())
				e.Loss = round4(e.Loss * (1 - shift))
				e.ValLoss = round4(e.ValLoss * (1 - shift + 0.01*rng.NormFloat64()))
				r.History = append(r.History, e)
			}
			r.Metrics.Test.Accuracy = round4(b.Metrics.Test.Accuracy + shift + 0.005*rng.NormFloat64())
			r.Metrics.TrainSeconds = round4(b.Metrics.TrainSeconds * (1 + 0.05*rng.NormFloat64()))
			out = append(out, &r)
		}
	}
	return out
}

// goldenFigures are the figures compared with testdata/figures, by file
// name: every kind, with one seed and with five.
func goldenFigures(t *testing.T) map[string]figure {
	t.Helper()
	by := fixtureByID()
	pick := func(ids ...string) []*results.Record {
		var out []*results.Record
		for _, id := range ids {
			out = append(out, by[id])
		}
		return out
	}
	l1 := pick("strided-n5000-l1_0.001", "strided-n5000-l1_0.01", "strided-n5000-l1_0.1", "strided-n5000-l1_0", "strided-n5000-l1_1", "strided-n5000-l1_10")
	data := pick("strided-n5000-l1_0.0001", "strided-n10000-l1_0.0001", "strided-n20000-l1_0.0001", "strided-n40000-l1_0.0001")
	archs := pick("strided-n5000-l1_0.0001", "maxpool-n5000-l1_0.0001")
	deeper := pick("deeper-n50000-l1_0.0001")
	data5, archs5, deeper5 := seededRecords(data, 5), seededRecords(archs, 5), seededRecords(deeper, 5)
	all := slices.Concat(l1, data, archs, deeper, data5, archs5, deeper5)
	st := newStyler(all)
	// A strong penalty as trained: the loss starts in the thousands.
	strong := *by["strided-n5000-l1_10"]
	strong.History = slices.Clone(strong.History)
	for i := range strong.History {
		e := &strong.History[i]
		e.Loss = round4(25 + 2784/math.Pow(float64(i+1), 6.8) - 0.05*float64(i))
		e.ValLoss = round4(24.8 + 715/math.Pow(float64(i+1), 4.8) - 0.05*float64(i))
	}
	figs := map[string]figure{
		"curves.png":       curvesFigure(st, by["strided-n5000-l1_0.0001"]),
		"curves_l1_10.png": curvesFigure(st, &strong),
	}
	var err error
	add := func(name string, f figure, e error) {
		figs[name] = f
		if e != nil && err == nil {
			err = fmt.Errorf("%s: %w", name, e)
		}
	}
	f, e := overlayFigure(st, "Table 2 / Figure 4 (sweep l1)", figureSweep(l1, []string{"l1"}))
	add("overlay_l1.png", f, e)
	f, e = overlayFigure(st, "Table 1 / Figure 3 (sweep data_amount)", figureSweep(data5, []string{"n"}))
	add("overlay_n_5seeds.png", f, e)
	f, e = archFigure(st, "Figure 5 (sweep architectures)", figureSweep(archs, nil))
	add("arch.png", f, e)
	f, e = archFigure(st, "Figure 5 (sweep architectures)", figureSweep(archs5, nil))
	add("arch_5seeds.png", f, e)
	f, e = archFigure(st, "Figure 6 (sweep deeper)", figureSweep(deeper5, nil))
	add("deeper_5seeds.png", f, e)
	add("curves_5seeds.png", cellCurvesFigure(st, groupSeedCells(archs5)[0]), nil)
	r := by["maxpool-n5000-l1_0.0001"]
	f, e = confusionFigure("Confusion matrix on the test set: "+r.Run.ID, r.Metrics.Test.Confusion, cifarClasses)
	add("confusion.png", f, e)
	if err != nil {
		t.Fatal(err)
	}
	return figs
}

// TestFigureGoldens draws every kind of figure from the fixture and
// compares it with its golden PNG, as gonum/plot tests its own plotters
// (cmpimg); -update rewrites the goldens. A mismatch leaves the new
// drawing in the test's temporary directory, named in the failure.
func TestFigureGoldens(t *testing.T) {
	figs := goldenFigures(t)
	if *update {
		if err := os.MkdirAll(figureGoldens, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range slices.Sorted(mapsKeys(figs)) {
		got, err := figs[name].encode("png")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		path := filepath.Join(figureGoldens, name)
		if *update {
			// Stored at best compression: cmpimg compares pixels.
			img, err := png.Decode(bytes.NewReader(got))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&b, img); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./report -run TestFigureGoldens -update)", err)
		}
		ok, err := cmpimg.Equal("png", got, want)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !ok {
			out := filepath.Join(t.TempDir(), name)
			_ = os.WriteFile(out, got, 0o644)
			t.Errorf("%s differs from its golden image; the new drawing is %s (go test -update accepts it)", name, out)
		}
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestFigureFormats: every figure encodes as PNG, SVG (well-formed XML
// carrying its tick labels as text) and PDF, the same bytes twice over.
func TestFigureFormats(t *testing.T) {
	by := fixtureByID()
	r := by["strided-n5000-l1_0.0001"]
	f := curvesFigure(newStyler([]*results.Record{r}), r)
	f.date = newestFinish(r)
	for _, format := range FigureFormats {
		a, err := f.encode(format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		b, err := f.encode(format)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two encodings differ", format)
		}
		switch format {
		case "png":
			checkPNG(t, "curves.png", a)
		case "svg":
			dec := xml.NewDecoder(bytes.NewReader(a))
			var texts []string
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("svg is not well-formed XML: %v", err)
				}
				if cd, ok := tok.(xml.CharData); ok {
					texts = append(texts, strings.TrimSpace(string(cd)))
				}
			}
			for _, want := range []string{"Epoch", "Accuracy (fraction correct)", "0.30", "training"} {
				if !slices.Contains(texts, want) {
					t.Errorf("svg has no text %q", want)
				}
			}
		case "pdf":
			if !bytes.HasPrefix(a, []byte("%PDF-")) {
				t.Errorf("pdf starts with %q", a[:min(8, len(a))])
			}
			if want := "D:20261125100000"; !bytes.Contains(a, []byte(want)) {
				t.Errorf("pdf does not carry the run's finishing time %s as its date", want)
			}
		}
	}
	if _, err := f.encode("gif"); err == nil || !strings.Contains(err.Error(), "valid: png, svg, pdf") {
		t.Errorf("encode gif: %v, want an error listing the valid formats", err)
	}
}

// TestMeanCI against values worked by hand: 1..5 has mean 3, sd
// sqrt(2.5) = 1.5811, t(4; 0.975) = 2.7764, so the half width is
// 2.7764 * 1.5811 / sqrt(5) = 1.9632.
func TestMeanCI(t *testing.T) {
	s := meanCI([]float64{1, 2, 3, 4, 5})
	if s.N != 5 || math.Abs(s.Mean-3) > 1e-12 || math.Abs(s.Lo-1.036757) > 1e-5 || math.Abs(s.Hi-4.963243) > 1e-5 {
		t.Errorf("meanCI(1..5) = %+v, want mean 3, CI 1.036757 to 4.963243", s)
	}
	// Two values 0.46 and 0.50: sd 0.028284, t(1; 0.975) = 12.7062, half
	// width 12.7062 * 0.028284 / sqrt 2 = 0.254124.
	s = meanCI([]float64{0.46, 0.50})
	if math.Abs(s.Mean-0.48) > 1e-12 || math.Abs(s.Hi-0.48-0.254124) > 1e-5 {
		t.Errorf("meanCI(0.46, 0.50) = %+v, want 0.48 +- 0.254124", s)
	}
	if s := meanCI([]float64{0.4}); s.Lo != 0.4 || s.Hi != 0.4 || s.N != 1 {
		t.Errorf("one seed: %+v, want no band", s)
	}
	if s := meanCI([]float64{0.4, math.NaN()}); !math.IsNaN(s.Mean) {
		t.Errorf("a diverged seed: mean %v, want NaN (a gap, not an average of the rest)", s.Mean)
	}
}

// TestCellCurve: a cell's curve is the per-epoch mean with its band; one
// seed has no band.
func TestCellCurve(t *testing.T) {
	mk := func(seed int64, accs ...float64) *results.Record {
		r := &results.Record{}
		r.Run.Seed = seed
		for i, a := range accs {
			r.History = append(r.History, results.Epoch{Epoch: i + 1, Accuracy: a})
		}
		return r
	}
	c := &seedCell{Recs: []*results.Record{mk(1, 0.1, 0.2), mk(2, 0.3, 0.4), mk(3, 0.2, 0.6)}}
	xs, ys, lo, hi := cellCurve(c, trainAcc)
	if !slices.Equal(xs, []float64{1, 2}) || math.Abs(ys[0]-0.2) > 1e-12 || math.Abs(ys[1]-0.4) > 1e-12 {
		t.Errorf("curve %v %v, want epochs 1, 2 at means 0.2, 0.4", xs, ys)
	}
	// Epoch 1: sd 0.1, t(2; 0.975) = 4.302653, half width 0.248414.
	if math.Abs(hi[0]-0.2-0.248414) > 1e-5 || math.Abs(0.2-lo[0]-0.248414) > 1e-5 {
		t.Errorf("band at epoch 1: %v to %v, want 0.2 +- 0.248414", lo[0], hi[0])
	}
	if _, _, lo, hi := cellCurve(&seedCell{Recs: c.Recs[:1]}, trainAcc); lo != nil || hi != nil {
		t.Errorf("one seed has a band")
	}
}

// TestFitY: an epoch-1 loss in the thousands is clipped off a log axis;
// an ordinary loss curve keeps its epoch 1 on a linear axis.
func TestFitY(t *testing.T) {
	strong := curve{xs: []float64{1, 2, 3, 4, 5}, ys: []float64{2809, 240, 39, 27, 25}}
	y := fitY([]curve{strong}, true)
	if !y.log || y.max >= 2809 || y.max < 240 || y.min > 25 {
		t.Errorf("strong L1: axis %+v, want log, 25 to about 240", y)
	}
	plain := curve{xs: []float64{1, 2, 3, 4, 5}, ys: []float64{2.24, 2.07, 1.9, 1.7, 1.5}}
	if y := fitY([]curve{plain}, true); y.log || y.max < 2.24 || y.min > 1.5 {
		t.Errorf("plain loss: axis %+v, want linear, 1.5 to 2.24", y)
	}
	if y := fitY([]curve{strong}, false); y.log || y.max < 2809 {
		t.Errorf("an accuracy axis is never clipped: %+v", y)
	}
}

// luminance is a colour's relative brightness.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	return 0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(b)
}

// TestSweepColors: a numeric axis is sorted and darkens as it grows, the
// same value has the same colour in every sweep of the report, and an
// architecture keeps its colour.
func TestSweepColors(t *testing.T) {
	by := fixtureByID()
	var l1 []*results.Record
	for _, id := range []string{"strided-n5000-l1_0.001", "strided-n5000-l1_10", "strided-n5000-l1_0", "strided-n5000-l1_1"} {
		l1 = append(l1, by[id])
	}
	recs, _ := fixtureRecords()
	st := newStyler(recs)
	cells, cols := st.sweepColors(groupSeedCells(l1), []string{"l1"})
	var order []string
	for _, c := range cells {
		order = append(order, axisValue(c.Recs[0].Run, "l1"))
	}
	if strings.Join(order, " ") != "0 0.001 1 10" {
		t.Errorf("legend order %v, want 0 0.001 1 10", order)
	}
	for i := 1; i < len(cols); i++ {
		if luminance(cols[i]) >= luminance(cols[i-1]) {
			t.Errorf("l1 %s is not darker than l1 %s", order[i], order[i-1])
		}
	}
	// l1 = 0.001 is coloured alike when it is drawn with other values.
	_, alone := st.sweepColors(groupSeedCells([]*results.Record{by["strided-n5000-l1_0.001"]}), []string{"l1"})
	if alone[0] != cols[1] {
		t.Errorf("l1 = 0.001 is %v alone and %v with the others", alone[0], cols[1])
	}
	// With seed as a second axis the cells are still coloured by l1.
	_, withSeed := st.sweepColors(groupSeedCells(l1), []string{"l1", "seed"})
	if !slices.Equal(withSeed, cols) {
		t.Errorf("colours with a seed axis %v, want those of l1 alone %v", withSeed, cols)
	}
	if st.archColor("strided") == st.archColor("maxpool") || st.archColor("maxpool") == st.archColor("deeper") {
		t.Errorf("architectures share a colour")
	}
}

// TestBuildFormats: figures.formats writes an SVG beside every PNG, and
// the SVGs go when the format is dropped.
func TestBuildFormats(t *testing.T) {
	root := filepath.Join(t.TempDir(), "report")
	recs, sweeps := fixtureRecords()
	writeTree(t, root, recs[:2], []SweepInfo{{Name: "data_amount", Feeds: []string{"table1", "figure3"}, Axes: []string{"n"},
		RunIDs: []string{recs[0].Run.ID, recs[1].Run.ID}}})
	_ = sweeps
	if _, err := BuildWith(root, Options{FigureFormats: []string{"svg"}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"figures/data_amount_curves.svg", "figures/data_amount_curves.png", "figures/runs/" + recs[0].Run.ID + "/curves.svg"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("with svg: %v", err)
		}
	}
	if err := Build(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "figures/data_amount_curves.svg")); err == nil {
		t.Errorf("the SVG stays after svg was dropped")
	}
	if _, err := BuildWith(root, Options{FigureFormats: []string{"eps"}}); err == nil || !strings.Contains(err.Error(), `unknown figure format "eps"`) {
		t.Errorf("eps: %v, want an unknown-format error", err)
	}
}

// TestSeedFixtureReport: a results tree of five seeds per cell builds, and
// each sweep figure is drawn once per cell, not once per seed.
func TestSeedFixtureReport(t *testing.T) {
	by := fixtureByID()
	recs := seededRecords([]*results.Record{by["strided-n5000-l1_0.0001"], by["maxpool-n5000-l1_0.0001"]}, 5)
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.Run.ID)
	}
	root := filepath.Join(t.TempDir(), "report")
	writeTree(t, root, recs, []SweepInfo{
		{Name: "figure2", Feeds: []string{"figure2"}, Axes: []string{"seed"}, RunIDs: ids[:5]},
		{Name: "architectures", Feeds: []string{"figure5"}, Axes: []string{"arch", "seed"}, RunIDs: ids}})
	if err := Build(root); err != nil {
		t.Fatal(err)
	}
	// Figure 2 of the five seeds is one figure of their mean, and REPORT.md
	// links it and each seed's own.
	cell := filepath.Join("figures", "cells", "strided-n5000-l1_0.0001", "curves.png")
	if b, err := os.ReadFile(filepath.Join(root, cell)); err != nil {
		t.Error(err)
	} else {
		checkPNG(t, cell, b)
	}
	md, err := os.ReadFile(filepath.Join(root, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"strided-n5000-l1_0.0001, 5 seeds: mean accuracy (top) and loss (bottom) per epoch, training and validation, with a band of the 95% CI of the mean over seeds",
		"[seed 3](figures/runs/strided-n5000-l1_0.0001-s3/curves.png)", "](" + filepath.ToSlash(cell) + ")"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "figures", "architectures_comparison.png"))
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "architectures_comparison.png", b)
	if cells := groupSeedCells(recs); len(cells) != 2 || len(cells[0].Recs) != 5 {
		t.Errorf("%d cells, want 2 of 5 seeds", len(cells))
	}
}

// TestFiguresDiverged: a run whose every loss is NaN, and a cell one of
// whose seeds diverged, still draw (the mean has a gap where a seed has
// no finite value).
func TestFiguresDiverged(t *testing.T) {
	by := fixtureByID()
	r := *by["strided-n5000-l1_0.0001"]
	r.History = slices.Clone(r.History)
	for i := range r.History {
		r.History[i].Loss, r.History[i].ValLoss = math.NaN(), math.Inf(1)
	}
	b, err := CurvesFigure(&r)
	if err != nil {
		t.Fatal(err)
	}
	checkPNG(t, "curves of a diverged run", b)
	seeds := seededRecords([]*results.Record{by["maxpool-n5000-l1_0.0001"]}, 3)
	seeds[1].History[4].Accuracy = math.NaN()
	_, ys, lo, _ := cellCurve(groupSeedCells(seeds)[0], trainAcc)
	if !math.IsNaN(ys[4]) || !math.IsNaN(lo[4]) || math.IsNaN(ys[5]) {
		t.Errorf("epoch 5 of a cell with a diverged seed: mean %v, band %v; want a gap there only", ys[4], lo[4])
	}
	if _, err := OverlayFigure("diverged seed", seeds, []string{"seed"}); err != nil {
		t.Fatal(err)
	}
}

// TestCellFiguresSameLabel: two cells of one label (runs of one ID but
// other settings) get Figure 2 each, in directories of their own.
func TestCellFiguresSameLabel(t *testing.T) {
	by := fixtureByID()
	a := seededRecords([]*results.Record{by["strided-n5000-l1_0.0001"]}, 2)
	b := seededRecords([]*results.Record{by["strided-n5000-l1_0.0001"]}, 2)
	for _, r := range b {
		r.Run.BatchSize *= 2
		r.Hash = r.Run.Hash()
	}
	recs := append(a, b...)
	var dirs []string
	for _, r := range recs {
		dirs = append(dirs, r.DirName())
	}
	root := filepath.Join(t.TempDir(), "report")
	writeTree(t, root, recs, []SweepInfo{{Name: "figure2", Feeds: []string{"figure2"}, Axes: []string{"seed"},
		RunIDs: []string{a[0].Run.ID, a[1].Run.ID, b[0].Run.ID, b[1].Run.ID}, RunDirs: dirs}})
	if err := Build(root); err != nil {
		t.Fatal(err)
	}
	key := b[0].Run.CellHash()
	for _, dir := range []string{"strided-n5000-l1_0.0001", "strided-n5000-l1_0.0001-" + key[:10]} {
		if _, err := os.Stat(filepath.Join(root, "figures", "cells", dir, "curves.png")); err != nil {
			t.Errorf("figure 2 of a cell: %v", err)
		}
	}
}
