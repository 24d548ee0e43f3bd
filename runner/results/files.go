package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"

	"convlab/internal/atomicfile"
	"convlab/runner/spec"
)

// Layout of a results tree: results/<file name>/runs/<RunDirName>/ holds
// one finished run; the run counts as complete iff it holds DoneFile. The
// runner (runner/grid) and the report use these names; they are defined
// here only.
const (
	RunsDir  = "runs"
	DoneFile = "DONE"
)

// Files of one run directory, as WriteRunFiles writes them.
const (
	ConfigFile              = "config.yaml"
	HistoryFile             = "history.csv"
	MetricsFile             = "metrics.json"
	ClassificationTrainFile = "classification_train.csv"
	ClassificationTestFile  = "classification_test.csv"
	ConfusionTrainFile      = "confusion_train.csv"
	ConfusionTestFile       = "confusion_test.csv"
)

// Files the runner writes into a run directory besides those.
const (
	WeightsFile = "weights.bin" // the trained weights, as arch/net saves them
	LogFile     = "train.log"   // the training log
)

// RunDirName names a run's directory under runs/: "<ID>-<hash>".
func RunDirName(run spec.Run) string { return dirName(run.ID, run.Hash()) }

// DirName names the directory of the record's run under runs/, as
// RunDirName does; a record without a hash uses its run's.
func (r *Record) DirName() string {
	if r.Hash == "" {
		return RunDirName(r.Run)
	}
	return dirName(r.Run.ID, r.Hash)
}

func dirName(id, hash string) string { return id + "-" + hash }

// RunDir is the directory of run under the results tree root
// (results/<file name>).
func RunDir(root string, run spec.Run) string {
	return filepath.Join(root, RunsDir, RunDirName(run))
}

// configFile is config.yaml: the fully resolved run plus its hash.
type configFile struct {
	spec.Run `yaml:",inline"`
	Hash     string `yaml:"hash"`
}

// metricsFile is metrics.json: the record without its history.
type metricsFile struct {
	RunID      string     `json:"run_id"`
	Hash       string     `json:"hash"`
	Run        spec.Run   `json:"run"`
	Metrics    Metrics    `json:"metrics"`
	Provenance Provenance `json:"provenance"`
	// NonFinite lists the NaN and infinite numbers, written as 0 above
	// (JSON has none), by path, e.g. "metrics.test.loss": "NaN".
	NonFinite map[string]string `json:"nonfinite,omitempty"`
}

// copyMetrics copies m deeply enough that changing its numbers leaves m
// alone.
func copyMetrics(m Metrics) Metrics {
	for _, ev := range []*Evaluation{&m.Train, &m.Validation, &m.Test} {
		ev.Report.Classes = append([]ClassScores(nil), ev.Report.Classes...)
	}
	return m
}

