package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Level is the confidence level of every interval; Alpha the significance
// level of every verdict; Power the power of the minimum detectable
// difference.
const (
	Level = 0.95
	Alpha = 1 - Level
	Power = 0.80
)

// MaxExactPairs is the most pairs the exact sign-flip test enumerates (all
// 2^n sign patterns); with more, the t-test's p is the one reported.
const MaxExactPairs = 16

// Summary describes one sample: a cell's values over its seeds.
type Summary struct {
	N    int
	Mean float64
	// SD is the sample standard deviation (n-1 in the denominator); NaN
	// for a single value, like CILow and CIHigh.
	SD            float64
	CILow, CIHigh float64
}

// Summarize returns the mean, standard deviation and Student-t 95% CI of
// x. An empty x has a NaN mean.
func Summarize(x []float64) Summary {
	s := Summary{N: len(x), Mean: math.NaN(), SD: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN()}
	if len(x) == 0 {
		return s
	}
	s.Mean = stat.Mean(x, nil)
	if len(x) < 2 {
		return s
	}
	s.SD = stat.StdDev(x, nil)
	half := TQuantile(1-Alpha/2, float64(len(x)-1)) * s.SD / math.Sqrt(float64(len(x)))
	s.CILow, s.CIHigh = s.Mean-half, s.Mean+half
	return s
}

// TQuantile is the p quantile of Student's t distribution with df degrees
// of freedom.
func TQuantile(p, df float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(p)
}

// Test is the result of a t-test of a difference.
type Test struct {
	// Method is "paired t" or "Welch t".
	Method string
	// Diff is the estimated difference (mean of a minus mean of b).
	Diff float64
	// SE is its standard error, DF the degrees of freedom of T.
	SE, DF, T float64
	// P is the two-sided p-value.
	P float64
	// CILow, CIHigh bound the 95% CI of Diff.
	CILow, CIHigh float64
	// MinDetectable is the smallest true difference the test would detect
	// at Alpha with Power, given this noise and these seeds.
	MinDetectable float64
}

func nanTest(method string, diff float64) Test {
	n := math.NaN()
	return Test{Method: method, Diff: diff, SE: n, DF: n, T: n, P: n, CILow: n, CIHigh: n, MinDetectable: n}
}

// finish fills T, P, the interval and the detectable difference from
// Diff, SE and DF.
func (t Test) finish() Test {
	dist := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: t.DF}
	crit := dist.Quantile(1 - Alpha/2)
	switch {
	case t.SE > 0:
		t.T = t.Diff / t.SE
		t.P = math.Min(1, 2*dist.Survival(math.Abs(t.T)))
	case t.Diff == 0: // no spread and no difference: nothing to see
		t.T, t.P = 0, 1
	default: // no spread but a difference: as clear as it gets
		t.T, t.P = math.Copysign(math.Inf(1), t.Diff), 0
	}
	t.CILow, t.CIHigh = t.Diff-crit*t.SE, t.Diff+crit*t.SE
	t.MinDetectable = (crit + dist.Quantile(Power)) * t.SE
	return t
}

// PairedT tests the mean of the differences a[i] - b[i] against 0, with
// n-1 degrees of freedom. a and b must have the same length; with fewer
// than two pairs every statistic but Diff is NaN.
func PairedT(a, b []float64) Test {
	d := Differences(a, b)
	if len(d) == 0 {
		return nanTest("paired t", math.NaN())
	}
	mean := stat.Mean(d, nil)
	if len(d) < 2 {
		return nanTest("paired t", mean)
	}
	n := float64(len(d))
	t := Test{Method: "paired t", Diff: mean, SE: stat.StdDev(d, nil) / math.Sqrt(n), DF: n - 1}
	return t.finish()
}

// Differences returns a[i] - b[i]; it panics when the lengths differ, a
// programming error.
func Differences(a, b []float64) []float64 {
	if len(a) != len(b) {
		panic("stats: paired samples of different lengths")
	}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return d
}

