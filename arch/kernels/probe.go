package kernels

import (
	"runtime"
	"sync"
	"time"
)

// PeakGFLOPS measures the float32 peak of this machine on threads OS
// threads: each runs a loop of independent fused multiply-adds on the
// widest vectors the CPU has (whatever the kernel path), in bursts for
// about d in all, and the rate of all of them together in the fastest
// burst is returned, in GFLOP/s (a multiply-add is two). On a shared
// machine other processes slow some bursts; the fastest is the nearest to
// what the hardware can do. It is the limit the kernels' throughput can be
// compared with.
func PeakGFLOPS(threads int, d time.Duration) float64 {
	threads = max(1, threads)
	const rounds = 1 << 14 // a burst: about 30 µs of FMAs a thread on a 2 GHz core
	const bursts = 20
	flop := float64(threads) * float64(rounds) * probeFLOPPerRound()
	best := 0.0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for time.Now().Before(deadline) {
		// Each sample is bursts back-to-back bursts on every thread at once.
		start := time.Now()
		for range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				for range bursts {
					fmaProbe(rounds)
				}
			}()
		}
		wg.Wait()
		best = max(best, bursts*flop/time.Since(start).Seconds()/1e9)
	}
	return best
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
