package slurm

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func fullOptions() Options {
	return Options{
		Files: []string{"experiments/report.yaml", "experiments/my grid.yaml"}, Shards: 4,
		Convlab: "/opt/convlab/bin/convlab", Jobs: 2, RunArgs: []string{"--only", "strided-*"},
		CPUsPerTask: 4, Mem: "8G", Time: "1-02:00:00", Partition: "cpu,long", JobName: "study",
		LogDir: "logs/slurm", Workdir: "/home/me/convlab",
	}
}

func TestScriptGolden(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
	}{
		{"full", fullOptions()},
		{"minimal", Options{Files: []string{"experiments/smoke.yaml"}, Shards: 1}},
	}
	for _, tt := range tests {
		s, err := Script(tt.opt)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, tt.name+"-array.golden", s)
		r, err := ReportScript(tt.opt)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, tt.name+"-report.golden", r)
	}
}

// TestScriptRunsShard runs the array script with bash as Slurm would, with
// a stand-in convlab that prints its arguments one per line.
func TestScriptRunsShard(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "con vlab")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nfor a in \"$@\"; do echo \"[$a]\"; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := fullOptions()
	o.Convlab = fake
	o.Files = append(o.Files, "it's.yaml")
	s, err := Script(o)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", s)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := "[run]\n[--shard]\n[3/4]\n[-j]\n[2]\n[--only]\n[strided-*]\n[experiments/report.yaml]\n[experiments/my grid.yaml]\n[it's.yaml]\n"
	if string(out) != want {
		t.Errorf("task 2 ran convlab with\n%s\nwant\n%s", out, want)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		mod  func(*Options)
		want string
	}{
		{func(o *Options) { o.Files = nil }, "slurm: no experiment files; give one or more"},
		{func(o *Options) { o.Shards = 0 }, "slurm: --shards 0; want 1 or more array tasks"},
		{func(o *Options) { o.Mem = "8 GB" }, `slurm: --mem "8 GB"; want a size such as 4000 (MB), 512M or 4G`},
		{func(o *Options) { o.Time = "2h" }, `slurm: --time "2h"; want minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS`},
		{func(o *Options) { o.Partition = "cpu;rm" }, `slurm: --partition "cpu;rm"; want a partition name`},
		{func(o *Options) { o.JobName = "my job" }, `slurm: --job-name "my job"; want letters, digits, . _ -`},
		{func(o *Options) { o.LogDir = "my logs" }, `slurm: --log-dir "my logs": #SBATCH lines cannot hold spaces`},
		{func(o *Options) { o.Files = []string{"a\nb"} }, `slurm: argument "a\nb" holds a line break or NUL`},
		{func(o *Options) { o.CPUsPerTask = -1 }, "slurm: --cpus-per-task -1; want 0 (cluster default) or more"},
		{func(o *Options) { o.Jobs = -2 }, "slurm: -j -2; want 0 (default) or more runs at once"},
	}
	for _, tt := range tests {
		o := fullOptions()
		tt.mod(&o)
		_, err := Script(o)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("got %v, want %q", err, tt.want)
		}
	}
	for _, tm := range []string{"90", "30:00", "1:30:00", "2-0", "2-12:30", "2-12:30:00", "infinite"} {
		o := fullOptions()
		o.Time = tm
		if err := o.Validate(); err != nil {
			t.Errorf("--time %q rejected: %v", tm, err)
		}
	}
}

