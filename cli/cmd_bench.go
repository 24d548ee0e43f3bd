package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"convlab/runner/bench"
)

var cmdBench = &command{
	name:  "bench",
	usage: "[flags]",
	short: "measure training and inference throughput of each architecture",
	long: `Bench measures, for each preset architecture, training throughput (one
forward pass, backward pass and Adam update per batch) and inference
throughput (dropout off) in images per second on synthetic data, and the
process's peak memory, and prints a table. The results are also saved in
the user cache, where 'convlab plan' finds them to estimate a grid's time.

With --peer, the PyTorch peer (scripts/peer/torch_bench.py, run by
/usr/bin/python3 with Debian's python3-torch) measures the same
architectures, batch, optimiser and thread count in alternating rounds, and
bench prints our throughput as a ratio of PyTorch's.`,
	setup: bind(runBench),
}

// benchOptions are the flags of bench.
type benchOptions struct {
	presets string
	batch   int
	threads int
	steps   int
	repeats int
	peer    bool
	script  string
	python  string
	rounds  int
}

func (o *benchOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.presets, "presets", "", "comma-separated presets to measure (default: all)")
	fs.IntVar(&o.batch, "batch", 128, "images per batch")
	fs.IntVar(&o.threads, "threads", runtime.GOMAXPROCS(0), "threads for training and for the peer")
	fs.IntVar(&o.steps, "steps", 10, "timed steps per repeat")
	fs.IntVar(&o.repeats, "repeats", 3, "timed repeats; the median is reported")
	fs.BoolVar(&o.peer, "peer", false, "also run the PyTorch peer and print the ratio")
	fs.StringVar(&o.script, "peer-script", filepath.Join("scripts", "peer", "torch_bench.py"), "the PyTorch peer script")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "the Python interpreter that has torch")
	fs.IntVar(&o.rounds, "rounds", 2, "alternating rounds of ours and the peer's with --peer")
}

func runBench(e *env, opts *benchOptions, args []string) error {
	if len(args) > 0 {
		return usagef("unexpected arguments: %s", strings.Join(args, " "))
	}
	o := bench.Options{Batch: opts.batch, Threads: opts.threads, Steps: opts.steps, Repeats: opts.repeats}
	if opts.presets != "" {
		o.Presets = strings.Split(opts.presets, ",")
	}
	var ours []bench.Result
	if opts.peer {
		allOurs, allTheirs, err := bench.CompareRounds(e.ctx, o, bench.PeerOptions{Python: opts.python, Script: opts.script}, opts.rounds)
		if err != nil {
			return err
		}
		ours = bench.MedianRounds(allOurs)
		theirs := bench.MedianRounds(allTheirs)
		fmt.Fprint(e.stdout, bench.Format(append(append([]bench.Result(nil), ours...), theirs...)))
		fmt.Fprintln(e.stdout)
		fmt.Fprint(e.stdout, bench.Compare(ours, theirs))
		fmt.Fprintln(e.stdout)
		fmt.Fprint(e.stdout, bench.Spread(allOurs, allTheirs))
	} else {
		var err error
		if ours, err = bench.Run(o); err != nil {
			return err
		}
		fmt.Fprint(e.stdout, bench.Format(ours))
	}
	if path := benchCachePath(); path != "" && opts.batch == 128 {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			if err := bench.WriteJSON(path, ours); err != nil {
				fmt.Fprintf(e.stderr, "convlab bench: %v\n", err)
			}
		}
	}
	return nil
}

// benchCachePath is where bench keeps its last measurement for plan.
func benchCachePath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "convlab", "bench.json")
}

// benchThroughput is the training speed the last 'convlab bench'
// measured, per preset on CIFAR-10-sized images at batch 128.
func benchThroughput() *throughput {
	t := &throughput{images: map[string]float64{}, seconds: map[string]float64{}}
	path := benchCachePath()
	if path == "" {
		return t
	}
	rs, err := bench.ReadJSON(path)
	if err != nil {
		return t
	}
	for _, r := range rs {
		if r.TrainImagesPerS > 0 && r.Impl != "pytorch" {
			k := fmt.Sprintf("%s|%s|%d", r.Preset, "cifar10", r.Batch)
			t.images[k] += r.TrainImagesPerS
			t.seconds[k]++
		}
	}
	return t
}
