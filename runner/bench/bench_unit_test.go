package bench

import (
	"context"
	"convlab/arch"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePeer(t *testing.T) {
	ok, err := os.ReadFile("testdata/peer_ok.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParsePeer(ok)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("got %d results, want 2", len(rs))
	}
	s := rs[0]
	if s.Preset != "strided" || s.Impl != "pytorch" || s.Params != 37146 || s.TrainImagesPerS != 283.6 ||
		s.InferImagesPerS != 510.4 || s.TrainImagesPerCPUS != 262.5 || s.PeakRSSBytes != 320401408 || len(s.TrainRepeats) != 3 {
		t.Errorf("first result = %+v", s)
	}
	if rs[1].Preset != "deeper" || rs[1].Impl != "pytorch" || rs[1].TrainImagesPerS != 3789.2 {
		t.Errorf("second result = %+v", rs[1])
	}

	bad := []struct{ in, want string }{
		{"", "no result lines"},
		{"# only a comment\n", "no result lines"},
		{"{\"preset\": \"a\", \"train_images_per_s\": 1}\n", "line 1: train_images_per_s and infer_images_per_s must be positive"},
		{"\n{\"train_images_per_s\": 1, \"infer_images_per_s\": 1}\n", "line 2: missing \"preset\""},
		{"{\"preset\": \"a\", \"train_images_per_s\": -1, \"infer_images_per_s\": 1}", "must be positive"},
		{"not json", "line 1: invalid character"},
		{"{\"preset\": \"a\", \"train_images_per_s\": 1, \"infer_images_per_s\": 1} {}", "text after the JSON object"},
		{"{\"preset\": 3}", "line 1: json: cannot unmarshal"},
		{"{\"preset\": \"a\", \"train_images_per_s\": 1, \"infer_images_per_s\": 1, \"train_images_per_cpu_s\": -2}", "must not be negative"},
	}
	for _, c := range bad {
		_, err := ParsePeer([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParsePeer(%q) error = %v, want it to contain %q", c.in, err, c.want)
		}
	}
}

func FuzzParsePeer(f *testing.F) {
	ok, err := os.ReadFile("testdata/peer_ok.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ok)
	f.Add([]byte("{\"preset\": \"a\", \"train_images_per_s\": 1e400, \"infer_images_per_s\": 1}"))
	f.Add([]byte("# x\n\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParsePeer(data)
		if err != nil {
			return
		}
		for _, r := range rs {
			if r.Preset == "" || !(r.TrainImagesPerS > 0) || !(r.InferImagesPerS > 0) || r.Impl == "" {
				t.Fatalf("accepted an invalid result %+v", r)
			}
		}
		_ = Compare(rs, rs) // must not panic
		_ = Format(rs)
	})
}

func TestParseVmHWM(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"Name:\tx\nVmPeak:\t  100 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 1 kB\n", 2048 * 1024, true},
		{"VmHWM: 0 kB", 0, true},
		{"VmRSS:\t 1 kB\n", 0, false},
		{"VmHWM:\t 12 MB\n", 0, false},
		{"VmHWM:\t x kB\n", 0, false},
	}
	for _, c := range cases {
		got, ok := parseVmHWM([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("parseVmHWM(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestFormatAndCompare(t *testing.T) {
	ours := []Result{
		{Preset: "strided", Impl: "convlab", Threads: 2, Batch: 128, Params: 37146, TrainImagesPerS: 1000, InferImagesPerS: 4000,
			TrainImagesPerCPUS: 600, InferImagesPerCPUS: 2500, PeakRSSBytes: 200 << 20},
		{Preset: "maxpool", Impl: "convlab", TrainImagesPerS: 300, InferImagesPerS: 900},
	}
	peer := []Result{
		{Preset: "strided", Impl: "pytorch", TrainImagesPerS: 500, InferImagesPerS: 1000, TrainImagesPerCPUS: 300, InferImagesPerCPUS: 500},
		{Preset: "deeper", Impl: "pytorch", TrainImagesPerS: 700, InferImagesPerS: 800},
	}
	f := Format(ours)
	for _, want := range []string{"train img/s", "strided", "37146", "1000", "4000", "600", "2500", "200.0"} {
		if !strings.Contains(f, want) {
			t.Errorf("Format output lacks %q:\n%s", want, f)
		}
	}
	c := Compare(ours, peer)
	lines := strings.Split(strings.TrimSpace(c), "\n")
	if len(lines) != 4 {
		t.Fatalf("Compare has %d lines, want header + 3:\n%s", len(lines), c)
	}
	// strided: 1000/500 = 2.00x train, 4000/1000 = 4.00x infer, CPU 2.00x and 5.00x.
	if f := strings.Fields(lines[1]); strings.Join(f, " ") != "strided 1000 500 2.00x 4000 1000 4.00x 2.00x 5.00x" {
		t.Errorf("strided row = %q", lines[1])
	}
	if f := strings.Fields(lines[2]); strings.Join(f, " ") != "maxpool 300 - - 900 - - - -" {
		t.Errorf("maxpool row = %q", lines[2])
	}
	if f := strings.Fields(lines[3]); strings.Join(f, " ") != "deeper - 700 - - 800 - - -" {
		t.Errorf("deeper row = %q", lines[3])
	}
}

func TestJSONRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "bench.json")
	in := []Result{{Preset: "strided", Impl: "convlab", TrainImagesPerS: 12.5, InferImagesPerS: 50, TrainRepeats: []float64{12, 13}}}
	if err := WriteJSON(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Preset != "strided" || out[0].TrainImagesPerS != 12.5 || len(out[0].TrainRepeats) != 2 {
		t.Fatalf("read back %+v", out)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only bench.json (no temp files)", len(entries))
	}
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJSON(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadJSON of a broken file: error %v, want one naming %s", err, path)
	}
}

func TestMedianRounds(t *testing.T) {
	rounds := [][]Result{
		{{Preset: "a", TrainImagesPerS: 10, InferImagesPerS: 1}, {Preset: "b", TrainImagesPerS: 5}},
		{{Preset: "a", TrainImagesPerS: 30, InferImagesPerS: 3}},
		{{Preset: "a", TrainImagesPerS: 20, InferImagesPerS: 2}, {Preset: "b", TrainImagesPerS: 7}},
	}
	got := MedianRounds(rounds)
	if len(got) != 2 || got[0].Preset != "a" || got[0].TrainImagesPerS != 20 || got[0].InferImagesPerS != 2 ||
		got[1].Preset != "b" || got[1].TrainImagesPerS != 5 {
		t.Fatalf("MedianRounds = %+v", got)
	}
}

func TestRunPeerWithFakeScript(t *testing.T) {
	p := PeerOptions{Python: "/bin/sh", Script: "testdata/fake_peer.sh", Options: Options{Presets: []string{"strided", "deeper"}}}
	args, err := PeerCommand(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "/bin/sh testdata/fake_peer.sh --presets strided,deeper --threads"
	if got := strings.Join(args, " "); !strings.HasPrefix(got, want) || !strings.Contains(got, "--batch 128 --steps 10 --repeats 3 --warmup 2 --l1 0.0001") {
		t.Errorf("command = %q", got)
	}
	rs, err := RunPeer(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[1].Preset != "deeper" || rs[1].TrainImagesPerS != 500 || rs[1].Impl != "pytorch" {
		t.Fatalf("results = %+v", rs)
	}
	p.SymPad = true
	if args, _ := PeerCommand(p); args[len(args)-1] != "--sym-pad" {
		t.Errorf("SymPad: command %q does not end with --sym-pad", args)
	}
	if _, err := PeerCommand(PeerOptions{}); err == nil {
		t.Error("PeerCommand without a script: no error")
	}
}

func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and trains a model")
	}
	rs, err := Run(Options{Presets: []string{"deeper"}, Batch: 8, Threads: 1, Steps: 1, Repeats: 2, Warmup: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("got %d results", len(rs))
	}
	r := rs[0]
	// Params: the deeper preset's Keras count.
	if r.Preset != "deeper" || r.Impl != "convlab" || r.Params != 23314 || r.Batch != 8 || r.Threads != 1 {
		t.Errorf("result = %+v", r)
	}
	if resetPeakRSS() && r.PeakRSSBytes <= 0 {
		t.Errorf("peak RSS %d, want > 0 where VmHWM can be reset", r.PeakRSSBytes)
	}
	if !(r.TrainImagesPerS > 0) || !(r.InferImagesPerS > 0) || len(r.TrainRepeats) != 2 || len(r.InferRepeats) != 2 {
		t.Errorf("rates = %+v", r)
	}
	if _, err := Run(Options{Presets: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "valid presets") {
		t.Errorf("unknown preset: error %v", err)
	}
	if _, err := Run(Options{Batch: -1}); err == nil {
		t.Error("negative batch: no error")
	}
}

func TestGFLOPSAndPeakShare(t *testing.T) {
	// strided does 16,048,128 FLOP per training image and 5,644,288 per
	// inference image (arch.FLOPs): 5,000 img/s is 80.2 GFLOP/s, 20,000
	// img/s is 112.9; of a 200 GFLOP/s peak, 40% and 56%.
	r := Result{Preset: "strided", Impl: "convlab", Kernels: "avx512", Threads: 2, Batch: 128, TrainImagesPerS: 5000, InferImagesPerS: 20000}
	setGFLOPS(&r, arch.Shape{C: 3, H: 32, W: 32}, 200)
	if r.TrainGFLOPS != 80.2 || r.InferGFLOPS != 112.9 || r.PeakGFLOPS != 200 {
		t.Fatalf("GFLOP/s = %v train, %v infer, peak %v; want 80.2, 112.9, 200", r.TrainGFLOPS, r.InferGFLOPS, r.PeakGFLOPS)
	}
	f := Format([]Result{r})
	for _, want := range []string{"avx512", "80 (40%)", "113 (56%)", "peak: 200 GFLOP/s on 2 threads"} {
		if !strings.Contains(f, want) {
			t.Errorf("Format output lacks %q:\n%s", want, f)
		}
	}
	unknown := Result{Preset: "nosuch", TrainImagesPerS: 1, InferImagesPerS: 1}
	setGFLOPS(&unknown, arch.Shape{C: 3, H: 32, W: 32}, 200)
	if unknown.TrainGFLOPS != 0 || !strings.Contains(Format([]Result{unknown}), " - ") {
		t.Errorf("unknown preset: GFLOP/s %v, want 0 and a dash", unknown.TrainGFLOPS)
	}
}

func TestSpread(t *testing.T) {
	// Round ratios: strided train 2.00x, 1.50x, 3.00x; infer 1.00x, 2.00x,
	// 0.50x. deeper only in the peer's rounds: not listed.
	ours := [][]Result{
		{{Preset: "strided", TrainImagesPerS: 200, InferImagesPerS: 100}},
		{{Preset: "strided", TrainImagesPerS: 150, InferImagesPerS: 400}},
		{{Preset: "strided", TrainImagesPerS: 300, InferImagesPerS: 50}},
	}
	peer := [][]Result{
		{{Preset: "strided", TrainImagesPerS: 100, InferImagesPerS: 100}, {Preset: "deeper", TrainImagesPerS: 1, InferImagesPerS: 1}},
		{{Preset: "strided", TrainImagesPerS: 100, InferImagesPerS: 200}},
		{{Preset: "strided", TrainImagesPerS: 100, InferImagesPerS: 100}},
	}
	lines := strings.Split(strings.TrimSpace(Spread(ours, peer)), "\n")
	if len(lines) != 2 {
		t.Fatalf("Spread has %d lines, want header + 1:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if got := strings.Join(strings.Fields(lines[1]), " "); got != "strided 3 1.50x to 3.00x 0.50x to 2.00x" {
		t.Errorf("strided row = %q", got)
	}
}

func TestSharesAreOfTheRunsHighestPeak(t *testing.T) {
	// Two rounds whose probes read 480 and 240 GFLOP/s (the host took a
	// vCPU during the second). strided at 5,000 img/s is 80.2 GFLOP/s
	// (see TestGFLOPSAndPeakShare): 17% of 480 in both rounds, not 33%
	// of 240 in the second; the peer's rates are shares of 480 too.
	in := arch.Shape{C: 3, H: 32, W: 32}
	round := func(peak float64) []Result {
		r := Result{Preset: "strided", Impl: "convlab", Threads: 2, Batch: 128, TrainImagesPerS: 5000, InferImagesPerS: 20000}
		setGFLOPS(&r, in, peak)
		return []Result{r}
	}
	ours := [][]Result{round(480), round(240)}
	peer := [][]Result{{{Preset: "strided", Impl: "pytorch", Threads: 2, Batch: 128, TrainImagesPerS: 2500}}, {{Preset: "strided", Impl: "pytorch", Threads: 2, Batch: 128, TrainImagesPerS: 2500}}}
	shareOfHighestPeak(ours, peer, in)
	for i, rs := range append(ours, peer...) {
		if rs[0].PeakGFLOPS != 480 {
			t.Errorf("result %d: peak %v, want 480", i, rs[0].PeakGFLOPS)
		}
	}
	if f := Format(ours[1]); !strings.Contains(f, "80 (17%)") {
		t.Errorf("second round's share is not of the highest peak:\n%s", f)
	}
	if f := Format(peer[1]); !strings.Contains(f, "40 (8%)") {
		t.Errorf("peer's share is not of the highest peak:\n%s", f)
	}
}
