package dataset

import (
	"fmt"
	"sort"
	"strings"
)

// Info describes a data set: its nominal size and image shape, known
// without reading it, so that experiment files can be validated offline.
type Info struct {
	Name      string
	TrainSize int // images in the full official training set
	TestSize  int
	C, H, W   int
	Classes   []string
	// Load reads the training and test sets from dir; an empty dir means
	// the data set's default location (which may download it).
	Load func(dir string) (train, test *Set, err error)
}

var registry = map[string]*Info{}

// Register makes a data set available by name; each data set registers
// itself from its own file's init.
func Register(info *Info) {
	if _, dup := registry[info.Name]; dup {
		panic("dataset: " + info.Name + " registered twice")
	}
	registry[info.Name] = info
}

// Names lists the registered data sets in sorted order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the data set registered under name.
func Lookup(name string) (*Info, error) {
	info, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown data set %q; valid data sets: %s", name, strings.Join(Names(), ", "))
	}
	return info, nil
}
