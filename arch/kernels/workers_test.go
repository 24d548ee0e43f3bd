package kernels

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingJob records how often each part ran; odd parts sleep, so that
// callers finish their own part first and wait.
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
	// Callers on several goroutines share the pool, with and without gaps
	// between calls, so that parts meet busy workers and blocked ones.
	gaps := []time.Duration{0, 10 * time.Microsecond, time.Millisecond}
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
// stretch of serial work: what each of a training step's ~20 parallel
// calls pays to hand a part to a worker and wait for it.
func BenchmarkHandoff(b *testing.B) {
	for _, gap := range []time.Duration{0, 100 * time.Microsecond} {
		b.Run(fmt.Sprintf("gap=%v", gap), func(b *testing.B) {
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
