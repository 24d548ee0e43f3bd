package kernels

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingJob records how often each part ran; a part sleeps now and then
// so that workers block and wake as well as catch parts while polling.
type countingJob struct {
	runs  []atomic.Int32
	sleep time.Duration
	wg    sync.WaitGroup
}

func (j *countingJob) runPart(p int) {
	if p%2 == 1 {
		time.Sleep(j.sleep)
	}
	j.runs[p].Add(1)
}

func TestRunParallelRunsEachPartOnceBeforeReturning(t *testing.T) {
	// Callers on several goroutines share the pool; gaps between calls
	// range from none to past spinFor, so that parts meet polling workers
	// and blocked ones.
	gaps := []time.Duration{0, 10 * time.Microsecond, 3 * spinFor / 2}
	var callers sync.WaitGroup
	for c := 0; c < 4; c++ {
		callers.Go(func() {
			for i := 0; i < 30; i++ {
				parts := 1 + (c+i)%5
				j := &countingJob{runs: make([]atomic.Int32, parts), sleep: time.Duration(i%3) * 50 * time.Microsecond}
				runParallel(j, parts, &j.wg)
				for p := range j.runs {
					if n := j.runs[p].Load(); n != 1 {
						t.Errorf("caller %d call %d: part %d of %d ran %d times by the time runParallel returned; want once", c, i, p, parts, n)
					}
				}
				time.Sleep(gaps[i%len(gaps)])
			}
		})
	}
	callers.Wait()
}

// nopJob is a parallel call with nothing to do: its time is the handoff's.
type nopJob struct{ wg sync.WaitGroup }

func (*nopJob) runPart(int) {}

// BenchmarkHandoff is the time of a two-part call of nothing after a
// stretch of serial work, with workers that poll (spinFor as set) or that
// block at once: what each of a training step's ~20 parallel calls pays
// to hand a part to a worker and wait for it.
func BenchmarkHandoff(b *testing.B) {
	for _, spin := range []time.Duration{0, spinFor} {
		for _, gap := range []time.Duration{0, 100 * time.Microsecond} {
			b.Run(fmt.Sprintf("poll=%v/gap=%v", spin, gap), func(b *testing.B) {
				defer func(old time.Duration) { spinFor = old }(spinFor)
				spinFor = spin
				j := &nopJob{}
				runParallel(j, 2, &j.wg)
				var calls time.Duration
				for b.Loop() {
					for t := time.Now(); time.Since(t) < gap; {
					}
					t := time.Now()
					runParallel(j, 2, &j.wg)
					calls += time.Since(t)
				}
				b.ReportMetric(float64(calls.Nanoseconds())/float64(b.N)/1e3, "µs/call")
			})
		}
	}
}
