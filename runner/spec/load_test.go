package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"convlab/arch"
)

// badFiles lists each fixture of testdata/bad with every error it must
// produce, in order, after "testdata/bad/FILE".
var badFiles = []struct {
	file string
	want []string
}{
	{"convolution.yaml", []string{
		":1:7: kind: this is a convolution experiment (Part i); run it with `convlab conv testdata/bad/convolution.yaml`, not as a training experiment",
	}},
	{"data_dir.yaml", []string{
		":2:13: defaults.data_dir: environment variable CONVLAB_SPEC_TEST_UNSET_VAR is not set",
		":6:21: sweeps.two.set.data_dir: empty directory; remove data_dir to use the data set's default location",
	}},
	{"duplicate_keys.yaml", []string{
		":3:3: defaults.n: duplicate key; first set at line 2:3",
		":6:17: sweeps.two.feeds[0]: figure2 is already fed by sweep one (line 5:17); each report item comes from one sweep of a file",
		":7:3: sweeps.one: duplicate key; first set at line 5:3",
	}},
	{"empty.yaml", []string{
		": the file is empty; an experiment file is a YAML mapping of defaults and sweeps",
	}},
	{"figures.yaml", []string{
		`:2:18: figures.formats[1]: unknown figure format "svgg" (did you mean svg?); valid: png, svg, pdf`,
		":2:24: figures.formats[2]: format png is listed twice",
		":2:29: figures.formats[3]: must be text, got the number 3",
		`:3:3: figures.format: unknown key "format" (did you mean formats?); valid: formats`,
	}},
	{"grid.yaml", []string{
		":5:10: sweeps.one.grid.n: must be a list of values, got the number 5000; write [5000], or put a single value in the sweep's set",
		":6:7: sweeps.one.grid.l1: also given in this sweep's set (line 3); a setting is either set or swept, not both",
		":7:13: sweeps.one.grid.seed: empty list: a grid axis needs at least one value",
		":8:7: sweeps.one.grid.optimizer: cannot be a grid axis; set it in defaults or in a sweep's set (one sweep per optimizer setting)",
		":9:7: sweeps.one.grid.data_dir: cannot be a grid axis: where the data lives does not change a run; set it in defaults or set",
		":10:22: sweeps.one.grid.epochs[2]: duplicate value 01; first at line 10:16",
		`:11:7: sweeps.one.grid.colour: unknown key "colour"; valid: dataset, arch, n, l1, epochs, batch_size, validation_split, seed`,
	}},
	{"kind.yaml", []string{
		`:1:7: kind: unknown kind "trainig" (did you mean training?); valid: training, convolution`,
	}},
	{"layers.yaml", []string{
		":2:3: architectures.strided: strided is a built-in preset; give your architecture another name",
		":5:36: architectures.bad[0].conv2d.kernel: must be odd so the kernel has a centre, got 4; valid: odd numbers such as 1, 3 and 5",
		":5:47: architectures.bad[0].conv2d.stride: must be at least 1, got 0",
		`:5:59: architectures.bad[0].conv2d.padding: unknown padding "full"; valid: same, valid`,
		`:5:77: architectures.bad[0].conv2d.activation: unknown activation "softmax"; valid: relu, none`,
		":6:7: architectures.bad[1].conv2d: missing kernel; conv2d needs filters and kernel",
		`:7:7: architectures.bad[2]: unknown layer kind "pool"; valid: conv2d, maxpool2d, dropout, flatten, dense`,
		":8:17: architectures.bad[3].flatten.units: unknown key; flatten takes no settings",
		":9:23: architectures.bad[4].dropout.rate: 1 is out of range; valid: 0 <= rate < 1 (the fraction of values dropped)",
		":10:7: architectures.bad[5].dense.l1: the last dense layer's l1 is the run's l1 setting; set l1: in defaults, set or grid instead",
		":13:7: architectures.no_softmax[1]: the last layer must be dense with activation: softmax (one unit per class, e.g. dense: {units: 10, activation: softmax}), got dense with activation none",
		":15:7: architectures.two_keys[0]: a layer is one kind with its settings, e.g. - conv2d: {filters: 16, kernel: 3}; got keys conv2d, dense",
		":18:10: architectures.empty: no layers; list them, e.g. - conv2d: {filters: 16, kernel: 3}",
	}},
	{"list.yaml", []string{
		":1:1: an experiment file must be a YAML mapping (name:, defaults:, sweeps:, ...), got a list",
	}},
	{"misplaced.yaml", []string{
		":1:1: epochs: a run setting belongs under defaults: (or a sweep's set:); valid here: kind, name, description, defaults, architectures, sweeps, figures",
		":4:5: sweeps.one.l1: a run setting belongs under this sweep's set: (one value) or grid: (a list); valid here: description, feeds, set, grid, reference",
		":7:3: defaults.learning_rate: an optimizer setting; write optimizer: {learning_rate: ...}",
	}},
	{"misc.yaml", []string{
		":1:14: description: must be text, got a list",
		":3:5: defaults.n: missing value",
		":4:7: defaults.l1: must be a finite number, got .nan",
		":5:21: defaults.validation_split: must be a finite number, got -.inf",
		":6:9: defaults.seed: 99999999999999999999 is too large; valid: whole numbers of at most 9007199254740992",
		":7:7: defaults.<<: a merge key needs a mapping or a list of mappings, got the number 5",
		":10:7: architectures.weird[0]: must be a layer such as conv2d: {filters: 16, kernel: 3}, got the number 42",
		":11:15: architectures.weird[1].conv2d: must be a mapping of conv2d settings (filters, kernel, stride, padding, activation), got a list",
		`:12:22: architectures.weird[2].dense.units: must be a whole number, got the text "ten"`,
		":14:8: sweeps.one: must be a mapping (description, feeds, set, grid, reference), got a list",
		":18:22: sweeps.three.feeds[1]: figure3 is listed twice",
		":18:31: sweeps.three.feeds[2]: must be text, got a mapping",
		":22:7: sweeps.four.grid: must be a mapping of settings to lists of values, e.g. {l1: [0, 0.001]}, got a list",
	}},
	{"names.yaml", []string{
		`:1:7: name: "my results" is not usable as a results directory name; valid: letters, digits, '_', '.' and '-', starting with a letter or digit`,
		`:3:3: architectures.my arch: "my arch" is not usable as an architecture name; valid: letters, digits, '_', '.' and '-', starting with a letter or digit`,
		`:7:3: sweeps.l1/sweep: "l1/sweep" is not usable as a sweep name (it names the sweep's table file); valid: letters, digits, '_', '.' and '-', starting with a letter or digit`,
	}},
	{"no_sweeps.yaml", []string{
		":1:1: no sweeps: nothing to run; add a sweeps: mapping, e.g. sweeps: {baseline: {feeds: [figure2]}}",
	}},
	{"out_of_range.yaml", []string{
		":2:6: defaults.n: must be at least 1, got 0",
		":3:7: defaults.l1: must be 0 or more, got -1",
		":4:11: defaults.epochs: must be at least 1, got 0",
		":5:15: defaults.batch_size: must be at least 1, got -5",
		":6:21: defaults.validation_split: 1 is out of range; valid: 0 <= validation_split < 1 (the fraction of the n images held out)",
		":7:30: defaults.optimizer.learning_rate: must be more than 0, got 0",
		":7:40: defaults.optimizer.beta1: 1 is out of range; valid: 0 <= beta1 < 1",
		":7:52: defaults.optimizer.epsilon: must be more than 0, got -1e-07",
	}},
	{"repeats.yaml", []string{
		":7:7: sweeps.both.grid.seed: this sweep's set also has repeats (line 5); both choose the seeds, keep one: repeats: N or seed: [...]",
		":10:7: sweeps.axis.grid.repeats: cannot be a grid axis; write repeats: N in defaults or the sweep's set, or list the seeds as a grid axis, seed: [1, 2, 3]",
		":12:20: sweeps.range.set.repeats: 0 is out of range; valid: 1 to 1000 (the number of seeds of each grid point)",
		":14:24: sweeps.ref_seed.reference.seed: a reference is a cell, every seed of one setting; name it without seed; valid: dataset, arch, n, l1, epochs, batch_size, validation_split",
		":18:16: sweeps.ref_missing.reference: no run of this file has these settings (strided-n1000-l1_0.5-e20); valid: the settings of a cell that a sweep of the file runs, e.g. one value of each of this sweep's axes",
		":22:21: sweeps.ref_list.reference.l1: must be one value, got a list; the reference is one cell",
		`:22:33: sweeps.ref_list.reference.colour: unknown key "colour"; valid: dataset, arch, n, l1, epochs, batch_size, validation_split`,
	}},
	{"shapes.yaml", []string{
		":6:7: architectures.flat_first[1].dense: needs a flat input; add a flatten layer before it (input is 30x30x8) (cifar10 images are 32x32x3)",
		":6:7: architectures.flat_first[1].dense: needs a flat input; add a flatten layer before it (input is 26x26x8) (fashion-mnist images are 28x28x1)",
		":9:7: architectures.seven[1].dense: the last layer must have one unit per class: cifar10 has 10 classes, got 7 units",
		":12:7: architectures.too_small[1].conv2d: kernel 5x5 is larger than its 2x2 input with valid padding (cifar10 images are 32x32x3)",
	}},
	{"small_split.yaml", []string{
		":2:6: defaults.n: 5 with validation_split 0.9 leaves no image to train on (int(n * (1 - validation_split)) = 0); valid: n of at least 11",
	}},
	{"syntax.yaml", []string{
		":1: invalid YAML: did not find expected ',' or ']'",
	}},
	{"too_many_images.yaml", []string{
		":2:6: defaults.n: 50001 is more than the 50000 training images of cifar10; valid: 1 to 50000",
		":7:23: sweeps.fashion.grid.n[1]: 60001 is more than the 60000 training images of fashion-mnist; valid: 1 to 60000",
		":9:14: sweeps.tiny.set.n: 1 with validation_split 0.1 leaves no image to train on (int(n * (1 - validation_split)) = 0); valid: n of at least 2",
	}},
	{"too_many_runs.yaml", []string{
		":4:3: sweeps.huge: the file expands to more than 10000 runs; split it or shorten its grids",
	}},
	{"two_documents.yaml", []string{
		":2:1: a second YAML document (after ---); an experiment file holds exactly one",
	}},
	{"unused_arch.yaml", []string{
		":6:7: architectures.unused[1].conv2d: kernel 9x9 is larger than its 7x7 input with valid padding (fashion-mnist images are 28x28x1)",
	}},
	{"unknown_key.yaml", []string{
		`:1:1: defualts: unknown key "defualts" (did you mean defaults?); valid: kind, name, description, defaults, architectures, sweeps, figures`,
		`:6:5: sweeps.one.gird: unknown key "gird" (did you mean grid?); valid: description, feeds, set, grid, reference`,
	}},
	{"unknown_names.yaml", []string{
		`:2:12: defaults.dataset: unknown data set "cifar-10" (did you mean cifar10?); valid: cifar10, fashion-mnist`,
		`:3:9: defaults.arch: unknown architecture "strided2" (did you mean strided?); valid: deeper, maxpool, strided`,
		`:4:21: defaults.optimizer.name: unknown optimizer "sgd"; valid: adam`,
		`:7:13: sweeps.one.feeds[0]: unknown report item "figure 2" (did you mean figure2?); valid: table1, table2, figure2, figure3, figure4, figure5, figure6`,
		`:7:23: sweeps.one.feeds[1]: unknown report item "Table1" (did you mean table1?); valid: table1, table2, figure2, figure3, figure4, figure5, figure6`,
	}},
	{"wrong_type.yaml", []string{
		`:2:6: defaults.n: must be a whole number, got the text "5000"; write it without quotes`,
		":3:11: defaults.epochs: must be a whole number, got 2.5",
		":4:7: defaults.l1: must be a number, got a list",
		":5:12: defaults.dataset: must be text, got the number 3",
		":6:9: defaults.seed: must be a whole number, got the boolean true",
		`:7:14: defaults.optimizer: must be a mapping (name, learning_rate, beta1, beta2, epsilon), got the text "adam"`,
	}},
}