// WelchT tests the difference of the means of two independent samples
// without assuming equal variances (Welch-Satterthwaite degrees of
// freedom). With fewer than two values in either sample every statistic
// but Diff is NaN.
func WelchT(a, b []float64) Test {
	if len(a) == 0 || len(b) == 0 {
		return nanTest("Welch t", math.NaN())
	}
	diff := stat.Mean(a, nil) - stat.Mean(b, nil)
	if len(a) < 2 || len(b) < 2 {
		return nanTest("Welch t", diff)
	}
	va := stat.Variance(a, nil) / float64(len(a))
	vb := stat.Variance(b, nil) / float64(len(b))
	t := Test{Method: "Welch t", Diff: diff, SE: math.Sqrt(va + vb)}
	if va+vb > 0 {
		t.DF = (va + vb) * (va + vb) / (va*va/float64(len(a)-1) + vb*vb/float64(len(b)-1))
	} else {
		t.DF = float64(len(a) + len(b) - 2)
	}
	return t.finish()
}

// SignFlipP is the exact two-sided p-value of the sign-flip permutation
// test of paired differences d: under "no difference" each d[i] is as
// likely to have the other sign, so p is the fraction of the 2^n sign
// patterns whose |sum| is at least the observed |sum|. NaN for no
// differences or more than MaxExactPairs. The smallest p it can give is
// 2/2^n (0.0625 for 5 pairs).
func SignFlipP(d []float64) float64 {
	n := len(d)
	if n == 0 || n > MaxExactPairs {
		return math.NaN()
	}
	observed, scale := 0.0, 0.0
	for _, v := range d {
		observed += v
		scale += math.Abs(v)
	}
	observed = math.Abs(observed)
	// Sums that equal the observed one but for rounding count as ties.
	tol := 1e-9 * scale
	extreme := 0
	for mask := 0; mask < 1<<n; mask++ {
		sum := 0.0
		for i, v := range d {
			if mask&(1<<i) != 0 {
				sum -= v
			} else {
				sum += v
			}
		}
		if math.Abs(sum) >= observed-tol {
			extreme++
		}
	}
	return float64(extreme) / float64(int(1)<<n)
}

// Holm adjusts a family of p-values for multiple comparisons by Holm's
// step-down method: the i-th smallest of m is multiplied by m-i+1, the
// results made non-decreasing and capped at 1. NaN values are left NaN
// and do not count in m. The result is in the order of p.
func Holm(p []float64) []float64 {
	out := make([]float64, len(p))
	var idx []int
	for i, v := range p {
		out[i] = math.NaN()
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case p[a] < p[b]:
			return -1
		case p[a] > p[b]:
			return 1
		}
		return 0
	})
	m, running := len(idx), 0.0
	for rank, i := range idx {
		running = math.Max(running, math.Min(1, float64(m-rank)*p[i]))
		out[i] = running
	}
	return out
}

// PooledWelchT tests the mean over k cells of the difference of means,
// mean(a[i]) − mean(b[i]), every sample independent of the others (as two
// implementations' runs of several cells): Diff is the mean of the k
// differences and its variance the sum of the 2k means' variances over
// k², with Welch–Satterthwaite degrees of freedom over the 2k samples.
// Cells with fewer than two values on either side are left out; with
// none left every statistic but Diff (NaN when no cell has values) is NaN.
func PooledWelchT(a, b [][]float64) Test {
	if len(a) != len(b) {
		panic("stats: pooled samples of different lengths")
	}
	var diffs, vars, dofs []float64
	for i := range a {
		if len(a[i]) < 2 || len(b[i]) < 2 {
			continue
		}
		diffs = append(diffs, stat.Mean(a[i], nil)-stat.Mean(b[i], nil))
		for _, x := range [][]float64{a[i], b[i]} {
			vars = append(vars, stat.Variance(x, nil)/float64(len(x)))
			dofs = append(dofs, float64(len(x)-1))
		}
	}
	if len(diffs) == 0 {
		return nanTest("pooled Welch t", math.NaN())
	}
	k := float64(len(diffs))
	var sum, den float64
	for i, v := range vars {
		sum += v
		den += v * v / dofs[i]
	}
	t := Test{Method: "pooled Welch t", Diff: stat.Mean(diffs, nil), SE: math.Sqrt(sum) / k}
	if sum > 0 {
		t.DF = sum * sum / den
	} else {
		var n float64
		for _, d := range dofs {
			n += d
		}
		t.DF = n
	}
	return t.finish()
}
