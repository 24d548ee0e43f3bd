//go:build linux

package kernels

import (
	"runtime"
	"syscall"
)

// threadSeconds locks the calling goroutine to its thread and returns that
// thread's user+system CPU time: for single-worker runs a speed metric that
// other processes competing for the cores disturb far less than wall time.
func threadSeconds() float64 {
	runtime.LockOSThread()
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
