// Command paired summarises make fidelity-paired (issue 12): per cell and
// metric, over the seeds each pair of sides shares, the paired difference
// convlab − paired (the training arithmetic alone: the paired reference
// draws convlab's initial weights, shuffles and dropout masks), Welch's
// difference paired − reference (the random streams alone: the
// reference's own torch streams) and convlab − reference (both, the
// comparison of make fidelity), each with its 95% CI from report/stats.
// With several cells, convlab − reference is pooled over them too (make
// fidelity's summary). A last table follows how far the convlab and paired trajectories
// have parted by epoch, next to how far two paired runs part whose initial
// kernels are one float32 ulp apart (paired-nudged), rounding alone.
//
// Usage: go run ./scripts/peer/paired FIDELITY_DIR
package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"convlab/report/stats"
)

// epoch is one history row.
type epoch struct {
	Loss        float64 `json:"loss"`
	Accuracy    float64 `json:"accuracy"`
	ValAccuracy float64 `json:"val_accuracy"`
}

// run is one finished training run of any side.
type run struct {
	history []epoch
	test    float64
}

type cell struct {
	arch   string
	l1     float64
	n      int
	epochs int
}

// sides maps side -> cell -> seed -> run.
type sides map[string]map[cell]map[int64]run

const (
	sideConvlab   = "convlab"
	sidePaired    = "paired"
	sideReference = "reference"
	// sideNudged is paired again from initial kernels one float32 ulp up:
	// the yardstick of how far two float32 trajectories of one training
	// loop part by rounding alone.
	sideNudged = "paired-nudged"
	// swapPrefix starts the directories of the reference with only some of
	// convlab's streams: streams-SPEC holds keras_reference.py train
	// --streams SPEC runs (e.g. streams-init=convlab).
	swapPrefix = "streams-"
)

var metrics = []struct {
	name string
	of   func(run) float64
}{
	{"last-epoch train accuracy", func(r run) float64 { return r.history[len(r.history)-1].Accuracy }},
	{"last-epoch loss", func(r run) float64 { return r.history[len(r.history)-1].Loss }},
	{"last-epoch val accuracy", func(r run) float64 { return r.history[len(r.history)-1].ValAccuracy }},
	{"test accuracy", func(r run) float64 { return r.test }},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: paired FIDELITY_DIR")
		os.Exit(2)
	}
	s, err := load(os.Args[1])
	if err == nil {
		err = write(os.Stdout, s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "paired:", err)
		os.Exit(1)
	}
}

func (s sides) add(side string, c cell, seed int64, r run) {
	if s[side] == nil {
		s[side] = map[cell]map[int64]run{}
	}
	if s[side][c] == nil {
		s[side][c] = map[int64]run{}
	}
	s[side][c][seed] = r
}

// load reads every finished run under dir: convlab's run directories
// (with DONE) and the reference's JSON files of paired/ and reference/.
func load(dir string) (sides, error) {
	s := sides{}
	swaps, err := filepath.Glob(filepath.Join(dir, swapPrefix+"*"))
	if err != nil {
		return nil, err
	}
	for i := range swaps {
		swaps[i] = filepath.Base(swaps[i])
	}
	for _, side := range append([]string{sidePaired, sideReference, sideNudged}, swaps...) {
		files, err := filepath.Glob(filepath.Join(dir, side, "*.json"))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			var r struct {
				Arch         string  `json:"arch"`
				N            int     `json:"n"`
				L1           float64 `json:"l1"`
				Epochs       int     `json:"epochs"`
				Seed         int64   `json:"seed"`
				History      []epoch `json:"history"`
				TestAccuracy float64 `json:"test_accuracy"`
			}
			if err := json.Unmarshal(b, &r); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if len(r.History) == 0 {
				return nil, fmt.Errorf("%s: no history", f)
			}
			s.add(side, cell{r.Arch, r.L1, r.N, r.Epochs}, r.Seed, run{r.History, r.TestAccuracy})
		}
	}
	if err := s.loadConvlab(dir, sideConvlab); err != nil {
		return nil, err
	}
	return s, nil
}

