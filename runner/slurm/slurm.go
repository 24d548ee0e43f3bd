// Package slurm runs a convlab grid on a Slurm cluster: an sbatch job array
// with one task per shard of the grid (each task runs `convlab run --shard
// i/N`, all writing into one shared results tree), and a report job that
// starts when every task succeeded (--dependency=afterok).
package slurm

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"convlab/internal/atomicfile"
	"convlab/internal/english"
)

// Options describe the jobs to submit.
type Options struct {
	// Files are the training experiment files, as given to `convlab run`:
	// every array task trains its shard of their grid.
	Files []string
	// ReportFiles are files only the report job is given, after Files:
	// part i's convolution files, whose Figure 1 is computed once rather
	// than once per array task.
	ReportFiles []string
	// Shards is the number of array tasks, one per shard of the grid.
	Shards int
	// Convlab is the convlab command the jobs run; "" means "convlab".
	// Give an absolute path when it is not on the compute nodes' PATH.
	Convlab string
	// Jobs is passed as -j to each task (runs at once within a task);
	// 0 leaves convlab's default.
	Jobs int
	// RunArgs are more arguments for `convlab run` (e.g. --force).
	RunArgs []string
	// ReportArgs are more arguments for `convlab report` (e.g. -S overrides).
	ReportArgs []string
	// Resources of each array task; zero values are left to the cluster.
	CPUsPerTask int
	Mem         string // e.g. 4G or 4000 (MB)
	Time        string // e.g. 90, 1:30:00 or 1-00:00:00
	Partition   string
	// JobName names the array job; the report job is JobName-report.
	// "" means "convlab".
	JobName string
	// LogDir receives the jobs' output files, relative to Workdir unless
	// absolute; "" means "slurm-logs". Submit creates it.
	LogDir string
	// Workdir is the directory the jobs run in (--chdir), where the
	// experiment files' relative paths and results/ resolve; "" means the
	// directory sbatch is run from.
	Workdir string
	// Sbatch is the sbatch command; "" means "sbatch".
	Sbatch string
}

// RegisterFlags adds the options' command-line flags to fs: --shards,
// --cpus-per-task, --mem, --time, --partition, --job-name, --log-dir,
// --convlab and -j.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Shards, "shards", 4, "number of array tasks, one per shard of the grid")
	fs.IntVar(&o.CPUsPerTask, "cpus-per-task", 0, "CPUs of each array task (sbatch --cpus-per-task); 0 leaves the cluster's default")
	fs.StringVar(&o.Mem, "mem", "", "memory of each task, e.g. 4G (sbatch --mem)")
	fs.StringVar(&o.Time, "time", "", "time limit of each task, e.g. 2:00:00 (sbatch --time)")
	fs.StringVar(&o.Partition, "partition", "", "partition to submit to (sbatch --partition)")
	fs.StringVar(&o.JobName, "job-name", "convlab", "name of the array job; the report job adds -report")
	fs.StringVar(&o.LogDir, "log-dir", "slurm-logs", "directory of the jobs' output files")
	fs.StringVar(&o.Convlab, "convlab", "", "convlab command on the compute nodes (default: this executable)")
	fs.IntVar(&o.Jobs, "j", 0, "runs at once within each task (0: convlab run's default)")
}

var (
	memRe  = regexp.MustCompile(`^[0-9]+[KMGT]?$`)
	timeRe = regexp.MustCompile(`^([0-9]+|[0-9]+:[0-9]{1,2}|[0-9]+:[0-9]{1,2}:[0-9]{1,2}|[0-9]+-[0-9]+|[0-9]+-[0-9]+:[0-9]{1,2}|[0-9]+-[0-9]+:[0-9]{1,2}:[0-9]{1,2}|infinite|UNLIMITED)$`)
	nameRe = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	partRe = regexp.MustCompile(`^[A-Za-z0-9._-]+(,[A-Za-z0-9._-]+)*$`)
)

func (o Options) withDefaults() Options {
	if o.Convlab == "" {
		o.Convlab = "convlab"
	}
	if o.JobName == "" {
		o.JobName = "convlab"
	}
	if o.LogDir == "" {
		o.LogDir = "slurm-logs"
	}
	if o.Sbatch == "" {
		o.Sbatch = "sbatch"
	}
	return o
}

