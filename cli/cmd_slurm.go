package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"convlab/runner/slurm"
	"convlab/runner/spec"
)

var cmdSlurm = &command{
	name:  "slurm",
	usage: "[flags] FILE...",
	short: "submit the grid to Slurm as a job array plus a report job",
	long: `Slurm validates the experiment files, writes two sbatch scripts and
submits them: a job array with one task per shard of the grid (each task
runs 'convlab run --shard k/N FILE...' on the training files into the
shared results tree) and a report job that runs 'convlab report FILE...'
once every task succeeded (--dependency=afterok); part i's convolution
files go to the report job alone, which computes their Figure 1 once.
With --dry-run it prints the scripts instead.`,
	setup: bind(runSlurm),
}

// slurmOptions are the flags of slurm.
type slurmOptions struct {
	job       slurm.Options // the sbatch settings; Files, ReportFiles and the runs' arguments are filled in by runSlurm
	dryRun    bool
	scripts   string
	force     bool
	only      string
	overrides *[]spec.Override
}

func (o *slurmOptions) flags(fs *flag.FlagSet) {
	o.job.RegisterFlags(fs)
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the two scripts instead of submitting them")
	fs.StringVar(&o.scripts, "scripts", filepath.Join("results", "slurm"), "directory the scripts are written to")
	fs.BoolVar(&o.force, "force", false, "pass --force to the runs")
	fs.StringVar(&o.only, "only", "", "pass --only PATTERN to the runs")
	o.overrides = overrideFlags(fs)
}

func runSlurm(e *env, opts *slurmOptions, args []string) error {
	if len(args) == 0 {
		return usagef("no experiment file given")
	}
	// Every file is validated as run will load it, before anything is
	// submitted.
	files, convs, err := loadFiles(args, *opts.overrides)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("no training experiment file among %d given; convolution files alone need no array job: use convlab run", len(args))
	}
	o := opts.job
	for _, f := range files {
		o.Files = append(o.Files, f.path)
	}
	for _, c := range convs {
		o.ReportFiles = append(o.ReportFiles, c.Path)
	}
	o.RunArgs = append(o.RunArgs, overrideArgs(*opts.overrides)...)
	o.ReportArgs = append(o.ReportArgs, overrideArgs(*opts.overrides)...)
	if opts.force {
		o.RunArgs = append(o.RunArgs, "--force")
	}
	if opts.only != "" {
		o.RunArgs = append(o.RunArgs, "--only", opts.only)
	}
	if o.Convlab == "" {
		if exe, err := os.Executable(); err == nil {
			o.Convlab = exe
		}
	}
	if o.Workdir == "" {
		o.Workdir, _ = os.Getwd()
	}
	if err := o.Validate(); err != nil {
		return usagef("%v", err)
	}
	if opts.dryRun {
		a, err := slurm.Script(o)
		if err != nil {
			return err
		}
		r, err := slurm.ReportScript(o)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s\n%s", a, r)
		return nil
	}
	s, err := slurm.Submit(e.ctx, o, opts.scripts)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "array job %s (%d tasks): %s\nreport job %s (after the array succeeds): %s\n", s.ArrayJob, o.Shards, s.ArrayScript, s.ReportJob, s.ReportScript)
	return nil
}
