// Package integrity seals a finished run's directory with its DONE marker,
// which records the size and SHA-256 of every other file there, and checks
// run directories against it, so that damage after the commit (a truncated
// or edited file, a bad copy) is seen. It is not training code: it is
// outside the training code's identity (runner/codeversion), so a fix here
// retrains nothing. The runner (runner/exec) writes the markers; the report
// and `convlab verify` check them.
package integrity

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"convlab/runner/results"
)

// Done is the content of a run's DONE marker, written last by the runner
// (runner/grid) once every other file of the run is complete.
type Done struct {
	Key         string `json:"key"`
	RunID       string `json:"run_id"`
	Hash        string `json:"hash"`
	CodeVersion string `json:"code_version"`
	Finished    string `json:"finished"` // RFC 3339
	// Files lists every other file of the run directory with its size and
	// SHA-256, so that damage after the commit (a truncated or edited file,
	// a bad copy) is seen. DONE markers written before convlab recorded
	// them have none: such runs are done but unverified.
	Files []FileSum `json:"files,omitempty"`
}

// FileSum is one file of a run directory as DONE records it.
type FileSum struct {
	Name   string `json:"name"` // slash-separated, relative to the run directory
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Verified reports whether the marker records the run's files.
func (d *Done) Verified() bool { return len(d.Files) > 0 }

// ReadDone reads and checks the DONE marker of a run directory.
func ReadDone(dir string) (*Done, error) {
	path := filepath.Join(dir, results.DoneFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read done marker: %w", err)
	}
	return ParseDone(path, b)
}

// ParseDone decodes a DONE marker read from path (named in errors).
func ParseDone(path string, b []byte) (*Done, error) {
	d, err := decodeDone(path, b)
	if err != nil {
		return nil, err
	}
	if d.Key == "" {
		return nil, fmt.Errorf("%s: done marker has no key; it is written by convlab run", path)
	}
	return d, nil
}

// decodeDone is ParseDone without requiring a key: a marker without one
// (as hand-made trees and test fixtures hold) says the run is complete.
func decodeDone(path string, b []byte) (*Done, error) {
	var d Done
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("%s: not a done marker: %w", path, err)
	}
	for i, f := range d.Files {
		if f.Name == "" || f.Size < 0 || len(f.SHA256) != 64 || !fs.ValidPath(f.Name) || f.Name == results.DoneFile {
			return nil, fmt.Errorf("%s: files[%d] = %+v: want a relative file name other than DONE, a size of 0 or more and a 64-digit SHA-256", path, i, f)
		}
	}
	return &d, nil
}

// SumFiles lists every regular file under the run directory dir except DONE,
// with its size and SHA-256, in name order: what DONE records.
func SumFiles(dir string) ([]FileSum, error) {
	var out []FileSum
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == results.DoneFile {
			return nil
		}
		size, sum, err := HashFile(p)
		if err != nil {
			return err
		}
		out = append(out, FileSum{Name: rel, Size: size, SHA256: sum})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hash run files: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// HashFile returns the size and the SHA-256 (in hex) of the file at path.
func HashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("read %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Damage is one problem found in a finished run's directory.
type Damage struct {
	Dir     string // the run directory
	File    string // the damaged file, relative to Dir
	Problem string
}

func (d Damage) Error() string {
	return fmt.Sprintf("run %s: %s: %s", filepath.Base(d.Dir), d.File, d.Problem)
}

// CheckRunDir checks a finished run's directory against its DONE marker:
// every recorded file must exist with its recorded size and, when deep is
// set, its recorded SHA-256 (sizes are a stat each; hashes read every
// byte). It returns the marker (nil when it is missing or unreadable, which
// is damage too) and the damage found, none for an intact run. A run whose
// marker records no files (written by an older convlab) cannot be checked
// so: d.Verified() is false, and its damage is its record not reading
// back (config.yaml, metrics.json, history.csv), if so. The marker's key is not
// needed here (Status.Check in runner/grid compares it).
func CheckRunDir(dir string, deep bool) (d *Done, damage []Damage) {
	path := filepath.Join(dir, results.DoneFile)
	b, err := os.ReadFile(path)
	if err == nil {
		d, err = decodeDone(path, b)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, []Damage{{dir, results.DoneFile, "missing: the directory is not a complete run"}}
	}
	if err != nil {
		return nil, []Damage{{dir, results.DoneFile, err.Error()}}
	}
	if !d.Verified() {
		// Nothing to compare with: at least the record must read back.
		if _, err := results.ReadRunDir(dir); err != nil {
			damage = append(damage, readDamage(dir, err))
		}
		return d, damage
	}
	for _, f := range d.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		info, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			damage = append(damage, Damage{dir, f.Name, "missing"})
			continue
		case err != nil:
			damage = append(damage, Damage{dir, f.Name, err.Error()})
			continue
		case !info.Mode().IsRegular():
			damage = append(damage, Damage{dir, f.Name, "not a regular file"})
			continue
		case info.Size() != f.Size:
			damage = append(damage, Damage{dir, f.Name, fmt.Sprintf("%d bytes, DONE records %d", info.Size(), f.Size)})
			continue
		}
		if !deep {
			continue
		}
		_, sum, err := HashFile(p)
		if err != nil {
			damage = append(damage, Damage{dir, f.Name, err.Error()})
		} else if sum != f.SHA256 {
			damage = append(damage, Damage{dir, f.Name, fmt.Sprintf("SHA-256 %s, DONE records %s", sum[:16], f.SHA256[:16])})
		}
	}
	return d, damage
}

// ReadIntact reads every finished run under root/runs, as ReadTree does,
// but leaves out the damaged ones and returns their damage instead: a run
// whose files do not match the sizes its DONE records (CheckRunDir without
// hashes), whose DONE is missing or unreadable, or whose record does not
// parse. Records are sorted by run ID then hash; damage by directory.
func ReadIntact(root string) ([]*results.Record, []Damage, error) {
	dirs, err := results.RunDirs(root)
	if err != nil {
		return nil, nil, err
	}
	var recs []*results.Record
	var damage []Damage
	for _, dir := range dirs {
		if _, dmg := CheckRunDir(dir, false); len(dmg) > 0 {
			damage = append(damage, dmg...)
			continue
		}
		rec, err := results.ReadRunDir(dir)
		if err != nil {
			damage = append(damage, readDamage(dir, err))
			continue
		}
		recs = append(recs, rec)
	}
	results.SortRecords(recs)
	return recs, damage, nil
}

// readDamage is the damage of a run directory whose record does not read
// back, naming the file that failed.
func readDamage(dir string, err error) Damage {
	d := Damage{Dir: dir, Problem: err.Error()}
	if fe, ok := errors.AsType[*results.RunFileError](err); ok {
		d.File = fe.File
	}
	return d
}
