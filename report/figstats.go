package report

import (
	"fmt"

	"convlab/report/stats"
	"convlab/runner/results"
)

// Figures draw a cell of several seeds as its mean with the confidence
// interval of the mean the tables give (stats.Summarize: Student t, 95%),
// so that figure and table agree.
var bandName = fmt.Sprintf("%g%% CI of the mean over seeds", 100*stats.Level)

// spread is the mean of some values with its confidence interval; Lo and
// Hi equal Mean when there is one value, and all are NaN when any value is
// NaN (a diverged seed is not averaged away: stats.Summarize's NaN).
type spread struct {
	Mean, Lo, Hi float64
	N            int
}

func meanCI(xs []float64) spread { return spreadOf(stats.Summarize(xs)) }

// spreadOf is a summary as a figure draws it: a single value is its own
// band, of no width.
func spreadOf(s stats.Summary) spread {
	if s.N == 1 {
		return spread{s.Mean, s.Mean, s.Mean, 1}
	}
	return spread{s.Mean, s.CILow, s.CIHigh, s.N}
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

// cellValue summarises one of the tables' metrics (cellMetrics) over a
// cell's seeds.
func cellValue(c *seedCell, key string) spread {
	m, ok := metricByKey(key)
	if !ok {
		panic("report: no cell metric " + key)
	}
	return spreadOf(c.summary(m))
}

// seedsNote says how many seeds a cell has, for a legend or title: "" for
// one, ", 5 seeds" for five.
func seedsNote(c *seedCell) string {
	if len(c.Recs) < 2 {
		return ""
	}
	return fmt.Sprintf(", %d seeds", len(c.Recs))
}
