package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// convlab runs the command line in-process and returns its exit status,
// stdout and stderr.
func convlab(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// writeCIFAR writes a data set in CIFAR-10's binary format into dir: each
// of the five training batches and the test batch holds per records. The
// images are learnable: the label decides which colour plane is bright.
func writeCIFAR(t *testing.T, dir string, per int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	write := func(name string, records int) {
		var b bytes.Buffer
		for i := 0; i < records; i++ {
			label := byte(rng.IntN(10))
			b.WriteByte(label)
			for plane := 0; plane < 3; plane++ {
				for p := 0; p < 1024; p++ {
					v := byte(rng.IntN(40))
					if int(label)%3 == plane {
						v += 150
					}
					if int(label)/3 == p/256 {
						v += 60
					}
					b.WriteByte(v)
				}
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 5; i++ {
		write("data_batch_"+string(rune('0'+i))+".bin", per)
	}
	write("test_batch.bin", per)
}

const tinyGrid = `name: tiny
defaults:
  dataset: cifar10
  data_dir: data
  arch: tiny
  n: 100
  epochs: 2
  batch_size: 32
architectures:
  tiny:
    - conv2d: {filters: 4, kernel: 3, stride: 2}
    - flatten
    - dense: {units: 10, activation: softmax}
sweeps:
  l1:
    feeds: [table2, figure4]
    grid: {l1: [0, 0.001]}
`

// setupGrid writes a tiny experiment and its data into a temporary
// directory and returns the experiment file and the results directory.
func setupGrid(t *testing.T) (file, results string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeCIFAR(t, filepath.Join(dir, "data"), 30)
	file = filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(file, []byte(tinyGrid), 0o644); err != nil {
		t.Fatal(err)
	}
	return file, filepath.Join(dir, "results")
}

func TestHelpDocumentsEveryCommand(t *testing.T) {
	for _, c := range commands {
		code, out, _ := convlab(t, "help", c.name)
		if code != 0 || !strings.Contains(out, "usage: convlab "+c.name) {
			t.Errorf("help %s: status %d, output:\n%s", c.name, code, out)
		}
	}
	code, out, _ := convlab(t, "help", "run")
	for _, flag := range []string{"-j", "-force", "-only", "-shard", "-results"} {
		if code != 0 || !strings.Contains(out, flag) {
			t.Errorf("help run does not document %s:\n%s", flag, out)
		}
	}
	if code, _, errOut := convlab(t, "rnu"); code != 2 || !strings.Contains(errOut, `did you mean "run"`) {
		t.Errorf("misspelt command: status %d, stderr %q", code, errOut)
	}
}

func TestPlanReportsBadYAMLWithPosition(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	body := "defaults:\n  epochs: 2\n  l1: -1\nsweeps:\n  a:\n    gird: {n: [10]}\n"
	if err := os.WriteFile(bad, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := convlab(t, "plan", bad)
	if code != 1 || out != "" {
		t.Fatalf("plan of a bad file: status %d, stdout %q", code, out)
	}
	for _, want := range []string{bad + ":3:7:", bad + ":6:5:", "did you mean grid?"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestPlanListsRunsAndStatus(t *testing.T) {
	file, results := setupGrid(t)
	code, out, errOut := convlab(t, "plan", "--results", results, file)
	if code != 0 {
		t.Fatalf("plan: status %d: %s", code, errOut)
	}
	for _, want := range []string{"tiny-n100-l1_0-e2-b32-s1", "tiny-n100-l1_0.001-e2-b32-s1", "2 runs, 2 to do"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
}

// readTree maps every regular file under root (but the run directories,
// which report does not write) to its content.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && (rel == "runs" || rel == "tmp" || rel == "checkpoints") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() && !strings.HasPrefix(d.Name(), ".") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files[rel] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestRunReportEvaluate(t *testing.T) {
	file, results := setupGrid(t)
	code, _, errOut := convlab(t, "run", "--results", results, file)
	if code != 0 {
		t.Fatalf("run: status %d:\n%s", code, errOut)
	}
	root := filepath.Join(results, "tiny")
	runs, _ := filepath.Glob(filepath.Join(root, "runs", "*"))
	if len(runs) != 2 {
		t.Fatalf("want 2 run directories, got %v", runs)
	}
	for _, r := range runs {
		for _, f := range []string{"DONE", "config.yaml", "history.csv", "metrics.json", "weights.bin", "train.log", "confusion_test.csv", "classification_train.csv"} {
			if _, err := os.Stat(filepath.Join(r, f)); err != nil {
				t.Errorf("run %s: %v", filepath.Base(r), err)
			}
		}
	}
	for _, f := range []string{"REPORT.md", "tables/runs.csv", "tables/l1.csv", "figures/l1_curves.png"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("report: %v", err)
		}
	}
	l1csv, _ := os.ReadFile(filepath.Join(root, "tables", "l1.csv"))
	if !strings.HasPrefix(string(l1csv), "l1,accuracy_mean,accuracy_sd,accuracy_ci95_low,accuracy_ci95_high,val_accuracy_mean,") {
		t.Errorf("l1.csv header: %q", strings.SplitN(string(l1csv), "\n", 2)[0])
	}

	// The report rebuilds byte for byte from the stored results.
	before := readTree(t, root)
	for name := range before {
		if strings.HasSuffix(name, ".png") || strings.HasSuffix(name, ".md") || strings.HasSuffix(name, ".csv") {
			os.Remove(filepath.Join(root, name))
		}
	}
	if code, _, errOut := convlab(t, "report", "--results", results, file); code != 0 {
		t.Fatalf("report: status %d:\n%s", code, errOut)
	}
	after := readTree(t, root)
	if len(after) != len(before) {
		t.Errorf("report wrote %d files, run wrote %d", len(after), len(before))
	}
	for name, b := range before {
		if after[name] != b {
			t.Errorf("%s differs after report", name)
		}
	}

	// A second run trains nothing.
	code, out, errOut := convlab(t, "run", "--results", results, file)
	if code != 0 || !strings.Contains(out, "0 done, 2 skipped, 0 failed") {
		t.Errorf("second run: status %d:\n%s", code, errOut)
	}
	code, out, _ = convlab(t, "plan", "--results", results, file)
	if code != 0 || !strings.Contains(out, "2 runs, 0 to do") {
		t.Errorf("plan after run:\n%s", out)
	}
	// After an edit only the new cell is to do, its time estimated from
	// the speed of the finished runs.
	edited := strings.Replace(tinyGrid, "l1: [0, 0.001]", "l1: [0, 0.001, 0.01]", 1)
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = convlab(t, "plan", "--results", results, file)
	if code != 0 || !strings.Contains(out, "3 runs, 1 to do, about") || strings.Count(out, "to do") != 2 {
		t.Errorf("plan after an edit:\n%s", out)
	}
	if err := os.WriteFile(file, []byte(tinyGrid), 0o644); err != nil {
		t.Fatal(err)
	}

	// evaluate scores the saved weights as training did.
	var metrics struct {
		Metrics struct {
			Test struct {
				Accuracy float64 `json:"accuracy"`
			} `json:"test"`
		} `json:"metrics"`
	}
	b, err := os.ReadFile(filepath.Join(runs[0], "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &metrics); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = convlab(t, "evaluate", "--json", runs[0])
	if code != 0 {
		t.Fatalf("evaluate: status %d:\n%s", code, errOut)
	}
	var ev struct {
		Test struct {
			Accuracy float64 `json:"accuracy"`
		} `json:"test"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil {
		t.Fatalf("evaluate --json: %v\n%s", err, out)
	}
	if ev.Test.Accuracy != metrics.Metrics.Test.Accuracy {
		t.Errorf("evaluate: test accuracy %v, training recorded %v", ev.Test.Accuracy, metrics.Metrics.Test.Accuracy)
	}
}

func TestSummaryMatchesKeras(t *testing.T) {
	code, out, errOut := convlab(t, "summary", "strided", "deeper")
	if code != 0 {
		t.Fatalf("summary: status %d: %s", code, errOut)
	}
	// Keras' model.summary() totals for the study's networks.
	for _, want := range []string{"37,146", "23,314", "(None, 8, 8, 32)", "(None, 4, 4, 32)"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestSlurmDryRun(t *testing.T) {
	file, _ := setupGrid(t)
	code, out, errOut := convlab(t, "slurm", "--dry-run", "--shards", "3", "--convlab", "/opt/convlab", file)
	if code != 0 {
		t.Fatalf("slurm --dry-run: status %d: %s", code, errOut)
	}
	for _, want := range []string{"#SBATCH --array=0-2", `run --shard "$((SLURM_ARRAY_TASK_ID + 1))/3"`, "/opt/convlab report"} {
		if !strings.Contains(out, want) {
			t.Errorf("scripts lack %q:\n%s", want, out)
		}
	}
}

// plan takes the same files as run: a convolution file is listed after the
// grid, to do until run has written its figure.
func TestPlanListsConvolutionFiles(t *testing.T) {
	file, results := setupGrid(t)
	conv := filepath.Join("..", "experiments", "figure1.yaml")
	code, out, errOut := convlab(t, "plan", "--results", results, file, conv)
	if code != 0 {
		t.Fatalf("plan: status %d: %s", code, errOut)
	}
	for _, want := range []string{"2 runs, 2 to do", "figure1", "kernel_1 (3x3), kernel_2 (3x3)", "to do\n1 convolution file"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errOut := convlab(t, "run", "--results", results, conv); code != 0 {
		t.Fatalf("run %s: status %d: %s", conv, code, errOut)
	}
	if _, out, _ := convlab(t, "plan", "--results", results, conv); !strings.Contains(out, "done\n1 convolution file") {
		t.Errorf("plan after run does not say done:\n%s", out)
	}
}

// A data set that cannot be read is one error before anything trains, not
// one failure per run.
func TestRunWithoutDataTrainsNothing(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(file, []byte(tinyGrid), 0o644); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results")
	code, _, errOut := convlab(t, "run", "--results", results, file)
	if code != 1 {
		t.Fatalf("run without data: status %d, stderr:\n%s", code, errOut)
	}
	if n := strings.Count(errOut, "data set cifar10"); n != 1 {
		t.Errorf("the data error is printed %d times, want once:\n%s", n, errOut)
	}
	for _, want := range []string{file + ": data set cifar10:", filepath.Join(dir, "data"), "nothing was trained"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(results); !os.IsNotExist(err) {
		t.Errorf("results directory written although nothing trained: %v", err)
	}
}

// A run asking for more images than its data set holds is refused before
// anything trains, naming the run, the data and the limit.
func TestRunRefusesTooLargeN(t *testing.T) {
	file, results := setupGrid(t) // 5 x 30 training images
	body := strings.Replace(tinyGrid, "n: 100", "n: 200", 1)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := convlab(t, "run", "--results", results, file)
	if code != 1 {
		t.Fatalf("run with n too large: status %d, stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"run tiny-n200-l1_0-e2-b32-s1: n = 200", "only 150 training images; use n <= 150", "$CIFAR10_DIR", "nothing was trained"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(results); !os.IsNotExist(err) {
		t.Errorf("results directory written although nothing trained: %v", err)
	}
}

// --only applies to all the files together: a pattern matching the runs
// of one file only selects those, and one matching none in any file is a
// usage error, reported once.
func TestOnlyOverSeveralFiles(t *testing.T) {
	file, results := setupGrid(t)
	other := filepath.Join(filepath.Dir(file), "other.yaml")
	body := strings.Replace(strings.Replace(tinyGrid, "name: tiny", "name: other", 1), "epochs: 2", "epochs: 3", 1)
	if err := os.WriteFile(other, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := convlab(t, "plan", "--results", results, "--only", ".*-e3-.*", file, other)
	if code != 0 {
		t.Fatalf("plan --only matching the second file: status %d: %s", code, errOut)
	}
	for _, want := range []string{"tiny-n100-l1_0-e3-b32-s1", "tiny-n100-l1_0.001-e3-b32-s1", "2 runs, 2 to do"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "-e2-") {
		t.Errorf("plan lists runs --only does not match:\n%s", out)
	}
	// With a shard, the pattern still counts the runs it matched.
	if code, out, errOut := convlab(t, "plan", "--results", results, "--only", ".*-e3-.*", "--shard", "2/2", file, other); code != 0 || !strings.Contains(out, "1 run, 1 to do") {
		t.Errorf("plan --only --shard 2/2: status %d:\n%s%s", code, out, errOut)
	}

	code, runOut, errOut := convlab(t, "run", "--results", results, "--only", "*-e3-*", "--no-report", "--cores", "3", file, other)
	if code != 0 {
		t.Fatalf("run --only matching the second file: status %d:\n%s", code, errOut)
	}
	// Each run records the threads it was given as its cores.
	metrics, _ := filepath.Glob(filepath.Join(results, "other", "runs", "*", "metrics.json"))
	if len(metrics) != 2 {
		t.Fatalf("want 2 finished runs of other.yaml, got %v", metrics)
	}
	for _, m := range metrics {
		var met struct {
			Provenance struct {
				Cores    int    `json:"cores"`
				Finished string `json:"finished"`
			} `json:"provenance"`
		}
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &met); err != nil {
			t.Fatal(err)
		}
		if met.Provenance.Cores != 3 || met.Provenance.Finished == "" {
			t.Errorf("%s: provenance cores %d, finished %q; want the 3 threads of the run and a time", m, met.Provenance.Cores, met.Provenance.Finished)
		}
	}
	if !strings.Contains(errOut, "tiny.yaml: no run selected") || !strings.Contains(runOut, "other.yaml: 2 done, 0 skipped, 0 failed") {
		t.Errorf("run --only: want nothing of tiny.yaml and both runs of other.yaml trained:\n%s%s", runOut, errOut)
	}
	if _, err := os.Stat(filepath.Join(results, "tiny")); !os.IsNotExist(err) {
		t.Errorf("results tree of tiny.yaml written although none of its runs was selected: %v", err)
	}

	for _, cmd := range []string{"plan", "run"} {
		code, out, errOut := convlab(t, cmd, "--results", results, "--only", "resnet*", file, other)
		if code != 2 || out != "" {
			t.Errorf("%s --only matching nothing: status %d, stdout %q", cmd, code, out)
		}
		if n := strings.Count(errOut, "matches none"); n != 1 || !strings.Contains(errOut, `--only "resnet*" matches none of the 4 runs; run ids: tiny-n100-l1_0-e2-b32-s1,`) {
			t.Errorf("%s --only matching nothing: stderr (want the error once, over both files):\n%s", cmd, errOut)
		}
	}
}

// A convolution file goes to slurm's report job alone: every array task
// computing part i's Figure 1 again would be work done once per shard.
func TestSlurmGivesConvolutionFilesToTheReportJob(t *testing.T) {
	file, _ := setupGrid(t)
	conv := filepath.Join("..", "experiments", "figure1.yaml")
	code, out, errOut := convlab(t, "slurm", "--dry-run", "--shards", "2", "--convlab", "/opt/convlab", conv, file)
	if code != 0 {
		t.Fatalf("slurm --dry-run: status %d: %s", code, errOut)
	}
	var runLine, reportLine string
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "exec /opt/convlab run "):
			runLine = line
		case strings.HasPrefix(line, "exec /opt/convlab report "):
			reportLine = line
		}
	}
	if runLine == "" || strings.Contains(runLine, "figure1.yaml") || !strings.HasSuffix(runLine, " "+file) {
		t.Errorf("array task: %q; want the training file %s and no convolution file", runLine, file)
	}
	if !strings.HasSuffix(reportLine, " "+file+" "+conv) {
		t.Errorf("report job: %q; want the training file, then %s", reportLine, conv)
	}

	code, _, errOut = convlab(t, "slurm", "--dry-run", "--convlab", "/opt/convlab", conv)
	if want := "no training experiment file among 1 given"; code != 2 || !strings.Contains(errOut, want) {
		t.Errorf("convolution file alone: status %d, stderr %q; want 2 and %q", code, errOut, want)
	}
}
