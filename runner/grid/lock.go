package grid

import (
	"context"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

// treeLock serialises commits and AfterRuns calls: a mutex within the
// process and an advisory flock on root/.lock across processes.
type treeLock struct {
	path string
	mu   sync.Mutex
}

func (l *treeLock) with(f func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	unlock, err := Flock(l.path)
	if err != nil {
		return err
	}
	defer unlock()
	return f()
}

// Flock takes an exclusive advisory lock on path (created if missing),
// waiting for other processes to release it, and returns its release.
func Flock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock results tree: %w", err)
	}
	if _, err := flock(f, true); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock results tree %s: %w", path, err)
	}
	return release(f), nil
}

// lockRun takes the exclusive advisory lock of one run (path, created if
// missing). Without wait it returns ok false at once when another process
// (or another worker of this one) holds it; with wait it polls until the
// lock is free or ctx is done. The kernel releases the lock of a process
// that dies, so a killed runner never leaves a run locked. Lock files are
// left in place: removing one while another process waits on it would let
// two processes hold "the" lock.
func lockRun(ctx context.Context, path string, wait bool) (unlock func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("lock run: %w", err)
	}
	delay := 10 * time.Millisecond
	for {
		ok, err := flock(f, false)
		switch {
		case err != nil:
			f.Close()
			return nil, false, fmt.Errorf("lock run %s: %w", path, err)
		case ok:
			return release(f), true, nil
		case !wait:
			f.Close()
			return nil, false, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, false, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// flock takes the exclusive flock of f, retrying when a signal interrupts
// it. With block it waits for the lock; without, ok is false when another
// open file holds it.
func flock(f *os.File, block bool) (ok bool, err error) {
	how := syscall.LOCK_EX
	if !block {
		how |= syscall.LOCK_NB
	}
	for {
		switch err := syscall.Flock(int(f.Fd()), how); err {
		case nil:
			return true, nil
		case syscall.EINTR:
		case syscall.EWOULDBLOCK:
			return false, nil
		default:
			return false, err
		}
	}
}

// release unlocks and closes a lock file taken with flock.
func release(f *os.File) func() {
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}