// Validate checks the options and says what would be valid.
func (o Options) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf("slurm: "+format, a...)) }
	if len(o.Files) == 0 {
		bad("no experiment files; give one or more, e.g. experiments/report.yaml")
	}
	if o.Shards < 1 {
		bad("--shards %d; want 1 or more array tasks", o.Shards)
	}
	if o.Jobs < 0 {
		bad("-j %d; want 0 (default) or more runs at once", o.Jobs)
	}
	if o.CPUsPerTask < 0 {
		bad("--cpus-per-task %d; want 0 (cluster default) or more", o.CPUsPerTask)
	}
	if o.Mem != "" && !memRe.MatchString(o.Mem) {
		bad("--mem %q; want a size such as 4000 (MB), 512M or 4G", o.Mem)
	}
	if o.Time != "" && !timeRe.MatchString(o.Time) {
		bad("--time %q; want minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS", o.Time)
	}
	if o.Partition != "" && !partRe.MatchString(o.Partition) {
		bad("--partition %q; want a partition name (letters, digits, . _ -) or a comma-separated list", o.Partition)
	}
	if o.JobName != "" && !nameRe.MatchString(o.JobName) {
		bad("--job-name %q; want letters, digits, . _ -", o.JobName)
	}
	for what, p := range map[string]string{"--log-dir": o.LogDir, "work directory": o.Workdir} {
		if strings.ContainsAny(p, " \t\r\n\"'\\") {
			bad("%s %q: #SBATCH lines cannot hold spaces, quotes or backslashes; choose a path without them", what, p)
		}
	}
	for _, s := range slices.Concat([]string{o.Convlab}, o.Files, o.ReportFiles, o.RunArgs, o.ReportArgs) {
		if strings.ContainsAny(s, "\n\r\x00") {
			bad("argument %q holds a line break or NUL", s)
		}
	}
	return errors.Join(errs...)
}

// Script returns the sbatch script of the job array: task k (0-based,
// $SLURM_ARRAY_TASK_ID) runs `convlab run --shard k+1/N FILE...`.
func Script(o Options) (string, error) {
	if err := o.Validate(); err != nil {
		return "", err
	}
	o = o.withDefaults()
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "# Written by convlab slurm: %d array task%s, task k runs shard k+1 of %d of the grid.\n", o.Shards, english.Plural(o.Shards), o.Shards)
	o.header(&b, o.JobName, true)
	fmt.Fprintf(&b, "#SBATCH --array=0-%d\n", o.Shards-1)
	b.WriteString("set -euo pipefail\n")
	args := []string{quote(o.Convlab), "run", `--shard "$((SLURM_ARRAY_TASK_ID + 1))/` + fmt.Sprint(o.Shards) + `"`}
	if o.Jobs > 0 {
		args = append(args, "-j", fmt.Sprint(o.Jobs))
	}
	for _, a := range o.RunArgs {
		args = append(args, quote(a))
	}
	for _, f := range o.Files {
		args = append(args, quote(f))
	}
	fmt.Fprintf(&b, "exec %s\n", strings.Join(args, " "))
	return b.String(), nil
}

// ReportScript returns the sbatch script of the report job, which runs
// `convlab report FILE...` once the array is done.
func ReportScript(o Options) (string, error) {
	if err := o.Validate(); err != nil {
		return "", err
	}
	o = o.withDefaults()
	var b strings.Builder
	b.WriteString("#!/bin/bash\n")
	b.WriteString("# Written by convlab slurm: builds the report once every array task succeeded.\n")
	o.header(&b, o.JobName+"-report", false)
	b.WriteString("set -euo pipefail\n")
	args := []string{quote(o.Convlab), "report"}
	for _, a := range o.ReportArgs {
		args = append(args, quote(a))
	}
	for _, f := range slices.Concat(o.Files, o.ReportFiles) {
		args = append(args, quote(f))
	}
	fmt.Fprintf(&b, "exec %s\n", strings.Join(args, " "))
	return b.String(), nil
}

