package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"convlab/convolution"
	"convlab/internal/yamlfile"
	"convlab/runner/grid"
	"convlab/runner/spec"
)

// The loaders every command shares: experiment files sorted by kind and
// validated, and the runs --only and --shard select.

// loadFiles reads each experiment file once, sorts the files by kind and
// has each kind's package validate its own: training files together
// (nothing runs when any is invalid), convolution files with their photos.
// Every problem of every file is reported together. It is the one place
// the CLI dispatches on kind: plan, run, report and slurm all load their
// files through it.
func loadFiles(paths []string, overrides []spec.Override) ([]trainingFile, []*convolution.Experiment, error) {
	var kindErrs, convErrs []error
	var trainPaths []string
	var convs []*convolution.Experiment
	data := map[string][]byte{}
	for _, p := range paths {
		b, err := yamlfile.ReadFile(p)
		kind := ""
		if err == nil {
			kind, err = spec.KindOf(p, b)
		}
		if err != nil {
			kindErrs = append(kindErrs, err)
			continue
		}
		if kind == spec.KindConvolution {
			exp, err := convolution.Parse(b, p)
			if err == nil {
				err = exp.CheckImage()
			}
			if err != nil {
				convErrs = append(convErrs, err)
				continue
			}
			convs = append(convs, exp)
			continue
		}
		trainPaths = append(trainPaths, p)
		data[p] = b
	}
	var files []trainingFile
	var trainErr error
	if len(trainPaths) > 0 {
		files, trainErr = loadTraining(trainPaths, spec.Options{Overrides: overrides, Data: data})
	} else if len(overrides) > 0 && len(kindErrs) == 0 {
		return nil, nil, usagef("%s: -S and -m apply to training files, and none is given", overrides[0].Arg)
	}
	if err := errors.Join(append(append(kindErrs, trainErr), convErrs...)...); err != nil {
		return nil, nil, err
	}
	return files, convs, nil
}

// trainingFile is one experiment file of kind training with its own plan.
type trainingFile struct {
	path string
	name string // results/<name>
	plan *spec.Plan
	// runs are the runs of the plan that --only and --shard select (see
	// selection.apply).
	runs []spec.Run
}

// loadTraining validates every file together (nothing runs when any is
// invalid) and returns each file's own plan.
func loadTraining(paths []string, o spec.Options) ([]trainingFile, error) {
	plans, err := spec.LoadEach(o, paths...)
	if err != nil {
		return nil, err
	}
	out := make([]trainingFile, len(plans))
	for i, plan := range plans {
		f := plan.Files[0]
		out[i] = trainingFile{path: f.Path, name: f.Name, plan: plan, runs: plan.Runs}
	}
	return out, nil
}

// selection is the runs --only and --shard select.
type selection struct {
	only          string
	shard, shards int // shards 0: no sharding
}

// parseSelection checks the values of --only and --shard.
func parseSelection(only, shard string) (selection, error) {
	s := selection{only: only}
	if only != "" {
		if _, err := grid.Matcher(only); err != nil {
			return s, usagef("%v", err)
		}
	}
	if shard != "" {
		var err error
		if s.shard, s.shards, err = grid.ParseShard(shard); err != nil {
			return s, usagef("%v", err)
		}
	}
	return s, nil
}

// apply sets the runs of each file to those the selection picks: the runs
// whose ID --only matches, then shard i/n of them. The pattern may match
// the runs of only some files; matching none in all of them is a usage
// error that lists the runs' IDs.
func (s selection) apply(files []trainingFile) error {
	matched := 0
	for i := range files {
		runs, err := grid.SelectOnly(files[i].plan.Runs, s.only)
		if err != nil {
			return usagef("%v", err)
		}
		matched += len(runs)
		if s.shards > 0 {
			runs = grid.SelectShard(runs, s.shard, s.shards)
		}
		files[i].runs = runs
	}
	if s.only == "" || matched > 0 {
		return nil
	}
	var ids []string
	for _, f := range files {
		for _, r := range f.plan.Runs {
			ids = append(ids, r.ID)
		}
	}
	const maxShown = 20
	shown := ids
	if len(shown) > maxShown {
		shown = append(shown[:maxShown:maxShown], fmt.Sprintf("... (%d more)", len(ids)-maxShown))
	}
	return usagef("--only %q matches none of the %d runs; run ids: %s", s.only, len(ids), strings.Join(shown, ", "))
}

// resultsFlag declares --results as the commands that read or write the
// results trees of experiment files word it.
func resultsFlag(fs *flag.FlagSet, dir *string) {
	fs.StringVar(dir, "results", "results", "directory that holds one results tree per experiment file")
}