func TestParseJobID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1234\n", "1234"}, {"77;cluster\n", "77"},
		{"sbatch: warning: something\n42\n", "42"},
		{"", ""}, {"Submitted batch job 5\n", ""}, {"abc;x", ""},
	}
	for _, tt := range tests {
		got, err := ParseJobID(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("ParseJobID(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseJobID(f *testing.F) {
	for _, s := range []string{"1\n", "2;c", "x", "\n\n;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseJobID(s)
		if err == nil && !jobIDRe.MatchString(id) {
			t.Errorf("ParseJobID(%q) = %q", s, id)
		}
	})
}

// fakeSbatch writes an sbatch stand-in that logs its arguments and prints
// job ids 100, 101, ... (or fails when the script name says so).
func fakeSbatch(t *testing.T, dir string) (path, log string) {
	t.Helper()
	path = filepath.Join(dir, "sbatch")
	log = filepath.Join(dir, "sbatch.log")
	script := `#!/bin/sh
echo "$@" >>` + log + `
n=$(wc -l <` + log + `)
case "$*" in *fail-report*report.sbatch) echo "sbatch: error: Invalid dependency" >&2; exit 1;; esac
echo "$((99 + n));cluster"
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, log
}

func TestSubmit(t *testing.T) {
	dir := t.TempDir()
	sb, log := fakeSbatch(t, dir)
	o := fullOptions()
	o.Sbatch = sb
	o.Workdir = filepath.Join(dir, "work")
	sub, err := Submit(context.Background(), o, filepath.Join(dir, "scripts"))
	if err != nil {
		t.Fatal(err)
	}
	if sub.ArrayJob != "100" || sub.ReportJob != "101" {
		t.Errorf("jobs %+v, want array 100 and report 101", sub)
	}
	calls, _ := os.ReadFile(log)
	want := "--parsable " + sub.ArrayScript + "\n--parsable --dependency=afterok:100 " + sub.ReportScript + "\n"
	if string(calls) != want {
		t.Errorf("sbatch calls:\n%s\nwant:\n%s", calls, want)
	}
	for _, p := range []string{sub.ArrayScript, sub.ReportScript} {
		b, err := os.ReadFile(p)
		if err != nil || !strings.HasPrefix(string(b), "#!/bin/bash\n") {
			t.Errorf("%s: %v", p, err)
		}
	}
	if st, err := os.Stat(filepath.Join(o.Workdir, "logs/slurm")); err != nil || !st.IsDir() {
		t.Errorf("log directory not created: %v", err)
	}

	// A failing sbatch: the error says what ran, what it said, and what is
	// already queued.
	o.JobName = "fail-report"
	_, err = Submit(context.Background(), o, filepath.Join(dir, "scripts"))
	if err == nil || !strings.Contains(err.Error(), "sbatch: error: Invalid dependency (the array job 102 is queued; cancel it with scancel 102") {
		t.Errorf("failing sbatch: %v", err)
	}
	o.Sbatch = filepath.Join(dir, "no-such-sbatch")
	_, err = Submit(context.Background(), o, filepath.Join(dir, "scripts"))
	if err == nil || !strings.Contains(err.Error(), "no-such-sbatch --parsable") {
		t.Errorf("missing sbatch: %v", err)
	}
}

func TestRegisterFlags(t *testing.T) {
	var o Options
	fs := flag.NewFlagSet("slurm", flag.ContinueOnError)
	o.RegisterFlags(fs)
	err := fs.Parse([]string{"--shards", "3", "--cpus-per-task", "2", "--mem", "4G", "--time", "30", "--partition", "debug", "--job-name", "x", "-j", "2", "a.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	o.Files = fs.Args()
	if o.Shards != 3 || o.CPUsPerTask != 2 || o.Mem != "4G" || o.Time != "30" || o.Partition != "debug" || o.JobName != "x" || o.Jobs != 2 || o.LogDir != "slurm-logs" || len(o.Files) != 1 {
		t.Errorf("parsed %+v", o)
	}
}

func ExampleScript() {
	s, _ := Script(Options{Files: []string{"experiments/smoke.yaml"}, Shards: 2, CPUsPerTask: 2, Mem: "2G"})
	os.Stdout.WriteString(s)
	// Output:
	// #!/bin/bash
	// # Written by convlab slurm: 2 array tasks, task k runs shard k+1 of 2 of the grid.
	// #SBATCH --job-name=convlab
	// #SBATCH --output=slurm-logs/%x-%A_%a.out
	// #SBATCH --cpus-per-task=2
	// #SBATCH --mem=2G
	// #SBATCH --array=0-1
	// set -euo pipefail
	// exec convlab run --shard "$((SLURM_ARRAY_TASK_ID + 1))/2" experiments/smoke.yaml
}

func TestReportFilesGoToTheReportJobAlone(t *testing.T) {
	o := Options{Files: []string{"experiments/smoke.yaml"}, ReportFiles: []string{"experiments/figure1.yaml"}, Shards: 2, Convlab: "convlab"}
	array, err := Script(o)
	if err != nil {
		t.Fatal(err)
	}
	report, err := ReportScript(o)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(array, "figure1.yaml") || !strings.Contains(array, " experiments/smoke.yaml\n") {
		t.Errorf("array script trains %q; want smoke.yaml alone:\n%s", o.ReportFiles, array)
	}
	if !strings.Contains(report, "exec convlab report experiments/smoke.yaml experiments/figure1.yaml\n") {
		t.Errorf("report script:\n%s\nwant the training file, then the report file", report)
	}
	o.ReportFiles = []string{"a\nb"}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), `argument "a\nb" holds a line break`) {
		t.Errorf("a line break in a report file: %v", err)
	}
}