func TestLoadBadFiles(t *testing.T) {
	os.Unsetenv("CONVLAB_SPEC_TEST_UNSET_VAR")
	seen := map[string]bool{}
	for _, tc := range badFiles {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.file)
			plan, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = %d runs, want errors", path, len(plan.Runs))
			}
			if plan != nil {
				t.Errorf("Load(%s) returned a plan with its error", path)
			}
			want := make([]string, len(tc.want))
			for i, w := range tc.want {
				want[i] = path + w
			}
			if got := err.Error(); got != strings.Join(want, "\n") {
				t.Errorf("Load(%s) error:\n%s\nwant:\n%s", path, got, strings.Join(want, "\n"))
			}
			var list Errors
			if !errors.As(err, &list) || len(list) != len(tc.want) {
				t.Fatalf("error is not an Errors of %d: %#v", len(tc.want), err)
			}
			for _, e := range list {
				if e.File != path {
					t.Errorf("error %q names file %q, want %q", e, e.File, path)
				}
			}
		})
	}
	// Every fixture is covered by the table.
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("fixture %s has no expected errors in badFiles", f)
		}
	}
}

func TestLoadCollectsErrorsOfAllFiles(t *testing.T) {
	a := filepath.Join("testdata", "bad", "unknown_names.yaml")
	b := filepath.Join("testdata", "bad", "kind.yaml")
	missing := filepath.Join("testdata", "bad", "no-such-file.yaml")
	_, err := Load(b, missing, a, b)
	var list Errors
	if !errors.As(err, &list) {
		t.Fatalf("Load error %v is not an Errors", err)
	}
	// kind.yaml (once, though given twice), then the missing file, then
	// unknown_names.yaml's five.
	if len(list) != 7 {
		t.Fatalf("got %d errors, want 7:\n%v", len(list), err)
	}
	if list[0].File != b || list[1].File != missing || list[2].File != a || list[6].File != a {
		t.Errorf("errors out of file order:\n%v", err)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(err, fs.ErrNotExist) = false for a missing file")
	}
	if want := missing + ": cannot read the experiment file: no such file or directory"; list[1].Error() != want {
		t.Errorf("missing file error = %q, want %q", list[1], want)
	}
}

