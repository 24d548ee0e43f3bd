package stats_test

import (
	"fmt"

	"convlab/report/stats"
)

// Two cells of five seeds each, the same seeds: compare them pair by pair.
func Example() {
	maxpool := []float64{0.52, 0.50, 0.53, 0.55, 0.56}
	strided := []float64{0.49, 0.46, 0.49, 0.52, 0.54}
	fmt.Printf("maxpool %.3f +- %.3f\n", stats.Summarize(maxpool).Mean, stats.Summarize(maxpool).SD)
	t := stats.PairedT(maxpool, strided)
	fmt.Printf("difference %+.3f (95%% CI %+.3f to %+.3f), %s p = %.4f\n", t.Diff, t.CILow, t.CIHigh, t.Method, t.P)
	fmt.Printf("sign-flip p = %.4f\n", stats.SignFlipP(stats.Differences(maxpool, strided)))
	// Output:
	// maxpool 0.532 +- 0.024
	// difference +0.032 (95% CI +0.022 to +0.042), paired t p = 0.0010
	// sign-flip p = 0.0625
}
