package kernels

import (
	"runtime"
	"sync"
	"time"
)

// PeakGFLOPS measures the float32 peak of this machine on threads OS
// threads: each runs a loop of independent fused multiply-adds on the
// widest vectors the CPU has (whatever the kernel path) for about d, and
// the rate of all of them together is returned, in GFLOP/s (a multiply-add
// is two). It is the limit the kernels' throughput can be compared with.
func PeakGFLOPS(threads int, d time.Duration) float64 {
	threads = max(1, threads)
	const rounds = 1 << 16
	flop := float64(rounds) * probeFLOPPerRound()
	var wg sync.WaitGroup
	counts := make([]int, threads)
	start := time.Now()
	deadline := start.Add(d)
	for t := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for time.Now().Before(deadline) {
				fmaProbe(rounds)
				counts[t]++
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, c := range counts {
		total += c
	}
	return float64(total) * flop / time.Since(start).Seconds() / 1e9
}

// probeSink keeps the Go probe's sums alive.
var probeSink float32

const probeGoFLOPPerRound = 8 * 2

// fmaProbeGo is the probe without assembly: eight independent
// multiply-add chains of scalars.
func fmaProbeGo(n int) {
	var a [8]float32
	x, y := float32(0.5), float32(0.25)
	for range n {
		for i := range a {
			a[i] = a[i]*x + y
		}
	}
	probeSink += a[0] + a[7]
}
