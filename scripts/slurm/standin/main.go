// Command standin is a stand-in for convlab's run, report and slurm
// commands, built on the real runner/exec, runner/progress and
// runner/slurm packages with a fake trainer, so that scripts/slurm/e2e.sh
// can check the Slurm path end to end before (or without) the real
// trainer. It reads a tiny grid file (see scripts/slurm/tiny.yaml):
//
//	standin slurm [slurm flags] FILE   submit the array and the report job
//	standin run [--shard i/n] [-j N] FILE
//	standin report FILE                write results/<name>/REPORT.md
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"gopkg.in/yaml.v3"

	"convlab/arch"
	"convlab/runner/exec"
	"convlab/runner/progress"
	"convlab/runner/results"
	"convlab/runner/slurm"
	"convlab/runner/spec"
)

type grid struct {
	Name         string  `yaml:"name"`
	Runs         int     `yaml:"runs"`
	Epochs       int     `yaml:"epochs"`
	EpochSeconds float64 `yaml:"epoch_seconds"`
}

func load(path string) (*grid, []spec.Run, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var g grid
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&g); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if g.Name == "" || g.Runs < 1 || g.Epochs < 1 || g.EpochSeconds < 0 {
		return nil, nil, fmt.Errorf("%s: want name, runs >= 1, epochs >= 1, epoch_seconds >= 0", path)
	}
	runs := make([]spec.Run, g.Runs)
	for i := range runs {
		runs[i] = spec.Run{ID: fmt.Sprintf("tiny-r%d", i+1), File: path, Dataset: "fake",
			Arch: arch.Arch{Name: "tiny"}, N: 100 * (i + 1), Epochs: g.Epochs, BatchSize: 10, Seed: 1,
			Optimizer: spec.DefaultOptimizer()}
	}
	return &g, runs, nil
}

// train pretends to train: epoch_seconds per epoch in 10 batches,
// checkpointing and resuming like the real trainer.
func train(g *grid) exec.TrainFunc {
	return func(ctx context.Context, run spec.Run, dir string, p progress.Reporter) (*results.Record, error) {
		ck := exec.CheckpointerFrom(ctx)
		start, _, err := ck.Latest()
		if err != nil {
			return nil, err
		}
		var hist []results.Epoch
		for e := 1; e <= start; e++ {
			hist = append(hist, results.Epoch{Epoch: e, Loss: 1 / float64(e)})
		}
		t0 := time.Now()
		for e := start + 1; e <= run.Epochs; e++ {
			for b := 1; b <= 10; b++ {
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(time.Duration(g.EpochSeconds * float64(time.Second) / 10)):
				}
				p.Batch(progress.Batch{Epoch: e, Batch: b, Batches: 10, ImagesPerSec: 100, Loss: 1 / float64(e)})
			}
			ep := results.Epoch{Epoch: e, Loss: 1 / float64(e), Accuracy: 0.1 * float64(e), Seconds: g.EpochSeconds}
			hist = append(hist, ep)
			p.Epoch(ep)
			if err := ck.Save(e, []byte{byte(e)}); err != nil {
				return nil, err
			}
		}
		host, _ := os.Hostname()
		return &results.Record{Run: run, History: hist, Metrics: results.Metrics{TrainSeconds: time.Since(t0).Seconds()},
			Provenance: results.Provenance{Host: host, Cores: exec.Threads(ctx), Finished: time.Now().UTC().Format(time.RFC3339)}}, nil
	}
}

func cmdRun(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	shard := fs.String("shard", "", "i/n")
	jobs := fs.Int("j", 1, "runs at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("run: want one grid file")
	}
	g, runs, err := load(fs.Arg(0))
	if err != nil {
		return err
	}
	opt := exec.Options{Jobs: *jobs, Root: filepath.Join("results", g.Name), Train: train(g), Progress: progress.Auto(os.Stderr),
		DataIdentity: func(spec.Run) (string, error) { return "fake:1", nil }}
	if *shard != "" {
		if opt.Shard, opt.Shards, err = exec.ParseShard(*shard); err != nil {
			return err
		}
	}
	sum, err := exec.Execute(ctx, runs, opt)
	fmt.Fprintln(os.Stderr, sum)
	if err != nil {
		return err
	}
	return sum.Err()
}

func cmdReport(args []string) error {
	if len(args) != 1 {
		return errors.New("report: want one grid file")
	}
	g, _, err := load(args[0])
	if err != nil {
		return err
	}
	root := filepath.Join("results", g.Name)
	dirs, _ := filepath.Glob(filepath.Join(root, exec.RunsDir, "*", exec.DoneFile))
	var lines []string
	for _, d := range dirs {
		rec, err := exec.ReadRecord(filepath.Dir(d))
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("| %s | %s | %d | %s |", rec.Run.ID, rec.Hash, len(rec.History), rec.Provenance.Host))
	}
	sort.Strings(lines)
	text := "# " + g.Name + "\n\n| run | hash | epochs | host |\n| --- | --- | --- | --- |\n" + strings.Join(lines, "\n") + "\n"
	return exec.WriteFileAtomic(filepath.Join(root, "REPORT.md"), []byte(text))
}

func cmdSlurm(ctx context.Context, args []string) error {
	var o slurm.Options
	fs := flag.NewFlagSet("slurm", flag.ContinueOnError)
	o.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Files = fs.Args()
	if o.Convlab == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		o.Convlab = self
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	o.Workdir = wd
	sub, err := slurm.Submit(ctx, o, "slurm-scripts")
	if err != nil {
		return err
	}
	fmt.Printf("array job %s\nreport job %s\n", sub.ArrayJob, sub.ReportJob)
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: standin run|report|slurm ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = cmdRun(ctx, os.Args[2:])
	case "report":
		err = cmdReport(os.Args[2:])
	case "slurm":
		err = cmdSlurm(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q; want run, report or slurm", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "standin:", err)
		os.Exit(1)
	}
}