// loadConvlab reads the finished convlab runs under dir/side/results.
func (s sides) loadConvlab(dir, side string) error {
	metricsFiles, err := filepath.Glob(filepath.Join(dir, side, "results", "*", "runs", "*", "metrics.json"))
	if err != nil {
		return err
	}
	for _, f := range metricsFiles {
		rd := filepath.Dir(f)
		if _, err := os.Stat(filepath.Join(rd, "DONE")); err != nil {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var m struct {
			Run struct {
				Arch struct {
					Name string `json:"name"`
				} `json:"arch"`
				N      int     `json:"n"`
				L1     float64 `json:"l1"`
				Epochs int     `json:"epochs"`
				Seed   int64   `json:"seed"`
			} `json:"run"`
			Metrics struct {
				Test struct {
					Accuracy float64 `json:"accuracy"`
				} `json:"test"`
			} `json:"metrics"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		h, err := readHistory(filepath.Join(rd, "history.csv"))
		if err != nil {
			return err
		}
		r := m.Run
		s.add(side, cell{r.Arch.Name, r.L1, r.N, r.Epochs}, r.Seed, run{h, m.Metrics.Test.Accuracy})
	}
	return nil
}

// readHistory reads convlab's history.csv (header epoch, loss, accuracy,
// val_loss, val_accuracy, seconds).
func readHistory(path string) ([]epoch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: no epochs", path)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, name := range []string{"loss", "accuracy", "val_accuracy"} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("%s: no %s column", path, name)
		}
	}
	var h []epoch
	for i, row := range rows[1:] {
		var e epoch
		for _, v := range []struct {
			name string
			to   *float64
		}{{"loss", &e.Loss}, {"accuracy", &e.Accuracy}, {"val_accuracy", &e.ValAccuracy}} {
			if *v.to, err = strconv.ParseFloat(row[col[v.name]], 64); err != nil {
				return nil, fmt.Errorf("%s:%d: %s: %w", path, i+2, v.name, err)
			}
		}
		h = append(h, e)
	}
	return h, nil
}

// shared lists the seeds both maps hold, sorted.
func shared(a, b map[int64]run) []int64 {
	var seeds []int64
	for s := range a {
		if _, ok := b[s]; ok {
			seeds = append(seeds, s)
		}
	}
	slices.Sort(seeds)
	return seeds
}

func values(runs map[int64]run, seeds []int64, of func(run) float64) []float64 {
	v := make([]float64, len(seeds))
	for i, s := range seeds {
		v[i] = of(runs[s])
	}
	return v
}

func all(runs map[int64]run) []int64 {
	var seeds []int64
	for s := range runs {
		seeds = append(seeds, s)
	}
	slices.Sort(seeds)
	return seeds
}

func ci(t stats.Test) string {
	if math.IsNaN(t.Diff) {
		return ""
	}
	if math.IsNaN(t.CILow) {
		return fmt.Sprintf("%+.4f [n/a]", t.Diff)
	}
	mark := ""
	if t.CILow > 0 || t.CIHigh < 0 {
		mark = " *"
	}
	return fmt.Sprintf("%+.4f [%+.4f, %+.4f]%s", t.Diff, t.CILow, t.CIHigh, mark)
}

// write prints the two Markdown tables.
func write(w io.Writer, s sides) error {
	var cells []cell
	for c := range s[sideConvlab] {
		cells = append(cells, c)
	}
	slices.SortFunc(cells, func(a, b cell) int {
		if c := strings.Compare(a.arch, b.arch); c != 0 {
			return c
		}
		if a.l1 != b.l1 {
			if a.l1 < b.l1 {
				return -1
			}
			return 1
		}
		return (a.n-b.n)*1000 + a.epochs - b.epochs
	})
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("Differences with 95%% CIs (* excludes 0): convlab − paired and paired − nudged are paired by seed (the same streams); paired − reference and convlab − reference are Welch's (independent streams).\n\n")
	p("| cell | metric | seeds c/p/r/n | convlab | paired | reference | convlab − paired | paired − reference | convlab − reference | paired − nudged |\n")
	p("| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- | --- |\n")
	for _, c := range cells {
		cv, pr, rf, nu := s[sideConvlab][c], s[sidePaired][c], s[sideReference][c], s[sideNudged][c]
		pairs, npairs := shared(cv, pr), shared(pr, nu)
		for _, m := range metrics {
			mean := func(runs map[int64]run) string {
				if len(runs) == 0 {
					return ""
				}
				return fmt.Sprintf("%.4f", stats.Summarize(values(runs, all(runs), m.of)).Mean)
			}
			ab := stats.PairedT(values(cv, pairs, m.of), values(pr, pairs, m.of))
			bc := stats.WelchT(values(pr, all(pr), m.of), values(rf, all(rf), m.of))
			ac := stats.WelchT(values(cv, all(cv), m.of), values(rf, all(rf), m.of))
			pn := stats.PairedT(values(pr, npairs, m.of), values(nu, npairs, m.of))
			p("| %s l1 %g (n %d, %d ep) | %s | %d/%d/%d/%d (%d pairs) | %s | %s | %s | %s | %s | %s | %s |\n",
				c.arch, c.l1, c.n, c.epochs, m.name, len(cv), len(pr), len(rf), len(nu), len(pairs),
				mean(cv), mean(pr), mean(rf), ci(ab), ci(bc), ci(ac), ci(pn))
		}
	}
	if len(cells) > 1 {
		p("\nPooled over the %d cells: the mean of the cells' convlab − reference differences (pooled Welch t).\n\n", len(cells))
		p("| metric | cells lower in convlab | convlab − reference |\n| --- | --- | --- |\n")
		for _, m := range metrics {
			var a, b [][]float64
			lower, k := 0, 0
			for _, c := range cells {
				cv, rf := s[sideConvlab][c], s[sideReference][c]
				x, y := values(cv, all(cv), m.of), values(rf, all(rf), m.of)
				a, b = append(a, x), append(b, y)
				if len(x) >= 2 && len(y) >= 2 {
					k++
					if stats.WelchT(x, y).Diff < 0 {
						lower++
					}
				}
			}
			p("| %s | %d of %d | %s |\n", m.name, lower, k, ci(stats.PooledWelchT(a, b)))
		}
	}
	var swaps []string
	for side := range s {
		if strings.HasPrefix(side, swapPrefix) {
			swaps = append(swaps, side)
		}
	}
	slices.Sort(swaps)
	if len(swaps) > 0 {
		p("\nThe reference with other streams (--streams SPEC: some of convlab's, the others torch's; own: each stream a torch generator of its own), against the reference (all torch's, one generator), paired (all convlab's) and convlab; Welch 95%% CIs.\n\n")
		p("| cell | metric | streams | seeds | mean | − reference | − paired | convlab − it |\n| --- | --- | --- | ---: | ---: | --- | --- | --- |\n")
		for _, c := range cells {
			pr, rf, cv := s[sidePaired][c], s[sideReference][c], s[sideConvlab][c]
			for _, m := range metrics {
				for _, side := range swaps {
					sw := s[side][c]
					if len(sw) == 0 {
						continue
					}
					x := values(sw, all(sw), m.of)
					p("| %s l1 %g | %s | %s | %d | %.4f | %s | %s | %s |\n", c.arch, c.l1, m.name, strings.TrimPrefix(side, swapPrefix), len(x),
						stats.Summarize(x).Mean, ci(stats.WelchT(x, values(rf, all(rf), m.of))), ci(stats.WelchT(x, values(pr, all(pr), m.of))),
						ci(stats.WelchT(values(cv, all(cv), m.of), x)))
				}
			}
		}
	}
	p("\nHow far the paired trajectories part: by epoch, the mean over seed pairs of |convlab − paired|, and of |paired − paired nudged| (initial kernels one float32 ulp apart: rounding alone).\n\n")
	p("| cell | epoch | pairs | loss | train accuracy | val accuracy | nudged pairs | loss | train accuracy | val accuracy |\n")
	p("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, c := range cells {
		cv, pr := s[sideConvlab][c], s[sidePaired][c]
		pairs, npairs := shared(cv, pr), shared(pr, s[sideNudged][c])
		if len(pairs)+len(npairs) == 0 {
			continue
		}
		var shown []int
		for _, e := range []int{1, 2, 3, 5, 10, 15, 20, c.epochs} {
			if e <= c.epochs && !slices.Contains(shown, e) {
				shown = append(shown, e)
			}
		}
		for _, e := range shown {
			p("| %s l1 %g | %d ", c.arch, c.l1, e)
			for _, side := range []struct {
				a, b  map[int64]run
				seeds []int64
			}{{cv, pr, pairs}, {pr, s[sideNudged][c], npairs}} {
				dl, da, dv, err := parted(side.a, side.b, side.seeds, e)
				if err != nil {
					return fmt.Errorf("%s l1 %g: %w", c.arch, c.l1, err)
				}
				if len(side.seeds) == 0 {
					p("| 0 | | | ")
					continue
				}
				p("| %d | %.2g | %.2g | %.2g ", len(side.seeds), dl, da, dv)
			}
			p("|\n")
		}
	}
	return nil
}

// parted is the mean over seeds of |a − b| at epoch e (1-based) of the
// loss, train accuracy and val accuracy.
func parted(a, b map[int64]run, seeds []int64, e int) (loss, acc, val float64, err error) {
	for _, sd := range seeds {
		x, y := a[sd].history, b[sd].history
		if len(x) < e || len(y) < e {
			return 0, 0, 0, fmt.Errorf("seed %d: fewer than %d epochs", sd, e)
		}
		loss += math.Abs(x[e-1].Loss - y[e-1].Loss)
		acc += math.Abs(x[e-1].Accuracy - y[e-1].Accuracy)
		val += math.Abs(x[e-1].ValAccuracy - y[e-1].ValAccuracy)
	}
	if k := float64(len(seeds)); k > 0 {
		loss, acc, val = loss/k, acc/k, val/k
	}
	return loss, acc, val, nil
}