// WriteRunFiles writes the files of a finished run into the existing
// directory dir: config.yaml, history.csv, metrics.json, and the
// classification reports and confusion matrices of the training and test
// sets as CSV. Each file is written atomically.
func WriteRunFiles(dir string, rec *Record) error {
	if rec == nil {
		return errors.New("write run files: record is nil")
	}
	hash := rec.Hash
	if hash == "" {
		hash = rec.Run.Hash()
	}
	var cfg bytes.Buffer
	enc := yaml.NewEncoder(&cfg)
	enc.SetIndent(2)
	if err := enc.Encode(configFile{Run: rec.Run, Hash: hash}); err != nil {
		return fmt.Errorf("encode %s of run %s: %w", ConfigFile, rec.Run.ID, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode %s of run %s: %w", ConfigFile, rec.Run.ID, err)
	}
	mf := metricsFile{RunID: rec.Run.ID, Hash: hash, Run: rec.Run, Metrics: copyMetrics(rec.Metrics), Provenance: rec.Provenance}
	mf.NonFinite = extractNonFinite(&mf)
	met, err := json.MarshalIndent(mf, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s of run %s: %w", MetricsFile, rec.Run.ID, err)
	}
	classes := ClassNames(rec)
	files := []struct {
		name string
		data []byte
	}{
		{ConfigFile, cfg.Bytes()},
		{HistoryFile, EncodeHistory(rec.History)},
		{MetricsFile, append(met, '\n')},
		{ClassificationTrainFile, EncodeClassificationReport(rec.Metrics.Train.Report)},
		{ClassificationTestFile, EncodeClassificationReport(rec.Metrics.Test.Report)},
		{ConfusionTrainFile, EncodeConfusion(rec.Metrics.Train.Confusion, classes)},
		{ConfusionTestFile, EncodeConfusion(rec.Metrics.Test.Confusion, classes)},
	}
	for _, f := range files {
		if err := atomicfile.WriteFile(filepath.Join(dir, f.name), f.data); err != nil {
			return err
		}
	}
	return nil
}

// ClassNames are the labels of a run's classes, from its classification
// report on the test set, else the training set, else the validation set;
// nil when none has one.
func ClassNames(rec *Record) []string {
	for _, ev := range []Evaluation{rec.Metrics.Test, rec.Metrics.Train, rec.Metrics.Validation} {
		if len(ev.Report.Classes) > 0 {
			out := make([]string, len(ev.Report.Classes))
			for i, c := range ev.Report.Classes {
				out[i] = c.Label
			}
			return out
		}
	}
	return nil
}

// RunFileError is the error of reading back one file of a run directory.
type RunFileError struct {
	File string // relative to the run directory, e.g. metrics.json
	Err  error
}

func (e *RunFileError) Error() string { return e.Err.Error() }
func (e *RunFileError) Unwrap() error { return e.Err }

// ReadRunDir reads back the record that WriteRunFiles wrote in dir. Its
// error is a *RunFileError naming the file that failed.
func ReadRunDir(dir string) (*Record, error) {
	rec, file, err := readRunDir(dir)
	if err != nil {
		return nil, &RunFileError{File: file, Err: err}
	}
	return rec, nil
}

// readRunDir is ReadRunDir with the file an error is about apart.
func readRunDir(dir string) (rec *Record, file string, err error) {
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read run: %w", err)
		}
		return b, nil
	}
	cfgData, err := read(ConfigFile)
	if err != nil {
		return nil, ConfigFile, err
	}
	cfg, err := decodeConfig(cfgData)
	if err != nil {
		return nil, ConfigFile, fmt.Errorf("%s: %w", filepath.Join(dir, ConfigFile), err)
	}
	metData, err := read(MetricsFile)
	if err != nil {
		return nil, MetricsFile, err
	}
	met, err := decodeMetrics(metData)
	if err != nil {
		return nil, MetricsFile, fmt.Errorf("%s: %w", filepath.Join(dir, MetricsFile), err)
	}
	histData, err := read(HistoryFile)
	if err != nil {
		return nil, HistoryFile, err
	}
	hist, err := DecodeHistory(histData)
	if err != nil {
		return nil, HistoryFile, fmt.Errorf("%s:%w", filepath.Join(dir, HistoryFile), err)
	}
	rec = &Record{Run: cfg.Run, Hash: met.Hash, History: hist, Metrics: met.Metrics, Provenance: met.Provenance}
	if rec.Hash == "" {
		rec.Hash = cfg.Hash
	}
	normalizeRun(&rec.Run)
	return rec, "", nil
}

// decodeConfig parses config.yaml strictly.
func decodeConfig(data []byte) (*configFile, error) {
	var cfg configFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("not a run's config: %w", err)
	}
	return &cfg, nil
}

// decodeMetrics parses metrics.json strictly, non-finite numbers restored.
func decodeMetrics(data []byte) (*metricsFile, error) {
	var met metricsFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&met); err != nil {
		return nil, fmt.Errorf("not a run's metrics: %w", err)
	}
	nf := met.NonFinite
	met.NonFinite = nil
	if err := restoreNonFinite(&met, nf); err != nil {
		return nil, err
	}
	return &met, nil
}

// normalizeRun makes empty lists nil, so that a record read back equals
// the one written.
func normalizeRun(r *spec.Run) {
	if len(r.Sweeps) == 0 {
		r.Sweeps = nil
	}
	if len(r.Feeds) == 0 {
		r.Feeds = nil
	}
	if len(r.Arch.Layers) == 0 {
		r.Arch.Layers = nil
	}
}

// ReadTree reads every complete run under root/runs (a directory holding
// DONE; others are skipped), sorted by run ID then hash, and fails when any
// does not parse. It does not check the files against DONE:
// integrity.ReadIntact (runner/integrity) does, and leaves damaged runs
// out. A missing runs directory is an empty tree.
func ReadTree(root string) ([]*Record, error) {
	dirs, err := RunDirs(root)
	if err != nil {
		return nil, err
	}
	var recs []*Record
	var errs []error
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, DoneFile)); err != nil {
			continue
		}
		rec, err := ReadRunDir(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, rec)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("read results tree %s: %w", root, errors.Join(errs...))
	}
	SortRecords(recs)
	return recs, nil
}

// RunDirs lists the directories under root/runs, in name order; a missing
// runs directory holds none.
func RunDirs(root string) ([]string, error) {
	runsDir := filepath.Join(root, RunsDir)
	entries, err := os.ReadDir(runsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read results tree: %w", err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(runsDir, e.Name()))
		}
	}
	return dirs, nil
}

// SortRecords sorts records by run ID, then hash.
func SortRecords(recs []*Record) {
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].Run.ID != recs[j].Run.ID {
			return recs[i].Run.ID < recs[j].Run.ID
		}
		return recs[i].Hash < recs[j].Hash
	})
}
