package grid

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"convlab/internal/atomicfile"
	"convlab/runner/dataset"
	"convlab/runner/integrity"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// DataIdentity names the content of a run's data set: the data set's name
// and a SHA-256 over the names, sizes and bytes of the regular files in its
// directory (run.DataDir, else the data set's environment variable, as
// runner/dataset resolves it). When neither is set the data set lives in its default location,
// which holds the official files, and the identity is "<name>:default".
func DataIdentity(run spec.Run) (string, error) {
	dir := run.DataDir
	if info, err := dataset.Lookup(run.Dataset); err == nil {
		dir = info.NamedDir(dir)
	}
	if dir == "" {
		return run.Dataset + ":default", nil
	}
	sum, err := fingerprintDir(dir)
	if err != nil {
		return "", fmt.Errorf("data set %s of run %s: %w", run.Dataset, run.ID, err)
	}
	return run.Dataset + ":" + sum, nil
}

// fingerprintDir hashes the regular files directly in dir (not hidden, not
// partial downloads), in name order.
func fingerprintDir(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("fingerprint data directory: %w", err)
	}
	h := sha256.New()
	var names []string
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".part") {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		size, sum, err := integrity.HashFile(filepath.Join(dir, n))
		if err != nil {
			return "", fmt.Errorf("fingerprint data directory: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00%s\n", n, size, sum)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// Status tells which runs are done in results trees. It computes the
// identity of each data set (per data set and directory, see DataIdentity)
// at most once, and only when it must: Done reads a run's DONE marker
// before it hashes the run's data, so runs never trained cost nothing.
// One Status may serve several results trees and goroutines.
type Status struct {
	identity func(spec.Run) (string, error)
	mu       sync.Mutex
	ids      map[string]identity
}

type identity struct {
	id  string
	err error
}

// NewStatus returns a Status that names data sets with dataIdentity; nil
// means DataIdentity.
func NewStatus(dataIdentity func(run spec.Run) (string, error)) *Status {
	if dataIdentity == nil {
		dataIdentity = DataIdentity
	}
	return &Status{identity: dataIdentity, ids: map[string]identity{}}
}

// Identity is the identity of the run's data set, computed once per data
// set and directory (errors included). It suits Options.DataIdentity, so
// that Execute reuses what Done computed.
func (s *Status) Identity(run spec.Run) (string, error) {
	k := run.Dataset + "\x00" + run.DataDir
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.ids[k]; ok {
		return v.id, v.err
	}
	id, err := s.identity(run)
	s.ids[k] = identity{id, err}
	return id, err
}

// Key is the run's cache key (see Key).
func (s *Status) Key(run spec.Run) (string, error) {
	id, err := s.Identity(run)
	if err != nil {
		return "", err
	}
	return Key(run, id), nil
}

// State is what a results tree holds of one run.
type State int

const (
	// StateToDo: the run has no directory, or one of an older key (other
	// training code or data), which its next commit replaces.
	StateToDo State = iota
	// StateDone: finished with the run's current key, its files the sizes
	// DONE records.
	StateDone
	// StateUnverified: finished with the current key, but DONE (written by an
	// older convlab) records no files to check; its record reads back. It
	// counts as done.
	StateUnverified
	// StateDamaged: the directory's DONE is missing or unreadable, or its files
	// do not match the sizes DONE records (an unverified run's: its record
	// does not read back). Execute moves it to quarantine/
	// and trains the run again.
	StateDamaged
)

func (s State) String() string {
	switch s {
	case StateDone:
		return "done"
	case StateUnverified:
		return "done (unverified)"
	case StateDamaged:
		return "damaged"
	}
	return "to do"
}

// IsDone reports whether the state counts as done (StateDone or StateUnverified).
func (s State) IsDone() bool { return s == StateDone || s == StateUnverified }

// Check tells the state of run in the results tree root (results/<name>),
// with the damage found when it is StateDamaged. It checks file sizes only;
// CheckRunDir with deep set (convlab verify) checks hashes. A run whose
// data set cannot be named is to do.
func (s *Status) Check(root string, run spec.Run) (State, []integrity.Damage) {
	dir := results.RunDir(root, run)
	if _, err := os.Lstat(dir); err != nil {
		return StateToDo, nil
	}
	d, damage := integrity.CheckRunDir(dir, false)
	if d == nil {
		return StateDamaged, damage
	}
	key, err := s.Key(run)
	switch {
	case err != nil || d.Key != key:
		return StateToDo, nil
	case len(damage) > 0:
		return StateDamaged, damage
	case !d.Verified():
		return StateUnverified, nil
	}
	return StateDone, nil
}

// Done reports whether run is done in the results tree root
// (results/<name>): its directory holds a DONE marker recording the run's
// current key and its files are intact as far as their sizes tell (see
// Check). A run whose data set cannot be named is not done.
func (s *Status) Done(root string, run spec.Run) bool {
	st, _ := s.Check(root, run)
	return st.IsDone()
}

// writeDone writes the DONE marker of the finished run in dir, recording
// the size and SHA-256 of every other file there.
func writeDone(dir string, run spec.Run, key string) error {
	files, err := integrity.SumFiles(dir)
	if err != nil {
		return err
	}
	d := integrity.Done{Key: key, RunID: run.ID, Hash: run.Hash(), CodeVersion: CodeVersion(),
		Finished: time.Now().UTC().Format(time.RFC3339), Files: files}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode done marker: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, results.DoneFile), append(b, '\n'))
}
