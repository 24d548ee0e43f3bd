//go:build !linux

package kernels

// yieldThread is a no-op where sched_yield is not at hand: the Go
// scheduler's turn in poll is the only yield, and contention for the CPU
// shows only as turns the OS interrupted.
func yieldThread() (switched bool) { return false }