func (o Options) header(b *strings.Builder, name string, array bool) {
	fmt.Fprintf(b, "#SBATCH --job-name=%s\n", name)
	if o.Workdir != "" {
		fmt.Fprintf(b, "#SBATCH --chdir=%s\n", o.Workdir)
	}
	if array {
		fmt.Fprintf(b, "#SBATCH --output=%s/%%x-%%A_%%a.out\n", o.LogDir)
		if o.CPUsPerTask > 0 {
			fmt.Fprintf(b, "#SBATCH --cpus-per-task=%d\n", o.CPUsPerTask)
		}
		if o.Mem != "" {
			fmt.Fprintf(b, "#SBATCH --mem=%s\n", o.Mem)
		}
	} else {
		fmt.Fprintf(b, "#SBATCH --output=%s/%%x-%%j.out\n", o.LogDir)
		b.WriteString("#SBATCH --cpus-per-task=1\n")
	}
	if o.Time != "" {
		fmt.Fprintf(b, "#SBATCH --time=%s\n", o.Time)
	}
	if o.Partition != "" {
		fmt.Fprintf(b, "#SBATCH --partition=%s\n", o.Partition)
	}
}

// Submitted names what Submit wrote and queued.
type Submitted struct {
	ArrayJob, ReportJob       string // job ids
	ArrayScript, ReportScript string // paths of the scripts
}

// Submit writes the two scripts into dir (created if needed), creates the
// log directory, and submits them with `sbatch --parsable`: the array
// first, then the report with --dependency=afterok:<array job>.
func Submit(ctx context.Context, o Options, dir string) (Submitted, error) {
	var s Submitted
	array, err := Script(o)
	if err != nil {
		return s, err
	}
	report, err := ReportScript(o)
	if err != nil {
		return s, err
	}
	o = o.withDefaults()
	logDir := o.LogDir
	if !filepath.IsAbs(logDir) && o.Workdir != "" {
		logDir = filepath.Join(o.Workdir, logDir)
	}
	for _, d := range []string{dir, logDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return s, fmt.Errorf("slurm: %w", err)
		}
	}
	s.ArrayScript = filepath.Join(dir, o.JobName+"-array.sbatch")
	s.ReportScript = filepath.Join(dir, o.JobName+"-report.sbatch")
	for path, text := range map[string]string{s.ArrayScript: array, s.ReportScript: report} {
		if err := atomicfile.WriteFile(path, []byte(text)); err != nil {
			return s, fmt.Errorf("slurm: %w", err)
		}
	}
	if s.ArrayJob, err = sbatch(ctx, o, s.ArrayScript); err != nil {
		return s, err
	}
	if s.ReportJob, err = sbatch(ctx, o, "--dependency=afterok:"+s.ArrayJob, s.ReportScript); err != nil {
		return s, fmt.Errorf("%w (the array job %s is queued; cancel it with scancel %s or run the report by hand)", err, s.ArrayJob, s.ArrayJob)
	}
	return s, nil
}

// sbatch runs `sbatch --parsable ARGS...` and returns the job id.
func sbatch(ctx context.Context, o Options, args ...string) (string, error) {
	cmd := osexec.CommandContext(ctx, o.Sbatch, append([]string{"--parsable"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("slurm: %s --parsable %s: %w: %s", o.Sbatch, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return ParseJobID(stdout.String())
}

var (
	jobIDRe = regexp.MustCompile(`^[0-9]+$`)
	safeRe  = regexp.MustCompile(`^[A-Za-z0-9_./=:,+@%-]+$`)
)

// ParseJobID reads the output of `sbatch --parsable`: "<job id>" or
// "<job id>;<cluster>".
func ParseJobID(out string) (string, error) {
	line := strings.TrimSpace(out)
	if i := strings.LastIndexByte(line, '\n'); i >= 0 {
		line = strings.TrimSpace(line[i+1:]) // warnings may come first
	}
	id, _, _ := strings.Cut(line, ";")
	if !jobIDRe.MatchString(id) {
		return "", fmt.Errorf("slurm: sbatch --parsable printed %q; want a job id such as 1234 or 1234;cluster", strings.TrimSpace(out))
	}
	return id, nil
}

// quote quotes s for bash when it holds anything but safe characters.
func quote(s string) string {
	if s != "" && safeRe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
