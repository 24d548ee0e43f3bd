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
// to the pool 7 (strided, deeper) to 15 (maxpool) times, with serial
// stretches of up to a millisecond in between. On a KVM guest a worker
// that had blocked took 100 to 250 µs to start each time: its idle vCPU
// had halted, and the host wakes it. On an Intel Xeon (2 vCPUs) that was
// 1.5 to 2 ms of a 20 ms strided step, with every part's start; polled,
// a part starts within 1 to 2 µs. Two milliseconds cover every gap in a
// step and the one between steps.
//
// Polling must not take the CPU from other work. Each turn of the poll
// yields to the Go scheduler, so the GC and ready goroutines run, and to
// the OS (sched_yield), so that another process's ready thread on this
// CPU runs instead of the poll. Two yields of one poll that another
// thread took mean the CPU is wanted elsewhere: polling then stops, and
// stays off for pollBackoff, since a polling thread would spend its share
// of the CPU on nothing and then wait behind the others when work
// arrives (beside two busy loops on 2 vCPUs, a strided step took a
// quarter longer polling than blocking). A yield is taken now and then on
// a quiet machine too (8 of 1.9 million in 2 s on an idle vCPU here), too
// seldom to be taken twice in one poll by chance.
// A batch of the poll that took long (the host took the vCPU for a
// while, as it does every few milliseconds here) ends that poll only.
const (
	spinFor     = 2 * time.Millisecond
	preempted   = 50 * time.Microsecond
	pollBackoff = 100 * time.Millisecond
)

// A poller polls, and backs off, for the worker pool; tests make their own.
type poller struct {
	spinFor   time.Duration
	preempted time.Duration
	yield     func() (taken bool) // the yield to the OS
	offUntil  atomic.Int64        // when polling may resume, in time.Now().UnixNano()
}

var workerPoll = &poller{spinFor: spinFor, preempted: preempted, yield: yieldThread}

// poll calls done until it reports true, for up to spinFor; it reports
// whether done did before time ran out or the thread was descheduled.
// The clock is read, and the schedulers given a turn, once every
// pollBatch calls: both cost more than a call of done. A batch of calls
// takes well under a microsecond, so one that spans more than preempted
// was interrupted. The yields are left out of the spans, since they may
// rightly run other work for a while.
func (pl *poller) poll(done func() bool) bool {
	const pollBatch = 64
	start := time.Now()
	if start.UnixNano() < pl.offUntil.Load() {
		return done()
	}
	batch, taken := start, 0
	for i := 1; !done(); i++ {
		if i%pollBatch != 0 {
			continue
		}
		now := time.Now()
		if now.Sub(batch) > pl.preempted || now.Sub(start) > pl.spinFor {
			return false
		}
		if pl.yield() {
			if taken++; taken == 2 {
				pl.offUntil.Store(time.Now().Add(pollBackoff).UnixNano())
				return false
			}
		}
		runtime.Gosched()
		batch = time.Now()
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
	if workerPoll.poll(func() bool {
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
	workerPoll.poll(func() bool { return left.Load() == 0 })
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

// Parallel calls f(lo, hi) on contiguous ranges that cover [0, n), one
// range a part, on up to workers goroutines (0 or less: GOMAXPROCS) of the
// pool the kernels share, and returns when all are done.
func Parallel(n, workers int, f func(lo, hi int)) {
	if n <= 0 {
		return
	}
	j := &rangeJob{n: n, parts: resolveWorkers(workers, n), f: f}
	runParallel(j, j.parts, &j.wg)
}

type rangeJob struct {
	n, parts int
	f        func(lo, hi int)
	wg       sync.WaitGroup
}

func (j *rangeJob) runPart(p int) {
	lo, hi := split(j.n, j.parts, p)
	j.f(lo, hi)
}
