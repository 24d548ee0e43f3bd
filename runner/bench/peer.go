package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"convlab/arch"
)

// PeerOptions says how to run the PyTorch peer script.
type PeerOptions struct {
	Python string // interpreter [/usr/bin/python3]
	Script string // path to scripts/peer/torch_bench.py (required)
	// Presets, Batch, Threads, Steps, Repeats and Warmup as in Options;
	// zero fields take Options' defaults.
	Options Options
	// SymPad pads stride-2 convolutions by 1 on every side, as PyTorch
	// code usually does (PyTorch's faster path), instead of Keras' (0, 1).
	SymPad bool
}

// PeerCommand is the command line RunPeer executes.
func PeerCommand(p PeerOptions) ([]string, error) {
	if p.Script == "" {
		return nil, errors.New("bench peer: no script path; want the path of scripts/peer/torch_bench.py")
	}
	o := p.Options.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	py := p.Python
	if py == "" {
		py = "/usr/bin/python3"
	}
	args := []string{py, p.Script,
		"--presets", strings.Join(o.Presets, ","),
		"--threads", strconv.Itoa(o.Threads),
		"--batch", strconv.Itoa(o.Batch),
		"--steps", strconv.Itoa(o.Steps),
		"--repeats", strconv.Itoa(o.Repeats),
		"--warmup", strconv.Itoa(o.Warmup),
		"--l1", strconv.FormatFloat(o.L1, 'g', -1, 64),
	}
	if p.SymPad {
		args = append(args, "--sym-pad")
	}
	return args, nil
}

// RunPeer runs the peer script once per preset (so that each process's
// peak memory belongs to one preset) and parses the results.
func RunPeer(ctx context.Context, p PeerOptions) ([]Result, error) {
	var out []Result
	for _, name := range p.Options.withDefaults().Presets {
		q := p
		q.Options.Presets = []string{name}
		rs, err := runPeerOnce(ctx, q)
		if err != nil {
			return out, err
		}
		out = append(out, rs...)
	}
	return out, nil
}

func runPeerOnce(ctx context.Context, p PeerOptions) ([]Result, error) {
	args, err := PeerCommand(p)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = "..." + msg[len(msg)-2000:]
		}
		return nil, fmt.Errorf("bench peer %s: %w: %s", strings.Join(args, " "), err, msg)
	}
	rs, err := ParsePeer(stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("bench peer %s: %w", p.Script, err)
	}
	return rs, nil
}

// CompareWithPeer measures ours and the peer's throughput in alternating
// rounds (ours, peer, ours, peer, ...) so that both see the same machine
// load, and returns per preset the round with the median training rate of
// each side. rounds < 1 means 1.
func CompareWithPeer(ctx context.Context, o Options, p PeerOptions, rounds int) (ours, peer []Result, err error) {
	allOurs, allPeer, err := CompareRounds(ctx, o, p, rounds)
	if err != nil {
		return nil, nil, err
	}
	return MedianRounds(allOurs), MedianRounds(allPeer), nil
}

// CompareRounds is CompareWithPeer's measurement: every round's results
// of each side, in order.
func CompareRounds(ctx context.Context, o Options, p PeerOptions, rounds int) (ours, peer [][]Result, err error) {
	rounds = max(rounds, 1)
	p.Options = o
	for i := 0; i < rounds; i++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		r, err := Run(o)
		if err != nil {
			return nil, nil, err
		}
		ours = append(ours, r)
		q, err := RunPeer(ctx, p)
		if err != nil {
			return nil, nil, err
		}
		peer = append(peer, q)
	}
	shareOfHighestPeak(ours, peer, o.withDefaults().Input)
	return ours, peer, nil
}

// shareOfHighestPeak sets every result's GFLOP/s against the highest FMA
// probe of ours over the rounds. A probe that the host slowed (it once
// read half the usual peak, when another tenant took a vCPU for that
// burst) would otherwise make that round's shares look twice as good.
func shareOfHighestPeak(ours, peer [][]Result, input arch.Shape) {
	peak := 0.0
	for _, r := range ours {
		peak = max(peak, peakOf(r))
	}
	for _, rounds := range [][][]Result{ours, peer} {
		for _, rs := range rounds {
			for i := range rs {
				setGFLOPS(&rs[i], input, peak)
			}
		}
	}
}

// Spread renders per preset the lowest and highest ratio of our rate to
// the peer's over the rounds, round i of ours against round i of the
// peer's (they ran back to back): how much the machine's load moves the
// ratio.
func Spread(ours, peer [][]Result) string {
	type ratios struct{ train, infer []float64 }
	var order []string
	by := map[string]*ratios{}
	for i := range min(len(ours), len(peer)) {
		theirs := map[string]Result{}
		for _, q := range peer[i] {
			theirs[q.Preset] = q
		}
		for _, r := range ours[i] {
			q, ok := theirs[r.Preset]
			if !ok || min(r.TrainImagesPerS, r.InferImagesPerS, q.TrainImagesPerS, q.InferImagesPerS) <= 0 {
				continue
			}
			if by[r.Preset] == nil {
				order = append(order, r.Preset)
				by[r.Preset] = &ratios{}
			}
			p := by[r.Preset]
			p.train = append(p.train, r.TrainImagesPerS/q.TrainImagesPerS)
			p.infer = append(p.infer, r.InferImagesPerS/q.InferImagesPerS)
		}
	}
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "preset\trounds\ttrain ratio, lowest to highest\tinfer ratio, lowest to highest\t")
	for _, name := range order {
		p := by[name]
		fmt.Fprintf(tw, "%s\t%d\t%.2fx to %.2fx\t%.2fx to %.2fx\t\n", name, len(p.train),
			slices.Min(p.train), slices.Max(p.train), slices.Min(p.infer), slices.Max(p.infer))
	}
	tw.Flush()
	return b.String()
}

// MedianRounds picks, per preset (in first-seen order), the result whose
// training rate is the median over the rounds.
func MedianRounds(rounds [][]Result) []Result {
	var order []string
	by := map[string][]Result{}
	for _, rs := range rounds {
		for _, r := range rs {
			if _, ok := by[r.Preset]; !ok {
				order = append(order, r.Preset)
			}
			by[r.Preset] = append(by[r.Preset], r)
		}
	}
	out := make([]Result, 0, len(order))
	for _, name := range order {
		rs := by[name]
		rates := make([]float64, len(rs))
		for i, r := range rs {
			rates[i] = r.TrainImagesPerS
		}
		m := median(rates)
		best := rs[0]
		for _, r := range rs {
			if math.Abs(r.TrainImagesPerS-m) < math.Abs(best.TrainImagesPerS-m) {
				best = r
			}
		}
		out = append(out, best)
	}
	return out
}

// peakOf is the FMA peak measured with rs (0 if there is none).
func peakOf(rs []Result) float64 {
	if len(rs) == 0 {
		return 0
	}
	return rs[0].PeakGFLOPS
}
