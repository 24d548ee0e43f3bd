package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// parter is one parallel call: runPart(p) does the p-th of its parts.
type parter interface{ runPart(p int) }

type task struct {
	job  parter
	part int
	wg   *sync.WaitGroup
	left *atomic.Int32 // parts of the call not yet done
}

// The worker pool is shared by every call: a small fixed set of goroutines
// that grows to the largest part count ever requested minus one (the caller
// runs part 0 itself), so calls start no goroutines.
var (
	poolMu    sync.Mutex
	poolSize  atomic.Int64
	poolTasks = make(chan task, 256)
	counters  = sync.Pool{New: func() any { return new(atomic.Int32) }}
)

// spinFor is how long an idle worker polls for its next part, and a caller
// for its last part to finish, before blocking. A training step hands work
// to the pool some 20 times with short serial stretches in between; a
// worker that had blocked took about 100 µs to wake each time (a futex
// wake-up on this VM), and two thirds of a strided step's handoffs were
// late by more than 20 µs. Polling for 1 ms covers every gap within a step
// but the one between steps. The poll yields now and then, so the Go
// scheduler still runs the GC and any other goroutine that is ready.
//
// Polling only pays while the thread keeps its CPU. When other processes
// want the CPUs too, a polling thread spends the share the OS gives it on
// nothing and then waits behind them when work arrives (a strided step
// took 20% longer with polling than without, at a load average of 3). So
// a poll that finds itself descheduled (a turn longer than preempted)
// blocks at once, and every poll is off for the next pollBackoff.
var spinFor = time.Millisecond // a variable for BenchmarkHandoff

const (
	preempted   = 50 * time.Microsecond
	pollBackoff = 100 * time.Millisecond
)

// pollOffUntil is when polling may resume, in time.Now().UnixNano().
var pollOffUntil atomic.Int64

// poll calls done until it reports true, for up to spinFor; it reports
// whether done did before time ran out or the thread was descheduled.
// The clock is read, and the scheduler given a turn, once every
// pollBatch calls: both cost more than a call of done.
func poll(done func() bool) bool {
	const pollBatch = 64
	start := time.Now()
	if start.UnixNano() < pollOffUntil.Load() {
		return done()
	}
	last := start
	for i := 1; !done(); i++ {
		if i%pollBatch != 0 {
			continue
		}
		now := time.Now()
		if now.Sub(last) > preempted {
			pollOffUntil.Store(now.Add(pollBackoff).UnixNano())
			return false
		}
		if now.Sub(start) > spinFor {
			return false
		}
		last = now
		runtime.Gosched()
	}
	return true
}

func ensureWorkers(n int) {
	if int(poolSize.Load()) >= n {
		return
	}
	poolMu.Lock()
	defer poolMu.Unlock()
	for int(poolSize.Load()) < n {
		go func() {
			for {
				t := nextTask()
				t.job.runPart(t.part)
				// Done before the count, so that a caller that sees the
				// count at zero finds the WaitGroup done and does not block.
				t.wg.Done()
				t.left.Add(-1)
			}
		}()
		poolSize.Add(1)
	}
}

// nextTask polls the pool's queue, then blocks on it.
func nextTask() task {
	var t task
	if poll(func() bool {
		select {
		case t = <-poolTasks:
			return true
		default:
			return false
		}
	}) {
		return t
	}
	return <-poolTasks
}

// runParallel runs job's parts 0..parts-1, part 0 on the calling
// goroutine, and returns when all are done.
func runParallel(job parter, parts int, wg *sync.WaitGroup) {
	if parts <= 1 {
		job.runPart(0)
		return
	}
	ensureWorkers(parts - 1)
	left := counters.Get().(*atomic.Int32)
	left.Store(int32(parts - 1))
	wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		poolTasks <- task{job: job, part: p, wg: wg, left: left}
	}
	job.runPart(0)
	poll(func() bool { return left.Load() == 0 })
	wg.Wait()
	// A worker may still be between Done and its count; the counter goes
	// back to the pool only once no worker will touch it again.
	for left.Load() != 0 {
		runtime.Gosched()
	}
	counters.Put(left)
}

// resolveWorkers is the number of parts for n independent items given a
// Workers setting (0 or less: GOMAXPROCS).
func resolveWorkers(workers, n int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return max(1, min(workers, n))
}

// sumChunks is how many chunks of the batch a sum over the batch (the
// filter and bias gradients) is cut into: each chunk is summed on its own
// and the chunks' sums are added in chunk order. It is fixed, not the
// worker count, so that the result's rounding, bit for bit, does not
// depend on how many workers there are or which took which chunk.
const sumChunks = 16

// split returns the p-th of parts contiguous ranges of [0, n).
func split(n, parts, p int) (lo, hi int) {
	return n * p / parts, n * (p + 1) / parts
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n, n+n/4)
	}
	return s[:n]
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// padLd is the row stride for a scratch matrix with n columns: n, plus 16
// when n·4 bytes is a multiple of 256, since rows whose stride is a large
// power of two map to the same L1 cache sets and evict each other.
func padLd(n int) int {
	if n%64 == 0 {
		return n + 16
	}
	return n
}
