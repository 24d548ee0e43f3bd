package exec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"convlab/runner/atomicfile"
	"convlab/runner/results"
	"convlab/runner/spec"
)

// DataEnv maps data set names to the environment variable that points at
// their files, as runner/dataset resolves them.
var DataEnv = map[string]string{
	"cifar10":       "CIFAR10_DIR",
	"fashion-mnist": "FASHION_MNIST_DIR",
}

// DataIdentity names the content of a run's data set: the data set's name
// and a SHA-256 over the names, sizes and bytes of the regular files in its
// directory (run.DataDir, else the data set's environment variable, see
// DataEnv). When neither is set the data set lives in its default location,
// which holds the official files, and the identity is "<name>:default".
func DataIdentity(run spec.Run) (string, error) {
	dir := run.DataDir
	if dir == "" {
		if env, ok := DataEnv[run.Dataset]; ok {
			dir = os.Getenv(env)
		}
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
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			return "", fmt.Errorf("fingerprint data directory: %w", err)
		}
		fh := sha256.New()
		size, err := io.Copy(fh, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("fingerprint data file %s: %w", filepath.Join(dir, n), err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00%x\n", n, size, fh.Sum(nil))
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// identities memoises a DataIdentity function per data set and directory.
type identities struct {
	f  func(spec.Run) (string, error)
	mu sync.Mutex
	m  map[string]identity
}

type identity struct {
	id  string
	err error
}

func newIdentities(f func(spec.Run) (string, error)) *identities {
	return &identities{f: f, m: map[string]identity{}}
}

func (c *identities) get(run spec.Run) (string, error) {
	k := run.Dataset + "\x00" + run.DataDir
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok {
		return v.id, v.err
	}
	id, err := c.f(run)
	c.m[k] = identity{id, err}
	return id, err
}

// Done is the content of a run's DONE marker, written last.
type Done struct {
	Key         string `json:"key"`
	RunID       string `json:"run_id"`
	Hash        string `json:"hash"`
	CodeVersion string `json:"code_version"`
	Finished    string `json:"finished"` // RFC 3339
}

// ReadDone reads and checks the DONE marker of a run directory.
func ReadDone(dir string) (*Done, error) {
	path := filepath.Join(dir, DoneFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read done marker: %w", err)
	}
	return ParseDone(path, b)
}

// ParseDone decodes a DONE marker read from path (named in errors).
func ParseDone(path string, b []byte) (*Done, error) {
	var d Done
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: not a done marker: %w", path, err)
	}
	if d.Key == "" {
		return nil, fmt.Errorf("%s: done marker has no key; it is written by convlab run", path)
	}
	return &d, nil
}

// IsDone reports whether the run directory dir holds a finished run with
// the given key.
func IsDone(dir, key string) bool {
	d, err := ReadDone(dir)
	return err == nil && d.Key == key
}

func writeDone(dir string, run spec.Run, key string) error {
	d := Done{Key: key, RunID: run.ID, Hash: run.Hash(), CodeVersion: CodeVersion,
		Finished: time.Now().UTC().Format(time.RFC3339)}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode done marker: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, DoneFile), append(b, '\n'))
}

// RecordFile is the file WriteRecord writes.
const RecordFile = "record.json"

// recordFile is the record plus the run fields the record's JSON leaves
// out (spec.Run does not marshal its ID, sweeps, feeds and file).
type recordFile struct {
	RunID  string   `json:"run_id"`
	Sweeps []string `json:"sweeps,omitempty"`
	Feeds  []string `json:"feeds,omitempty"`
	File   string   `json:"file,omitempty"`
	*results.Record
}

// WriteRecord is the default Options.WriteFiles: the whole record, run ID,
// sweeps and feeds included, as record.json. The CLI passes
// results.WriteRunFiles instead, which writes the report's files.
func WriteRecord(dir string, rec *results.Record) error {
	b, err := json.MarshalIndent(recordFile{rec.Run.ID, rec.Run.Sweeps, rec.Run.Feeds, rec.Run.File, rec}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode record of run %s: %w", rec.Run.ID, err)
	}
	return atomicfile.WriteFile(filepath.Join(dir, RecordFile), append(b, '\n'))
}

// ReadRecord reads the record.json that WriteRecord wrote in dir.
func ReadRecord(dir string) (*results.Record, error) {
	path := filepath.Join(dir, RecordFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read run record: %w", err)
	}
	f := recordFile{Record: &results.Record{}}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: not a run record: %w", path, err)
	}
	f.Record.Run.ID, f.Record.Run.Sweeps, f.Record.Run.Feeds, f.Record.Run.File = f.RunID, f.Sweeps, f.Feeds, f.File
	return f.Record, nil
}
