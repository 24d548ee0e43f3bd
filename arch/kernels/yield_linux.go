package kernels

import "syscall"

// yieldThread offers the thread's CPU to any other thread ready to run on
// it (with none, sched_yield returns at once) and reports whether one
// took it: the yield then counts as an involuntary context switch of the
// thread. A vCPU the host took away for a while does not count.
func yieldThread() (switched bool) {
	before := threadSwitches()
	syscall.Syscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
	return threadSwitches() != before
}

// threadSwitches is the calling thread's count of involuntary context
// switches. A goroutine stays on its thread through a syscall, and there
// are only two between the counts, so both are the same thread's.
func threadSwitches() int64 {
	const rusageThread = 1 // RUSAGE_THREAD, which package syscall does not name
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0
	}
	return int64(ru.Nivcsw)
}
