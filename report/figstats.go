package report

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"

	"convlab/runner/results"
)

// Figures draw a cell of several seeds as its mean with the 95% confidence
// interval of the mean (Student t with seeds-1 degrees of freedom), the
// interval the tables give, so that figure and table agree.
const bandName = "95% CI of the mean over seeds"

// spread is the mean of some values with its 95% confidence interval;
// Lo and Hi equal Mean when there is one value.
type spread struct {
	Mean, Lo, Hi float64
	N            int
}

// meanCI summarises values; NaN when there are none or any is not finite
// (a diverged seed is not averaged away).
func meanCI(xs []float64) spread {
	if len(xs) == 0 {
		return spread{math.NaN(), math.NaN(), math.NaN(), 0}
	}
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return spread{math.NaN(), math.NaN(), math.NaN(), len(xs)}
		}
	}
	if len(xs) == 1 {
		return spread{xs[0], xs[0], xs[0], 1}
	}
	mean, sd := stat.MeanStdDev(xs, nil)
	n := float64(len(xs))
	half := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.975) * sd / math.Sqrt(n)
	return spread{mean, mean - half, mean + half, len(xs)}
}

// metric picks one number of an epoch.
type metric func(results.Epoch) float64

var (
	trainAcc  metric = func(e results.Epoch) float64 { return e.Accuracy }
	valAcc    metric = func(e results.Epoch) float64 { return e.ValAccuracy }
	trainLoss metric = func(e results.Epoch) float64 { return e.Loss }
	valLoss   metric = func(e results.Epoch) float64 { return e.ValLoss }
)

// curve is one line of a figure: a metric per epoch of one run, or of a
// cell's seeds averaged, with the band of its confidence interval.
type curve struct {
	label string
	color interface{ RGBA() (r, g, b, a uint32) }
	val   bool // validation: dashed with squares
	xs    []float64
	ys    []float64 // the mean; NaN leaves a gap
	lo    []float64 // the band, nil for a single seed
	hi    []float64
}

// cellCurve averages a metric over the seeds of a cell, epoch by epoch: an
// epoch's mean is over the seeds that reached it.
func cellCurve(c *seedCell, m metric) (xs, ys, lo, hi []float64) {
	byEpoch := map[int][]float64{}
	last := 0
	for _, r := range c.Recs {
		for _, e := range r.History {
			byEpoch[e.Epoch] = append(byEpoch[e.Epoch], m(e))
			last = max(last, e.Epoch)
		}
	}
	band := len(c.Recs) > 1
	for e := 1; e <= last; e++ {
		vs, ok := byEpoch[e]
		if !ok {
			continue
		}
		s := meanCI(vs)
		xs, ys = append(xs, float64(e)), append(ys, s.Mean)
		if band {
			lo, hi = append(lo, s.Lo), append(hi, s.Hi)
		}
	}
	return xs, ys, lo, hi
}

// cellValue summarises one number of every run of a cell.
func cellValue(c *seedCell, get func(*results.Record) float64) spread {
	vs := make([]float64, len(c.Recs))
	for i, r := range c.Recs {
		vs[i] = get(r)
	}
	return meanCI(vs)
}

// seedsNote says how many seeds a cell has, for a legend or title: "" for
// one, ", 5 seeds" for five.
func seedsNote(c *seedCell) string {
	if len(c.Recs) < 2 {
		return ""
	}
	return fmt.Sprintf(", %d seeds", len(c.Recs))
}
