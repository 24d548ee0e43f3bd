package report

import (
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
)

// maxMajorTicks bounds the labelled ticks of an axis: with 4 to 8 labels
// a value can be read to two digits without the labels crowding.
const maxMajorTicks = 8

// linearTicks labels an axis at a nice step, 1, 2, 2.5 or 5 times a power
// of ten, the smallest that leaves at most maxMajorTicks labels, and
// prints each label with as many decimals as the step needs, so that every
// label is its tick's value exactly (gonum's DefaultTicks may print 0.1 for
// a tick at 0.15). Unlabelled minor ticks split each step.
type linearTicks struct{}

var _ plot.Ticker = linearTicks{}

// niceSteps are the mantissas of the steps, with the minor ticks per step.
var niceSteps = []struct {
	m     float64
	minor int
}{{1, 5}, {2, 4}, {2.5, 5}, {5, 5}}

func (linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	k := int(math.Floor(math.Log10(hi-lo))) - 2
	for ; k < 400; k++ {
		for _, s := range niceSteps {
			step := s.m * math.Pow10(k)
			first, last := math.Ceil(lo/step), math.Floor(hi/step)
			if last-first+1 > maxMajorTicks {
				continue
			}
			dec := max(0, -k)
			if s.m == 2.5 {
				dec = max(0, 1-k)
			}
			return stepTicks(lo, hi, first, last, s.m, k, s.minor, dec)
		}
	}
	return nil
}

// stepTicks are the ticks i * m * 10^k for i from first to last, labelled
// with dec decimals, and minor unlabelled ticks at a minor-th of the step
// within [lo, hi].
func stepTicks(lo, hi, first, last, m float64, k, minor, dec int) []plot.Tick {
	val := func(i float64) float64 { return scaled(i*m, k) }
	var ticks []plot.Tick
	// first and last are rounded quotients: check the values themselves.
	for i := first - 1; i <= last+1; i++ {
		if v := val(i); v >= lo && v <= hi {
			ticks = append(ticks, plot.Tick{Value: v, Label: formatTick(v, dec)})
		}
	}
	for i := first - 1; i <= last; i++ {
		for j := 1; j < minor; j++ {
			v := scaled((i+float64(j)/float64(minor))*m, k)
			if v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
}

// scaled is x * 10^k, dividing for negative k so that a decimal such as
// 0.15 is the double nearest to it.
func scaled(x float64, k int) float64 {
	if k < 0 {
		return x / math.Pow10(-k)
	}
	return x * math.Pow10(k)
}

func formatTick(v float64, dec int) string {
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == 0 {
		return strconv.FormatFloat(0, 'f', dec, 64) // no "-0"
	}
	return s
}

// logTicks labels a log axis: within about a decade as linearTicks does;
// over wider ranges at 1, 1.5, 2, 3, 5 and 7 times the powers of ten, or
// the densest of the sparser sets (1, 2, 3, 5; 1, 2, 5; 1, 3; 1; every
// second power of ten ...) that labels at most maxMajorTicks+2 ticks.
// Every integer multiple of a power of ten is a minor tick (and 1.2 to 1.8
// times it when the axis spans a few decades).
type logTicks struct{}

var _ plot.Ticker = logTicks{}

// logMantissas are the sets of labelled mantissas, densest first.
var logMantissas = [][]float64{{1, 1.5, 2, 3, 5, 7}, {1, 2, 3, 5}, {1, 2, 5}, {1, 3}, {1}}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || lo <= 0 || math.IsInf(hi, 0) {
		return nil
	}
	if math.Log10(hi/lo) < 0.8 {
		return linearTicks{}.Ticks(lo, hi)
	}
	eLo, eHi := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	// labels lists the labelled values of a mantissa set, with powers of
	// ten only every every-th decade.
	labels := func(ms []float64, every int) []plot.Tick {
		var out []plot.Tick
		for e := eLo; e <= eHi; e++ {
			for _, m := range ms {
				if m == 1 && e%every != 0 {
					continue
				}
				// m * 10^e as the nearest double to the decimal.
				v, dec := scaled(m, e), max(0, -e)
				if m != math.Trunc(m) {
					v, dec = scaled(m*10, e-1), max(0, 1-e)
				}
				if v >= lo && v <= hi {
					out = append(out, plot.Tick{Value: v, Label: formatTick(v, dec)})
				}
			}
		}
		return out
	}
	var major []plot.Tick
	for _, ms := range logMantissas {
		if major = labels(ms, 1); len(major) <= maxMajorTicks+2 {
			break
		}
	}
	for every := 2; len(major) > maxMajorTicks+2; every++ {
		major = labels([]float64{1}, every)
	}
	if len(major) < 2 {
		return linearTicks{}.Ticks(lo, hi)
	}
	ticks := major
	// Minor ticks at every integer mantissa; over a few decades also at
	// 1.2, 1.4, 1.6 and 1.8, where the widest gap between labels is.
	minors := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	if math.Log10(hi/lo) <= 3.5 {
		minors = append(minors, 1.2, 1.4, 1.6, 1.8)
	}
	for e := eLo; e <= eHi; e++ {
		for _, m := range minors {
			v := scaled(m, e)
			if m != math.Trunc(m) {
				v = scaled(m*10, e-1)
			}
			if v < lo || v > hi || slices.ContainsFunc(major, func(t plot.Tick) bool { return t.Value == v }) {
				continue
			}
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	return ticks
}
