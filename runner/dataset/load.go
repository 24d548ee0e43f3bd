package dataset

import (
	"fmt"
	"path/filepath"
	"sync"
)

// resolvers maps a data set name to the function that turns the dir given
// to Load (possibly empty) into the directory actually read, so that
// LoadCached can tell two spellings of the same location apart from two
// different locations. Each data set fills in its entry from its own init.
var resolvers = map[string]func(dir string) (string, error){}

// Load reads the training and test sets of the data set registered under
// name from dir; an empty dir means the data set's default location
// (which, for cifar10, may download it).
func Load(name, dir string) (train, test *Set, err error) {
	info, err := Lookup(name)
	if err != nil {
		return nil, nil, err
	}
	if info.Load == nil {
		return nil, nil, fmt.Errorf("data set %q has no reader", name)
	}
	return info.Load(dir)
}

// ResolveDir returns the absolute directory Load(name, dir) reads: dir if
// given, else the data set's environment variable, else its default
// location. It does not check that the directory exists.
func ResolveDir(name, dir string) (string, error) {
	if _, err := Lookup(name); err != nil {
		return "", err
	}
	resolved := dir
	if r := resolvers[name]; r != nil {
		var err error
		if resolved, err = r(dir); err != nil {
			return "", err
		}
	}
	if resolved == "" {
		return "", nil
	}
	abs, err := filepath.Abs(resolved)
	if err != nil {
		return "", fmt.Errorf("resolve data directory %q: %w", resolved, err)
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
	resolved, err := ResolveDir(name, dir)
	if err != nil {
		return nil, nil, err
	}
	key := cacheKey{name, resolved}
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
	// Load gets the dir as given, not as resolved, so that the default
	// location keeps its default behaviour (cifar10 downloads there).
	e.train, e.test, e.err = Load(name, dir)
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
