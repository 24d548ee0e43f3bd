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
// stretch of serial work: what each of a training step's 7 to 15 parallel
// calls pays to hand a part to a worker and wait for it. A gap longer
// than spinFor finds the worker blocked.
func BenchmarkHandoff(b *testing.B) {
	for _, gap := range []time.Duration{0, 100 * time.Microsecond, 2*spinFor + time.Millisecond} {
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

// TestPollBacksOffWhenTheCPUIsWanted: a poll whose yields to the OS are
// taken twice gives up, and polls in the next pollBackoff do not wait;
// one taken yield, or none, keeps polling until done or spinFor.
func TestPollBacksOffWhenTheCPUIsWanted(t *testing.T) {
	for _, tc := range []struct {
		name    string
		taken   []bool // the yield's answers, in turn (then false)
		doneAt  int    // the call of done that first reports true
		want    bool
		backOff bool
	}{
		{"no yield taken", nil, 2000, true, false},
		{"one yield taken", []bool{false, true, false}, 2000, true, false},
		{"two yields taken", []bool{true, false, true}, 1 << 30, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yields := 0
			// Only done or the yields end the poll: not the clock, nor the
			// OS taking the CPU for a while from a loaded test machine.
			pl := &poller{spinFor: time.Hour, preempted: time.Hour, yield: func() bool {
				yields++
				return yields <= len(tc.taken) && tc.taken[yields-1]
			}}
			calls := 0
			got := pl.poll(func() bool { calls++; return calls >= tc.doneAt })
			if got != tc.want {
				t.Fatalf("poll = %v after %d calls of done and %d yields; want %v", got, calls, yields, tc.want)
			}
			if tc.want && calls != tc.doneAt {
				t.Errorf("poll returned after %d calls of done; want %d, the first true", calls, tc.doneAt)
			}
			off := pl.offUntil.Load() > time.Now().UnixNano()
			if off != tc.backOff {
				t.Fatalf("polling off afterwards: %v; want %v", off, tc.backOff)
			}
			if off {
				calls = 0
				if pl.poll(func() bool { calls++; return false }) || calls != 1 {
					t.Errorf("a poll while backed off called done %d times and reported true; want one call, false", calls)
				}
			}
		})
	}
}

// TestParallelCoversTheRangeOnce: the ranges f is called with cover
// [0, n) exactly once, one range a part, for any worker count.
func TestParallelCoversTheRangeOnce(t *testing.T) {
	for _, n := range []int{0, 1, 5, 100} {
		for _, workers := range []int{0, 1, 2, 3, 200} {
			seen := make([]atomic.Int32, n)
			var calls atomic.Int32
			Parallel(n, workers, func(lo, hi int) {
				calls.Add(1)
				for i := lo; i < hi; i++ {
					seen[i].Add(1)
				}
			})
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("n=%d workers=%d: index %d covered %d times; want once", n, workers, i, c)
				}
			}
			if want := resolveWorkers(workers, n); n > 0 && int(calls.Load()) != want {
				t.Errorf("n=%d workers=%d: %d calls of f; want %d, one a part", n, workers, calls.Load(), want)
			}
		}
	}
}
