// Package bench measures training and inference throughput of the study's
// architectures (images per second at batch 128) with arch/net's model,
// side by side with a PyTorch peer (scripts/peer/torch_bench.py), and
// formats the results and their ratio.
//
// Because the machine may be shared, every throughput is reported twice:
// per wall-clock second (what a user waits for) and per CPU-second of the
// process (what the code costs, much less disturbed by other processes).
package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"convlab/arch"
	"convlab/arch/kernels"
	"convlab/arch/net"
	"convlab/internal/atomicfile"
)

// Options configures Run. Zero fields take the defaults in brackets.
type Options struct {
	Presets []string   // architectures [all presets]
	Batch   int        // images per step [128]
	Threads int        // threads the model may use [GOMAXPROCS]
	Steps   int        // timed steps per repeat [10]
	Repeats int        // timed repeats; the median is reported [3]
	Warmup  int        // untimed steps first [2]; negative: none
	L1      float64    // L1 penalty on the last dense layer [1e-4]
	Input   arch.Shape // image shape [3×32×32]
	Seed    int64      // weights and data seed [1]
}

func (o Options) withDefaults() Options {
	if len(o.Presets) == 0 {
		o.Presets = arch.PresetNames()
	}
	if o.Batch == 0 {
		o.Batch = 128
	}
	if o.Threads == 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	if o.Steps == 0 {
		o.Steps = 10
	}
	if o.Repeats == 0 {
		o.Repeats = 3
	}
	switch {
	case o.Warmup == 0:
		o.Warmup = 2
	case o.Warmup < 0:
		o.Warmup = 0
	}
	if o.L1 == 0 {
		o.L1 = 1e-4
	}
	if o.Input == (arch.Shape{}) {
		o.Input = arch.Shape{C: 3, H: 32, W: 32}
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

func (o Options) check() error {
	if o.Batch < 1 || o.Threads < 1 || o.Steps < 1 || o.Repeats < 1 || o.Warmup < 0 {
		return fmt.Errorf("bench options: batch, threads, steps and repeats must be at least 1 and warmup at least 0; got batch=%d threads=%d steps=%d repeats=%d warmup=%d",
			o.Batch, o.Threads, o.Steps, o.Repeats, o.Warmup)
	}
	if o.L1 < 0 {
		return fmt.Errorf("bench options: l1 must be >= 0, got %g", o.L1)
	}
	return nil
}

// Result is the throughput of one architecture under one implementation.
type Result struct {
	Preset  string `json:"preset"`
	Impl    string `json:"impl"` // "convlab" or "pytorch"
	Threads int    `json:"threads"`
	Batch   int    `json:"batch"`
	Params  int    `json:"params"`

	// Images per wall-clock second: the median over repeats.
	TrainImagesPerS float64 `json:"train_images_per_s"`
	InferImagesPerS float64 `json:"infer_images_per_s"`
	// Images per CPU-second of the whole process (0 when unknown).
	TrainImagesPerCPUS float64 `json:"train_images_per_cpu_s,omitempty"`
	InferImagesPerCPUS float64 `json:"infer_images_per_cpu_s,omitempty"`

	TrainRepeats []float64 `json:"train_repeats,omitempty"`
	InferRepeats []float64 `json:"infer_repeats,omitempty"`

	// PeakRSSBytes is the peak resident set size of the process while
	// this preset ran (Linux VmHWM, reset before each preset; for the peer,
	// ru_maxrss of a process that ran only this preset). It includes the
	// runtime itself (the Go runtime, or Python with PyTorch loaded).
	PeakRSSBytes int64 `json:"peak_rss_bytes,omitempty"`
	// HeapBytes is the Go heap in use after the preset (convlab only).
	HeapBytes int64 `json:"heap_bytes,omitempty"`

	// Kernels is convlab's kernel path (avx512, avx2, go).
	Kernels string `json:"kernels,omitempty"`
	// TrainGFLOPS and InferGFLOPS are the wall rates in GFLOP/s, from the
	// convolution and dense layers' operations per image (arch.FLOPs).
	TrainGFLOPS float64 `json:"train_gflops,omitempty"`
	InferGFLOPS float64 `json:"infer_gflops,omitempty"`
	// PeakGFLOPS is the machine's float32 peak on Threads threads, measured
	// by a loop of fused multiply-adds in the same process just before
	// (kernels.PeakGFLOPS): the limit the GFLOP/s are a share of.
	PeakGFLOPS float64 `json:"peak_gflops,omitempty"`
}

// peakProbe is how long Run measures the FMA peak.
const peakProbe = 300 * time.Millisecond

// setGFLOPS fills r's GFLOP/s from its image rates and the operations of
// its preset on input, and its peak; it leaves them zero for an unknown
// preset.
func setGFLOPS(r *Result, input arch.Shape, peak float64) {
	a, err := arch.Preset(r.Preset)
	if err != nil {
		return
	}
	fwd, train, err := a.FLOPs(input)
	if err != nil {
		return
	}
	r.TrainGFLOPS = round1(r.TrainImagesPerS * train / 1e9)
	r.InferGFLOPS = round1(r.InferImagesPerS * fwd / 1e9)
	r.PeakGFLOPS = round1(peak)
}

// Run builds each preset's model and measures it: Warmup untimed training
// steps, then Repeats × Steps timed training steps on one synthetic batch
// (random pixels in [0, 1), labels cycling 0..9), then the same for
// inference (Predict on the batch, dropout off).
func Run(opts Options) ([]Result, error) {
	o := opts.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	var out []Result
	peak := kernels.PeakGFLOPS(o.Threads, peakProbe)
	for _, name := range o.Presets {
		r, err := runPreset(o, name)
		if err != nil {
			return out, err
		}
		setGFLOPS(&r, o.Input, peak)
		out = append(out, r)
	}
	return out, nil
}

func runPreset(o Options, name string) (Result, error) {
	runtime.GC()
	debug.FreeOSMemory()
	resetOK := resetPeakRSS()
	a, err := arch.Preset(name)
	if err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}
	m, err := net.Build(a.WithL1(o.L1), o.Input, o.Batch, net.WithThreads(o.Threads), net.WithSeed(o.Seed))
	if err != nil {
		return Result{}, fmt.Errorf("bench %s: %w", name, err)
	}
	defer m.Close()
	r := rand.New(rand.NewPCG(uint64(o.Seed), 2))
	x := make([]float32, o.Batch*o.Input.Size())
	for i := range x {
		x[i] = r.Float32()
	}
	y := make([]uint8, o.Batch)
	for i := range y {
		y[i] = uint8(i % m.Classes())
	}
	res := Result{Preset: name, Impl: "convlab", Threads: o.Threads, Batch: o.Batch, Params: m.ParamCount(), Kernels: kernels.Path()}

	train := func() error {
		_, _, err := m.TrainStep(x, y)
		return err
	}
	infer := func() error {
		_, err := m.Predict(x, o.Batch)
		return err
	}
	res.TrainImagesPerS, res.TrainImagesPerCPUS, res.TrainRepeats, err = measure(train, o)
	if err != nil {
		return res, fmt.Errorf("bench %s: training: %w", name, err)
	}
	res.InferImagesPerS, res.InferImagesPerCPUS, res.InferRepeats, err = measure(infer, o)
	if err != nil {
		return res, fmt.Errorf("bench %s: inference: %w", name, err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapBytes = int64(ms.HeapInuse)
	if resetOK {
		res.PeakRSSBytes, _ = peakRSS()
	}
	return res, nil
}

// measure runs step Warmup times, then Repeats timed blocks of Steps
// steps; it returns the median wall rate, the rate per process CPU-second
// over all timed blocks, and every block's wall rate.
func measure(step func() error, o Options) (wall, perCPU float64, reps []float64, err error) {
	for i := 0; i < o.Warmup; i++ {
		if err := step(); err != nil {
			return 0, 0, nil, err
		}
	}
	cpu0, cpuOK := processCPU()
	total := time.Duration(0)
	for rep := 0; rep < o.Repeats; rep++ {
		t0 := time.Now()
		for i := 0; i < o.Steps; i++ {
			if err := step(); err != nil {
				return 0, 0, nil, err
			}
		}
		d := time.Since(t0)
		total += d
		reps = append(reps, round1(float64(o.Steps*o.Batch)/d.Seconds()))
	}
	if cpu1, ok := processCPU(); ok && cpuOK && cpu1 > cpu0 {
		perCPU = round1(float64(o.Repeats*o.Steps*o.Batch) / (cpu1 - cpu0).Seconds())
	}
	return median(reps), perCPU, reps, nil
}

// round1 rounds v to one decimal.
func round1(v float64) float64 { return math.Round(v*10) / 10 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Format renders results as an aligned text table.
func Format(results []Result) string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "preset\timpl\tkernels\tthreads\tbatch\tparams\ttrain img/s\ttrain GFLOP/s (peak)\tinfer img/s\tinfer GFLOP/s (peak)\ttrain img/cpu-s\tinfer img/cpu-s\tpeak RSS MiB\t")
	var peaks []string
	for _, r := range results {
		kern := r.Kernels
		if kern == "" {
			kern = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.0f\t%s\t%.0f\t%s\t%s\t%s\t%s\t\n", r.Preset, r.Impl, kern, r.Threads, r.Batch, r.Params,
			r.TrainImagesPerS, gflops(r.TrainGFLOPS, r.PeakGFLOPS), r.InferImagesPerS, gflops(r.InferGFLOPS, r.PeakGFLOPS),
			orDash(r.TrainImagesPerCPUS, 0), orDash(r.InferImagesPerCPUS, 0), orDash(float64(r.PeakRSSBytes)/(1<<20), 1))
		if p := fmt.Sprintf("%.0f GFLOP/s on %d threads", r.PeakGFLOPS, r.Threads); r.PeakGFLOPS > 0 && !slices.Contains(peaks, p) {
			peaks = append(peaks, p)
		}
	}
	tw.Flush()
	if len(peaks) > 0 {
		fmt.Fprintf(&b, "peak: %s (a loop of independent fused multiply-adds on the widest vectors)\n", strings.Join(peaks, ", "))
	}
	return b.String()
}

// gflops formats a rate and its share of the peak: "79 (24%)".
func gflops(v, peak float64) string {
	switch {
	case v <= 0:
		return "-"
	case peak <= 0:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return fmt.Sprintf("%.0f (%.0f%%)", v, 100*v/peak)
}

func orDash(v float64, prec int) string {
	if v <= 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// Compare renders our throughput as a multiple of the peer's, per preset
// present in both (ratio > 1: we are faster). Presets missing on either
// side are listed as such.
func Compare(ours, peer []Result) string {
	byPreset := map[string]Result{}
	for _, r := range peer {
		byPreset[r.Preset] = r
	}
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "preset\ttrain ours\ttrain peer\ttrain ratio\tinfer ours\tinfer peer\tinfer ratio\ttrain ratio/cpu-s\tinfer ratio/cpu-s\t")
	seen := map[string]bool{}
	for _, o := range ours {
		seen[o.Preset] = true
		p, ok := byPreset[o.Preset]
		if !ok {
			fmt.Fprintf(tw, "%s\t%.0f\t-\t-\t%.0f\t-\t-\t-\t-\t\n", o.Preset, o.TrainImagesPerS, o.InferImagesPerS)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.0f\t%s\t%.0f\t%.0f\t%s\t%s\t%s\t\n", o.Preset,
			o.TrainImagesPerS, p.TrainImagesPerS, ratio(o.TrainImagesPerS, p.TrainImagesPerS),
			o.InferImagesPerS, p.InferImagesPerS, ratio(o.InferImagesPerS, p.InferImagesPerS),
			ratio(o.TrainImagesPerCPUS, p.TrainImagesPerCPUS), ratio(o.InferImagesPerCPUS, p.InferImagesPerCPUS))
	}
	for _, p := range peer {
		if !seen[p.Preset] {
			fmt.Fprintf(tw, "%s\t-\t%.0f\t-\t-\t%.0f\t-\t-\t-\t\n", p.Preset, p.TrainImagesPerS, p.InferImagesPerS)
		}
	}
	tw.Flush()
	return b.String()
}

func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// ParsePeer reads the peer's output: one JSON object per line (blank lines
// and lines starting with '#' are skipped). Each needs a preset and
// positive train and inference rates; Impl defaults to "pytorch". Errors
// name the line.
func ParsePeer(data []byte) ([]Result, error) {
	var out []Result
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		var r Result
		dec := json.NewDecoder(strings.NewReader(text))
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("peer output line %d: %w; want one JSON object per line", line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("peer output line %d: text after the JSON object; want one object per line", line)
		}
		switch {
		case r.Preset == "":
			return nil, fmt.Errorf("peer output line %d: missing \"preset\"", line)
		case !(r.TrainImagesPerS > 0) || !(r.InferImagesPerS > 0) || r.TrainImagesPerS > 1e12 || r.InferImagesPerS > 1e12:
			return nil, fmt.Errorf("peer output line %d: train_images_per_s and infer_images_per_s must be positive finite numbers, got %v and %v",
				line, r.TrainImagesPerS, r.InferImagesPerS)
		case r.TrainImagesPerCPUS < 0 || r.InferImagesPerCPUS < 0:
			return nil, fmt.Errorf("peer output line %d: per-CPU-second rates must not be negative", line)
		}
		if r.Impl == "" {
			r.Impl = "pytorch"
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("peer output line %d: %w", line+1, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("peer output: no result lines")
	}
	return out, nil
}

// WriteJSON writes results to path as an indented JSON array, atomically
// (a temporary file in the same directory, then a rename).
func WriteJSON(path string, results []Result) error {
	data, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return fmt.Errorf("write bench results %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write bench results %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, append(data, '\n')); err != nil {
		return fmt.Errorf("bench results: %w", err)
	}
	return nil
}

// ReadJSON reads results written by WriteJSON.
func ReadJSON(path string) ([]Result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read bench results: %w", err)
	}
	var rs []Result
	if err := json.Unmarshal(data, &rs); err != nil {
		return nil, fmt.Errorf("read bench results %s: %w; want a JSON array as convlab bench writes", path, err)
	}
	return rs, nil
}
