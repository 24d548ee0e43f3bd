package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parter is one parallel call: runPart(p) does the p-th of its parts.
type parter interface{ runPart(p int) }

type task struct {
	job  parter
	part int
	wg   *sync.WaitGroup
}

// The worker pool is shared by every call: a small fixed set of goroutines
// that grows to the largest part count ever requested minus one (the caller
// runs part 0 itself), so calls start no goroutines.
var (
	poolMu    sync.Mutex
	poolSize  atomic.Int64
	poolTasks = make(chan task, 256)
)

func ensureWorkers(n int) {
	if int(poolSize.Load()) >= n {
		return
	}
	poolMu.Lock()
	defer poolMu.Unlock()
	for int(poolSize.Load()) < n {
		go func() {
			for t := range poolTasks {
				t.job.runPart(t.part)
				t.wg.Done()
			}
		}()
		poolSize.Add(1)
	}
}

// runParallel runs job's parts 0..parts-1, part 0 on the calling
// goroutine, and returns when all are done.
func runParallel(job parter, parts int, wg *sync.WaitGroup) {
	if parts <= 1 {
		job.runPart(0)
		return
	}
	ensureWorkers(parts - 1)
	wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		poolTasks <- task{job: job, part: p, wg: wg}
	}
	job.runPart(0)
	wg.Wait()
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
