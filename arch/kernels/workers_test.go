package kernels

import (
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
