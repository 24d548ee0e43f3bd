package exec

import (
	"fmt"
	"os"
	"sync"
	"syscall"
)

// treeLock serialises commits and AfterRun calls: a mutex within the
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
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock results tree %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
