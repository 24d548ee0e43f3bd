package dataset

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// Info describes a data set: its nominal size and image shape, known
// without reading it, so that experiment files can be validated offline,
// and where its files are found.
type Info struct {
	Name      string
	TrainSize int // images in the full official training set
	TestSize  int
	C, H, W   int
	Classes   []string
	// Env names the environment variable that points at the data set's
	// directory when no directory is given (CIFAR10_DIR, ...); empty for
	// none.
	Env string
	// Default returns the directory read when neither a directory nor Env
	// is given; nil for none (the directory is then empty).
	Default func() (string, error)
	// Fetch, if not nil, is called with the default directory before it is
	// read, and only then: it puts the data set there when it is missing
	// (cifar10 downloads it). A directory named by the caller or by Env is
	// never fetched into.
	Fetch func(dir string) error
	// Load reads the training and test sets from dir, the directory as
	// resolved (see ResolveDir, but not made absolute).
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

// NamedDir returns the directory the user named for the data set: dir if
// given, else the value of its environment variable (Env). Empty means
// the data set's default location applies.
func (info *Info) NamedDir(dir string) string {
	if dir == "" && info.Env != "" {
		dir = os.Getenv(info.Env)
	}
	return dir
}

// origin says where a resolved directory came from.
type origin int

const (
	fromArg     origin = iota // the dir argument
	fromEnv                   // the environment variable Env
	fromDefault               // Default
)

// resolve returns the directory Load reads for dir and where it came
// from: dir if given, else $Env, else Default().
func (info *Info) resolve(dir string) (string, origin, error) {
	if dir != "" {
		return dir, fromArg, nil
	}
	if dir = info.NamedDir(""); dir != "" {
		return dir, fromEnv, nil
	}
	if info.Default == nil {
		return "", fromDefault, nil
	}
	dir, err := info.Default()
	return dir, fromDefault, err
}

// read fetches the default directory if the data set can be fetched and
// reads the sets from the resolved dir.
func (info *Info) read(dir string, from origin) (train, test *Set, err error) {
	if info.Load == nil {
		return nil, nil, fmt.Errorf("data set %q has no reader", info.Name)
	}
	if from == fromDefault && info.Fetch != nil {
		if err := info.Fetch(dir); err != nil {
			return nil, nil, err
		}
	}
	train, test, err = info.Load(dir)
	if err != nil && from == fromEnv {
		return nil, nil, fmt.Errorf("%w (read from %s=%s)", err, info.Env, dir)
	}
	return train, test, err
}