func TestLoadNoFiles(t *testing.T) {
	if _, err := Load(); err == nil {
		t.Fatal("Load() with no files succeeded")
	}
}

func TestLoadSameNameTwice(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	writeFile(t, a, "name: study\nsweeps: {one: {}}\n")
	writeFile(t, b, "name: study\nsweeps: {two: {set: {n: 100}}}\n")
	_, err := Load(a, b)
	want := b + ":1:7: name: name study is also the name of " + a + "; each file's results go to results/<name>/, set another name: in one of them"
	if err == nil || err.Error() != want {
		t.Errorf("Load error = %v, want %s", err, want)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadMinimalUsesStudyDefaults(t *testing.T) {
	plan, err := Load(filepath.Join("testdata", "good", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	strided, _ := arch.Preset("strided")
	want := Run{
		ID: "strided-n5000-l1_0.0001-e20-s1", Sweeps: []string{"baseline"},
		File:    filepath.Join("testdata", "good", "minimal.yaml"),
		Dataset: "cifar10", Arch: strided, N: 5000, L1: 0.0001, Epochs: 20, BatchSize: 128,
		ValidationSplit: 0.1, Seed: 1,
		Optimizer: Optimizer{Name: "adam", LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7},
	}
	if len(plan.Runs) != 1 || !reflect.DeepEqual(plan.Runs[0], want) {
		t.Errorf("runs = %+v\nwant [%+v]", plan.Runs, want)
	}
	if len(plan.Files) != 1 || plan.Files[0].Name != "minimal" {
		t.Errorf("files = %+v, want one named minimal", plan.Files)
	}
	s := plan.Sweep("minimal", "baseline")
	if s == nil || len(s.Axes) != 0 || !reflect.DeepEqual(s.RunIDs, []string{want.ID}) || s.Feeds != nil {
		t.Errorf("sweep baseline = %+v", s)
	}
}

func TestLoadMultiAxisGridOrder(t *testing.T) {
	path := filepath.Join("testdata", "good", "multi_axis.yaml")
	plan, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	// First axis slowest, values in the order written.
	want := []string{
		"strided-n1000-l1_0-e2-s3", "strided-n1000-l1_0-e2-s1", "strided-n1000-l1_0-e2-s2",
		"strided-n1000-l1_0.5-e2-s3", "strided-n1000-l1_0.5-e2-s1", "strided-n1000-l1_0.5-e2-s2",
	}
	s := plan.Sweep("multi", "grid")
	if s == nil {
		t.Fatal("no sweep grid in file multi")
	}
	if !reflect.DeepEqual(s.RunIDs, want) {
		t.Errorf("run IDs = %v\nwant %v", s.RunIDs, want)
	}
	if !reflect.DeepEqual(s.Axes, []string{"l1", "seed"}) || !reflect.DeepEqual(s.Feeds, []string{"table2"}) {
		t.Errorf("axes %v feeds %v, want [l1 seed] [table2]", s.Axes, s.Feeds)
	}
	runs := plan.SweepRuns(s)
	if len(runs) != 6 || runs[4].L1 != 0.5 || runs[4].Seed != 1 {
		t.Errorf("SweepRuns = %+v", runs)
	}
	// data_dir is relative to the file's directory.
	if wantDir := filepath.Join("testdata", "data"); runs[0].DataDir != wantDir {
		t.Errorf("DataDir = %q, want %q", runs[0].DataDir, wantDir)
	}
}

func TestLoadAnchorsAndOptimizerMerge(t *testing.T) {
	plan, err := Load(filepath.Join("testdata", "good", "anchors.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// slow: defaults' learning rate 0.01, the set's beta1 0.8 on top.
	slow := plan.SweepRuns(plan.Sweep("anchors", "slow"))
	wantOpt := Optimizer{Name: "adam", LearningRate: 0.01, Beta1: 0.8, Beta2: 0.999, Epsilon: 1e-7}
	if len(slow) != 1 || slow[0].Optimizer != wantOpt || slow[0].N != 1000 || slow[0].Epochs != 3 {
		t.Errorf("slow = %+v, want n 1000, epochs 3, optimizer %+v", slow, wantOpt)
	}
	// quick_again merges quick: the same two runs, listed by both sweeps.
	q, qa := plan.Sweep("anchors", "quick"), plan.Sweep("anchors", "quick_again")
	if q == nil || qa == nil || len(q.RunIDs) != 2 || !reflect.DeepEqual(q.RunIDs, qa.RunIDs) {
		t.Fatalf("quick %+v, quick_again %+v: want the same two runs", q, qa)
	}
	if len(plan.Runs) != 3 {
		t.Errorf("%d runs, want 3 (slow + 2 quick)", len(plan.Runs))
	}
	r, ok := plan.Run(q.RunIDs[1])
	if !ok || !reflect.DeepEqual(r.Sweeps, []string{"quick", "quick_again"}) || r.Seed != 2 || r.Epochs != 1 {
		t.Errorf("run %s = %+v", q.RunIDs[1], r)
	}
}

func TestLoadUserArchitecture(t *testing.T) {
	plan, err := Load(filepath.Join("testdata", "good", "layers.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := arch.Arch{Name: "tiny", Layers: []arch.Layer{
		{Kind: "conv2d", Filters: 8, Kernel: 3, Stride: 1, Padding: "same", Activation: "relu"},
		{Kind: "maxpool2d", Pool: 2},
		{Kind: "conv2d", Filters: 16, Kernel: 5, Stride: 2, Padding: "valid", Activation: "none"},
		{Kind: "dropout", Rate: 0.25},
		{Kind: "flatten"},
		{Kind: "dense", Units: 32, Activation: "relu", L1: 0.5, L2: 0.001},
		{Kind: "dense", Units: 10, Activation: "softmax"},
	}}
	if len(plan.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(plan.Runs))
	}
	r := plan.Runs[0]
	if !reflect.DeepEqual(r.Arch, want) {
		t.Errorf("arch = %+v\nwant %+v", r.Arch, want)
	}
	if r.ID != "fashion-mnist-tiny-n5000-l1_0.001-e20-s1" {
		t.Errorf("ID = %q", r.ID)
	}
	// The run's l1 reaches the last dense layer only.
	net := r.Network()
	if net.Layers[6].L1 != 0.001 || net.Layers[5].L1 != 0.5 {
		t.Errorf("Network() l1s = %g, %g; want 0.5, 0.001", net.Layers[5].L1, net.Layers[6].L1)
	}
}

func TestLoadDedupeWithinFile(t *testing.T) {
	plan, err := Load(filepath.Join("testdata", "good", "dedupe.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// a: 5000, 2000; b: 2000; c: 2000, 3000, 5000 -> 5000, 2000, 3000.
	var ns []int
	for _, r := range plan.Runs {
		ns = append(ns, r.N)
	}
	if !reflect.DeepEqual(ns, []int{5000, 2000, 3000}) {
		t.Fatalf("run n = %v, want [5000 2000 3000]", ns)
	}
	r2000 := plan.Runs[1]
	if !reflect.DeepEqual(r2000.Sweeps, []string{"a", "b", "c"}) || !reflect.DeepEqual(r2000.Feeds, []string{"table1", "figure2", "figure5"}) {
		t.Errorf("n 2000 run sweeps %v feeds %v", r2000.Sweeps, r2000.Feeds)
	}
	if c := plan.Sweep("dedupe", "c"); !reflect.DeepEqual(c.RunIDs, []string{
		"strided-n2000-l1_0.0001-e20-s1", "strided-n3000-l1_0.0001-e20-s1", "strided-n5000-l1_0.0001-e20-s1"}) {
		t.Errorf("sweep c runs = %v", c.RunIDs)
	}
}

func TestLoadIDCollisionAcrossFiles(t *testing.T) {
	// Both files define an architecture "tiny", differently: the two runs
	// read the same and are told apart by their hashes.
	a := filepath.Join("testdata", "good", "layers.yaml")
	b := filepath.Join("testdata", "good", "other_tiny.yaml")
	plan, err := Load(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Runs) != 3 {
		t.Fatalf("%d runs, want 3", len(plan.Runs))
	}
	const readable = "fashion-mnist-tiny-n5000-l1_0.001-e20-s1"
	for i, r := range plan.Runs[:2] {
		if want := readable + "-" + r.Hash(); r.ID != want {
			t.Errorf("run %d ID = %q, want %q", i, r.ID, want)
		}
	}
	if plan.Runs[0].File != a || plan.Runs[1].File != b {
		t.Errorf("files %q %q", plan.Runs[0].File, plan.Runs[1].File)
	}
	if got := plan.Runs[2].ID; got != "strided-n5000-l1_0.0001-e3-s1" {
		t.Errorf("third ID %q", got)
	}
	if plan.Sweep("other", "one").RunIDs[0] != plan.Runs[1].ID {
		t.Errorf("sweep other/one does not list the second tiny run")
	}
}

func TestReadableID(t *testing.T) {
	strided, _ := arch.Preset("strided")
	base := Run{Dataset: "cifar10", Arch: strided, N: 5000, L1: 0.0001, Epochs: 20, BatchSize: 128,
		ValidationSplit: 0.1, Seed: 1, Optimizer: DefaultOptimizer()}
	tests := []struct {
		name string
		edit func(*Run)
		want string
	}{
		{"study", func(*Run) {}, "strided-n5000-l1_0.0001-e20-s1"},
		{"l1 zero", func(r *Run) { r.L1 = 0 }, "strided-n5000-l1_0-e20-s1"},
		{"tiny l1", func(r *Run) { r.L1 = 1e-5 }, "strided-n5000-l1_1e-05-e20-s1"},
		{"huge l1", func(r *Run) { r.L1 = 1e21 }, "strided-n5000-l1_1e21-e20-s1"},
		{"dataset", func(r *Run) { r.Dataset = "fashion-mnist" }, "fashion-mnist-strided-n5000-l1_0.0001-e20-s1"},
		{"batch split", func(r *Run) { r.BatchSize = 64; r.ValidationSplit = 0 }, "strided-n5000-l1_0.0001-e20-b64-vs0-s1"},
		{"optimizer", func(r *Run) { r.Optimizer.LearningRate = 0.01; r.Optimizer.Epsilon = 1e-8 }, "strided-n5000-l1_0.0001-e20-lr0.01-eps1e-08-s1"},
		{"betas", func(r *Run) { r.Optimizer.Beta1 = 0.8; r.Optimizer.Beta2 = 0.99 }, "strided-n5000-l1_0.0001-e20-b1_0.8-b2_0.99-s1"},
		{"negative seed", func(r *Run) { r.Seed = -3 }, "strided-n5000-l1_0.0001-e20-s-3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.edit(&r)
			if got := readableID(r); got != tc.want {
				t.Errorf("readableID = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestKind(t *testing.T) {
	tests := []struct {
		name, text, want, err string
	}{
		{"absent", "sweeps: {one: {}}\n", KindTraining, ""},
		{"training", "kind: training\n", KindTraining, ""},
		{"convolution", "kind: convolution\nimage: x.png\nkernels: {}\n", KindConvolution, ""},
		{"typo", "name: x\nkind: convolutoin\n", "", `f.yaml:2:7: kind: unknown kind "convolutoin" (did you mean convolution?); valid: training, convolution`},
		{"number", "kind: 3\n", "", "f.yaml:1:7: kind: must be text, got the number 3"},
		{"list", "- kind: training\n", "", "f.yaml:1:1: an experiment file must be a YAML mapping (name:, defaults:, sweeps:, ...), got a list"},
		{"syntax", "kind: [\n", "", "f.yaml:1: invalid YAML: did not find expected node content"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := KindOf("f.yaml", []byte(tc.text))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("KindOf error = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("KindOf = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if k, err := Kind(filepath.Join("testdata", "bad", "convolution.yaml")); err != nil || k != KindConvolution {
		t.Errorf("Kind(convolution.yaml) = %q, %v", k, err)
	}
	if _, err := Kind(filepath.Join("testdata", "nope.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Kind of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestDataDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("CONVLAB_SPEC_DATA", "/srv/data")
	tests := []struct{ dir, want string }{
		{"/abs/cifar", "/abs/cifar"},
		{"rel/cifar", filepath.Join("exps", "sub", "rel", "cifar")},
		{"../cifar/", filepath.Join("exps", "cifar")},
		{"~/cifar", filepath.Join(home, "cifar")},
		{"$CONVLAB_SPEC_DATA/cifar", "/srv/data/cifar"},
		{"${CONVLAB_SPEC_DATA}", "/srv/data"},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			text := "defaults: {data_dir: \"" + tc.dir + "\"}\nsweeps: {one: {}}\n"
			plan, err := LoadData(filepath.Join("exps", "sub", "f.yaml"), []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			if got := plan.Runs[0].DataDir; got != tc.want {
				t.Errorf("DataDir = %q, want %q", got, tc.want)
			}
			// Where the data lives does not change what the run computes.
			if plan.Runs[0].Hash() != mustMinimalHash(t) {
				t.Errorf("data_dir changed the run's hash")
			}
		})
	}
}

func mustMinimalHash(t *testing.T) string {
	t.Helper()
	plan, err := LoadData("m.yaml", []byte("sweeps: {one: {}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	return plan.Runs[0].Hash()
}

func TestPlanLookups(t *testing.T) {
	path := filepath.Join("testdata", "good", "multi_axis.yaml")
	plan, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if plan.File(path) == nil || plan.File("multi") != plan.File(path) {
		t.Errorf("File by path and by name disagree")
	}
	if plan.File("nope") != nil || plan.Sweep("nope", "grid") != nil || plan.Sweep("multi", "nope") != nil {
		t.Errorf("lookups of missing names returned something")
	}
	if _, ok := plan.Run("nope"); ok {
		t.Errorf("Run(nope) found a run")
	}
}

// TestFigureFormats: figures.formats reaches the plan's file, in order.
func TestFigureFormats(t *testing.T) {
	plan, err := LoadData("x.yaml", []byte("figures: {formats: [svg, png, pdf]}\nsweeps: {one: {feeds: [figure2]}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Files[0].FigureFormats; !reflect.DeepEqual(got, []string{"svg", "png", "pdf"}) {
		t.Errorf("FigureFormats = %v, want [svg png pdf]", got)
	}
	plan, err = LoadData("x.yaml", []byte("sweeps: {one: {feeds: [figure2]}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Files[0].FigureFormats; got != nil {
		t.Errorf("FigureFormats without figures: = %v, want none", got)
	}
}

// repeats: N is shorthand for a seed axis seed, seed+1, ..., seed+N-1: the
// runs it expands to are the very runs (same ids, same hashes, so the same
// cached results) of a file that lists those seeds.
func TestRepeatsEqualExplicitSeeds(t *testing.T) {
	repeats, err := LoadData("repeats.yaml", []byte(`
defaults: {n: 1000, seed: 4, repeats: 3}
sweeps:
  l1:
    grid: {l1: [0, 0.001]}
  once:
    set: {repeats: 1, arch: maxpool}
  own_seeds:
    set: {arch: deeper}
    grid: {seed: [9]}
`))
	if err != nil {
		t.Fatal(err)
	}
	explicit, err := LoadData("explicit.yaml", []byte(`
defaults: {n: 1000}
sweeps:
  l1:
    grid: {l1: [0, 0.001], seed: [4, 5, 6]}
  once:
    set: {seed: 4, arch: maxpool}
  own_seeds:
    set: {arch: deeper, seed: 9}
`))
	if err != nil {
		t.Fatal(err)
	}
	ids := func(p *Plan) (out []string) {
		for _, r := range p.Runs {
			out = append(out, r.ID+" "+r.Hash())
		}
		return out
	}
	got, want := ids(repeats), ids(explicit)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("repeats expand to\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(got) != 8 || !strings.HasPrefix(got[0], "strided-n1000-l1_0-e20-s4 ") || !strings.HasPrefix(got[2], "strided-n1000-l1_0-e20-s6 ") {
		t.Errorf("runs %v: want l1 0 with seeds 4, 5, 6 first", got)
	}
	if s := repeats.Sweep("repeats", "l1"); !reflect.DeepEqual(s.Axes, []string{"l1", "seed"}) {
		t.Errorf("l1 axes %v, want [l1 seed]: repeats vary the seed fastest", s.Axes)
	}
	if s := repeats.Sweep("repeats", "once"); len(s.Axes) != 0 || len(s.RunIDs) != 1 {
		t.Errorf("repeats: 1 gives axes %v runs %v, want one run", s.Axes, s.RunIDs)
	}
}

// A sweep's reference is the cell of the file's defaults when a sweep runs
// it, or the cell its reference: names; it is none otherwise.
func TestSweepReference(t *testing.T) {
	plan, err := LoadData("ref.yaml", []byte(`
defaults: {n: 1000, repeats: 2}
sweeps:
  base: {feeds: [figure2]}
  l1:
    grid: {l1: [0.001, 0.01]}
  named:
    reference: {l1: 0}
    grid: {l1: [0, 0.001]}
  other_n:
    set: {n: 500}
    grid: {arch: [strided, maxpool]}
`))
	if err != nil {
		t.Fatal(err)
	}
	base := plan.Runs[0]
	if base.ID != "strided-n1000-l1_0.0001-e20-s1" {
		t.Fatalf("first run %s", base.ID)
	}
	zero, _ := plan.Run("strided-n1000-l1_0-e20-s2")
	for _, c := range []struct {
		sweep string
		want  string
		named bool
	}{
		{"base", base.CellHash(), false},
		{"l1", base.CellHash(), false}, // the defaults' cell of sweep base
		{"named", zero.CellHash(), true},
		{"other_n", base.CellHash(), false}, // strided n 1000 is the defaults'
	} {
		s := plan.Sweep("ref", c.sweep)
		if s.Reference != c.want || s.ReferenceNamed != c.named {
			t.Errorf("sweep %s: reference %q named %v, want %q %v", c.sweep, s.Reference, s.ReferenceNamed, c.want, c.named)
		}
	}
	if zero.CellHash() == base.CellHash() || zero.CellHash() == "" {
		t.Fatal("cells of different l1 share a hash")
	}
	alone, err := LoadData("alone.yaml", []byte("sweeps: {l1: {grid: {l1: [0, 0.001]}}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := alone.Sweep("alone", "l1"); s.Reference != "" {
		t.Errorf("no run has the defaults' settings, yet reference %q", s.Reference)
	}
}

func TestLoadEachIsEachFileAlone(t *testing.T) {
	// The two files' runs read the same: together their IDs carry hashes,
	// each file's own plan has the readable ID as if loaded alone.
	a := filepath.Join("testdata", "good", "layers.yaml")
	b := filepath.Join("testdata", "good", "other_tiny.yaml")
	each, err := LoadEach(Options{}, a, b, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(each) != 2 {
		t.Fatalf("%d plans for a, b, a; want 2 (a path given twice is read once)", len(each))
	}
	for i, p := range []string{a, b} {
		alone, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(each[i], alone) {
			t.Errorf("LoadEach plan %d differs from Load(%s):\n got %+v\nwant %+v", i, p, each[i], alone)
		}
	}
	if got := each[0].Runs[0].ID; got != "fashion-mnist-tiny-n5000-l1_0.001-e20-s1" {
		t.Errorf("first run of %s alone: ID %q", a, got)
	}
}

func TestLoadEachChecksFilesTogether(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	writeFile(t, a, "name: study\nsweeps: {one: {}}\n")
	writeFile(t, b, "name: study\nsweeps: {two: {set: {n: 100}}}\n")
	_, err := LoadEach(Options{}, a, b)
	want := b + ":1:7: name: name study is also the name of " + a + "; each file's results go to results/<name>/, set another name: in one of them"
	if err == nil || err.Error() != want {
		t.Errorf("LoadEach error = %v, want %s", err, want)
	}
}
