package stats

import (
	"math"
	"testing"
)

// Student's sleep data (Cushny and Peebles 1905, as printed in Student
// 1908 and shipped with R as `sleep`): extra hours of sleep of ten
// patients under two drugs. The expected values are R 4's output for
// t.test(...), typed in: paired, t.test(g1, g2, paired = TRUE); Welch,
// t.test(g1, g2); one sample, t.test(g2).
var (
	sleep1 = []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
	sleep2 = []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(want) {
		if !math.IsNaN(got) {
			t.Errorf("%s = %v, want NaN", name, got)
		}
		return
	}
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.7g, want %.7g (within %g)", name, got, want, tol)
	}
}

func TestTQuantile(t *testing.T) {
	// Two-sided 95% and one-sided 80% critical values of Student's t, from
	// the table in any statistics textbook (e.g. Moore, McCabe and Craig,
	// Table D).
	for _, c := range []struct{ p, df, want float64 }{
		{0.975, 1, 12.706},
		{0.975, 4, 2.776},
		{0.975, 9, 2.262},
		{0.975, 30, 2.042},
		{0.80, 4, 0.941},
		{0.80, 9, 0.883},
	} {
		near(t, "t quantile", TQuantile(c.p, c.df), c.want, 0.0005)
	}
}

func TestSummarize(t *testing.T) {
	s := Summarize(sleep2)
	// R: mean(g2) 2.33, sd(g2) 2.002249, t.test(g2) CI 0.8976775 3.7623225.
	if s.N != 10 {
		t.Errorf("N = %d", s.N)
	}
	near(t, "mean", s.Mean, 2.33, 1e-12)
	near(t, "sd", s.SD, 2.002249, 1e-6)
	near(t, "ci low", s.CILow, 0.8976775, 1e-6)
	near(t, "ci high", s.CIHigh, 3.7623225, 1e-6)

	// By hand: 1, 2, 3 has mean 2, sd 1, CI 2 -+ 4.302653 / sqrt(3).
	s = Summarize([]float64{1, 2, 3})
	near(t, "mean", s.Mean, 2, 1e-12)
	near(t, "sd", s.SD, 1, 1e-12)
	near(t, "ci high", s.CIHigh, 2+4.302653/math.Sqrt(3), 1e-6)

	one := Summarize([]float64{0.5})
	if one.N != 1 || one.Mean != 0.5 || !math.IsNaN(one.SD) || !math.IsNaN(one.CILow) || !math.IsNaN(one.CIHigh) {
		t.Errorf("one value: %+v, want mean 0.5 and NaN spread", one)
	}
	if none := Summarize(nil); none.N != 0 || !math.IsNaN(none.Mean) {
		t.Errorf("no value: %+v", none)
	}
}

// TestRSleep checks both t-tests against R's output on the sleep data.
func TestRSleep(t *testing.T) {
	for _, c := range []struct {
		name                   string
		got                    Test
		method                 string
		tval, df, p, low, high float64
		tolDF                  float64
	}{
		// R: t = -4.0621, df = 9, p-value = 0.002833,
		// 95 percent CI -2.4598858 -0.7001142, mean difference -1.58.
		{"paired", PairedT(sleep1, sleep2), "paired t", -4.0621, 9, 0.002833, -2.4598858, -0.7001142, 0},
		// R: t = -1.8608, df = 17.776, p-value = 0.07939,
		// 95 percent CI -3.3654832 0.2054832.
		{"Welch", WelchT(sleep1, sleep2), "Welch t", -1.8608, 17.776, 0.07939, -3.3654832, 0.2054832, 5e-4},
	} {
		r := c.got
		if r.Method != c.method {
			t.Errorf("%s: method %q", c.name, r.Method)
		}
		near(t, c.name+" diff", r.Diff, -1.58, 1e-12)
		near(t, c.name+" t", r.T, c.tval, 5e-5)
		near(t, c.name+" df", r.DF, c.df, c.tolDF)
		near(t, c.name+" p", r.P, c.p, 5e-6)
		near(t, c.name+" ci low", r.CILow, c.low, 1e-6)
		near(t, c.name+" ci high", r.CIHigh, c.high, 1e-6)
	}
	// By hand: se = sd(d) / sqrt(10) = 1.229995 / 3.162278 = 0.3889587;
	// (t[.975, 9] + t[.80, 9]) * se = (2.262157 + 0.8834039) * 0.3889587.
	near(t, "min detectable", PairedT(sleep1, sleep2).MinDetectable, (2.262157+0.8834039)*0.3889587, 1e-5)
}

