package dataset

import (
	"fmt"
	"path/filepath"
	"sync"
)

// Load reads the training and test sets of the data set registered under
// name from dir; an empty dir means the data set's environment variable,
// else its default location (which, for cifar10, may download it).
func Load(name, dir string) (train, test *Set, err error) {
	info, err := Lookup(name)
	if err != nil {
		return nil, nil, err
	}
	resolved, from, err := info.resolve(dir)
	if err != nil {
		return nil, nil, err
	}
	return info.read(resolved, from)
}

// ResolveDir returns the absolute directory Load(name, dir) reads: dir if
// given, else the data set's environment variable, else its default
// location. It does not check that the directory exists.
func ResolveDir(name, dir string) (string, error) {
	info, err := Lookup(name)
	if err != nil {
		return "", err
	}
	resolved, _, err := info.resolve(dir)
	if err != nil {
		return "", err
	}
	return absDir(resolved)
}

// absDir makes a resolved directory absolute; empty stays empty.
func absDir(dir string) (string, error) {
	if dir == "" {
		return "", nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve data directory %q: %w", dir, err)
	}
	return abs, nil
}

type cacheKey struct{ name, dir string }

type cacheEntry struct {
	done        chan struct{} // closed when train, test and err are set
	train, test *Set
	err         error
}

var (
	cacheMu sync.Mutex
	cache   = map[cacheKey]*cacheEntry{}
)

// LoadCached is Load memoised for the life of the process, keyed by the
// data set name and the resolved directory (see ResolveDir), so that many
// runs in one process read the files once. It is safe for concurrent use:
// concurrent calls for the same key wait for a single read. A failed read
// is not remembered; the next call tries again. The returned sets are
// shared between callers and must not be modified.
func LoadCached(name, dir string) (train, test *Set, err error) {
	info, err := Lookup(name)
	if err != nil {
		return nil, nil, err
	}
	resolved, from, err := info.resolve(dir)
	if err != nil {
		return nil, nil, err
	}
	abs, err := absDir(resolved)
	if err != nil {
		return nil, nil, err
	}
	key := cacheKey{name, abs}
	cacheMu.Lock()
	e, ok := cache[key]
	if !ok {
		e = &cacheEntry{done: make(chan struct{})}
		cache[key] = e
	}
	cacheMu.Unlock()
	if ok {
		<-e.done
		return e.train, e.test, e.err
	}
	defer close(e.done)
	e.train, e.test, e.err = info.read(resolved, from)
	if e.err != nil {
		cacheMu.Lock()
		delete(cache, key)
		cacheMu.Unlock()
	}
	return e.train, e.test, e.err
}

// ClearCache forgets every set LoadCached has read, releasing its memory
// once no caller holds the sets any more.
func ClearCache() {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	for k, e := range cache {
		select {
		case <-e.done:
			delete(cache, k)
		default: // still loading; its caller owns it
		}
	}
}
