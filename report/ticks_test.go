package report

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

// checkTicks asserts what a reader relies on: every label, parsed, is its
// tick's value (to the double nearest the decimal it prints), no two labels
// are equal, labelled ticks lie in the range, and at least min of them do.
func checkTicks(t *testing.T, name string, lo, hi float64, ticks []plot.Tick, minLabels int) {
	t.Helper()
	seen := map[string]bool{}
	n := 0
	for _, tk := range ticks {
		if tk.Value < lo || tk.Value > hi {
			t.Errorf("%s [%g, %g]: tick %g outside the range", name, lo, hi, tk.Value)
		}
		if tk.Label == "" {
			continue
		}
		n++
		v, err := strconv.ParseFloat(tk.Label, 64)
		if err != nil {
			t.Errorf("%s [%g, %g]: label %q is not a number", name, lo, hi, tk.Label)
			continue
		}
		// The label's precision: half a unit of its last printed digit.
		dec := 0
		if i := strings.IndexByte(tk.Label, '.'); i >= 0 {
			dec = len(tk.Label) - i - 1
		}
		if math.Abs(v-tk.Value) > 1e-9*math.Pow10(-dec) {
			t.Errorf("%s [%g, %g]: label %q on a tick at %.17g", name, lo, hi, tk.Label, tk.Value)
		}
		if seen[tk.Label] {
			t.Errorf("%s [%g, %g]: label %q twice", name, lo, hi, tk.Label)
		}
		seen[tk.Label] = true
	}
	if n < minLabels || n > maxMajorTicks+2 {
		t.Errorf("%s [%g, %g]: %d labelled ticks, want %d to %d: %v", name, lo, hi, n, minLabels, maxMajorTicks+2, ticks)
	}
}

// TestTicksIssueRanges are the axes that read wrong in issue 11.
func TestTicksIssueRanges(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []string
	}{
		{0.14, 0.46, []string{"0.15", "0.20", "0.25", "0.30", "0.35", "0.40", "0.45"}}, // read 0.1 / 0.3 / 0.4
		{1.45, 2.3, nil},
		{1.7, 2.55, []string{"1.8", "2.0", "2.2", "2.4"}}, // read 1.8 / 2.0 / 2.2 / 2.5 for 1.75 ...
		{0, 1, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
	} {
		ticks := linearTicks{}.Ticks(tc.lo, tc.hi)
		checkTicks(t, "linear", tc.lo, tc.hi, ticks, 3)
		if tc.want == nil {
			continue
		}
		var got []string
		for _, tk := range ticks {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("[%g, %g]: labels %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
	// The l1 sweep's losses after epoch 1: 1.4 to 240 on a log axis carry
	// labels below 10, where the useful curves are.
	var got []string
	for _, tk := range (logTicks{}).Ticks(1.35, 245) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if want := "2 3 5 10 20 30 50 100 200"; strings.Join(got, " ") != want {
		t.Errorf("log [1.35, 245]: labels %v, want %s", got, want)
	}
}

// TestTicksProperty: over many random linear and log ranges, every label
// is its tick's value and the labels are distinct and dense enough.
func TestTicksProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	for range 20000 {
		span := math.Pow(10, -4+9*rng.Float64())
		lo := (rng.Float64()*4 - 2) * span * math.Pow(10, 2*rng.Float64())
		hi := lo + span
		checkTicks(t, "linear", lo, hi, linearTicks{}.Ticks(lo, hi), 3)

		llo := math.Pow(10, -5+9*rng.Float64())
		lhi := llo * math.Pow(10, 0.05+6*rng.Float64())
		checkTicks(t, "log", llo, lhi, logTicks{}.Ticks(llo, lhi), 2)
		if t.Failed() {
			return
		}
	}
}

// FuzzTicks: no range makes the tickers panic or label falsely.
func FuzzTicks(f *testing.F) {
	f.Add(0.14, 0.46)
	f.Add(1.4, 2809.0)
	f.Fuzz(func(t *testing.T, lo, hi float64) {
		if math.IsNaN(lo) || math.IsNaN(hi) || !(hi > lo) || math.Abs(lo) > 1e12 || math.Abs(hi) > 1e12 || hi-lo < 1e-9*math.Max(1, math.Abs(lo)) {
			t.Skip()
		}
		checkTicks(t, "linear", lo, hi, linearTicks{}.Ticks(lo, hi), 2)
		if lo > 1e-9 {
			checkTicks(t, "log", lo, hi, logTicks{}.Ticks(lo, hi), 1)
		}
	})
}
