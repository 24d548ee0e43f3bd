package kernels

import (
	"runtime"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// TestYieldThreadSeesAThreadWaitingForTheCPU pins this thread and a busy
// one to one CPU: the busy thread is ready whenever this one yields, so
// the yields must report being taken.
func TestYieldThreadSeesAThreadWaitingForTheCPU(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		// The busy goroutine's thread needs a P of its own to be ready.
		t.Skip("needs GOMAXPROCS of 2 or more")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		t.Skipf("no CPU affinity here: %v", err)
	}
	defer unix.SchedSetaffinity(0, &old)
	cpu := -1
	for c := 0; c < 1024; c++ {
		if old.IsSet(c) {
			cpu = c
			break
		}
	}
	var one unix.CPUSet
	one.Set(cpu)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Skipf("cannot pin to CPU %d: %v", cpu, err)
	}
	var stop, started atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if unix.SchedSetaffinity(0, &one) != nil {
			return
		}
		started.Store(true)
		for !stop.Load() {
		}
	}()
	for !started.Load() {
		runtime.Gosched()
	}
	taken := 0
	for i := 0; i < 20; i++ {
		if yieldThread() {
			taken++
		}
	}
	stop.Store(true)
	<-done
	// The OS need not switch at every yield (it weighs the two threads'
	// use of the CPU), but it does at many: 9 to 20 of 20 here.
	if taken < 3 {
		t.Errorf("%d of 20 yields reported taken with a busy thread on the same CPU; want at least 3", taken)
	}

}