func TestDegenerateSamples(t *testing.T) {
	if one := PairedT([]float64{1}, []float64{0.5}); one.Diff != 0.5 || !math.IsNaN(one.P) || !math.IsNaN(one.CILow) {
		t.Errorf("one pair: %+v, want the difference and NaN statistics", one)
	}
	// No spread: identical pairs are no evidence, a constant shift is.
	if same := PairedT([]float64{1, 2}, []float64{1, 2}); same.P != 1 || same.T != 0 {
		t.Errorf("identical pairs: %+v", same)
	}
	if shift := PairedT([]float64{2, 3}, []float64{1, 2}); shift.P != 0 || !math.IsInf(shift.T, 1) {
		t.Errorf("constant shift: %+v", shift)
	}
	if one := WelchT([]float64{1}, []float64{0, 1}); one.Diff != 0.5 || !math.IsNaN(one.P) {
		t.Errorf("one value: %+v", one)
	}
}

func TestSignFlipP(t *testing.T) {
	for _, c := range []struct {
		name string
		d    []float64
		want float64
	}{
		// By hand: the 8 sums +-1 +-2 +-3 are 6 4 2 0 0 -2 -4 -6; two reach |6|.
		{"1 2 3", []float64{1, 2, 3}, 2.0 / 8},
		// Sum 6: the patterns reaching |sum| >= 6 are ++++ (10), -+++ (8),
		// +-++ (6) and their mirrors: 6 of 16.
		{"1 -2 3 4", []float64{1, -2, 3, 4}, 6.0 / 16},
		// Five differences of one sign: only all-plus and all-minus, 2/32,
		// the smallest p of five pairs.
		{"five positive", []float64{0.01, 0.02, 0.03, 0.04, 0.05}, 2.0 / 32},
		// Student's sleep differences: all >= 0 and one is 0, so all-plus,
		// all-minus and both again with the 0 flipped: 4 of 1024.
		{"sleep", Differences(sleep2, sleep1), 4.0 / 1024},
		// Ties under rounding count: 0.1 + 0.2 and 0.3 are the same sum.
		{"rounding", []float64{0.1, 0.2, -0.3}, 1},
		{"none", nil, math.NaN()},
		{"too many", make([]float64, MaxExactPairs+1), math.NaN()},
	} {
		near(t, c.name, SignFlipP(c.d), c.want, 1e-12)
	}
}

func TestHolm(t *testing.T) {
	// By hand (R's p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") agrees):
	// sorted 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04
	// raised to 0.06 to stay non-decreasing.
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		near(t, "holm", got[i], want[i], 1e-12)
	}
	// NaN is left out of the family: two p-values, so times 2 and 1;
	// the cap at 1.
	got = Holm([]float64{0.7, math.NaN(), 0.2})
	near(t, "holm 0", got[0], 0.7, 1e-12)
	near(t, "holm nan", got[1], math.NaN(), 0)
	near(t, "holm 2", got[2], 0.4, 1e-12)
	near(t, "cap", Holm([]float64{0.6, 0.6})[0], 1, 0)
	if len(Holm(nil)) != 0 {
		t.Error("Holm(nil) is not empty")
	}
}

func TestPooledWelchT(t *testing.T) {
	// Cell 1: a = 1 2 3 (mean 2, variance of the mean 1/3), b = 0 1 (0.5,
	// 0.25); cell 2: a = 5 7 (6, 1), b = 4 4 7 (5, 1). Differences 1.5 and
	// 1, mean 1.25; variance (1/3 + 0.25 + 1 + 1) / 4; degrees of freedom
	// (31/12)^2 / ((1/9)/2 + 0.0625/1 + 1/1 + 1/2). The third cell has one
	// value on a side and is left out.
	a := [][]float64{{1, 2, 3}, {5, 7}, {9}}
	b := [][]float64{{0, 1}, {4, 4, 7}, {1, 2}}
	got := PooledWelchT(a, b)
	se := math.Sqrt(31.0/12) / 2
	df := (31.0 / 12) * (31.0 / 12) / (1.0/18 + 0.0625 + 1 + 0.5)
	half := TQuantile(0.975, df) * se
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"diff", got.Diff, 1.25}, {"se", got.SE, se}, {"df", got.DF, df}, {"ci low", got.CILow, 1.25 - half}, {"ci high", got.CIHigh, 1.25 + half}} {
		if math.Abs(c.got-c.want) > 1e-12 {
			t.Errorf("%s = %.15g; want %.15g", c.name, c.got, c.want)
		}
	}
	// One cell is Welch's test of that cell.
	one := PooledWelchT(a[:1], b[:1])
	w := WelchT(a[0], b[0])
	if one.Diff != w.Diff || math.Abs(one.SE-w.SE) > 1e-15 || math.Abs(one.DF-w.DF) > 1e-12 || math.Abs(one.P-w.P) > 1e-12 {
		t.Errorf("one cell: %+v; WelchT %+v", one, w)
	}
	if got := PooledWelchT(a[2:], b[2:]); !math.IsNaN(got.Diff) || !math.IsNaN(got.CILow) {
		t.Errorf("no usable cell: %+v; want NaN", got)
	}
}
