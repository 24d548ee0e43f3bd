package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"convlab/runner/codeversion"
	"convlab/runner/integrity"
	"convlab/runner/results"
)

// childEnv makes the test binary run as convlab (see TestMain), so that
// tests start real convlab processes without building the binary.
const childEnv = "CONVLAB_CLI_TEST_AS_CONVLAB"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// child is a convlab process running args.
func child(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	return cmd
}

// The training code's identity is the same in a freshly built convlab
// binary as in this test binary: every binary of an unchanged tree agrees.
func TestBuiltBinaryHasTheSameCodeVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go tool to build convlab")
	}
	bin := filepath.Join(t.TempDir(), "convlab")
	if out, err := exec.Command("go", "build", "-o", bin, "convlab").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "training code " + codeversion.Version(); !strings.Contains(string(out), want) {
		t.Errorf("convlab version says %q, want %q", out, want)
	}
}

func TestStickyWriterOnAFullDevice(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full:", err)
	}
	defer f.Close()
	w := &stickyWriter{w: f}
	fmt.Fprintf(w, "epoch 1\n")
	fmt.Fprintf(w, "epoch 2\n")
	if !errors.Is(w.err, syscall.ENOSPC) || !strings.Contains(w.err.Error(), "/dev/full") {
		t.Errorf("error %v: want ENOSPC naming /dev/full", w.err)
	}
}

// runDir is the one run directory under root/runs whose name starts with
// the run's id and a dash.
func runDir(t *testing.T, root, prefix string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(root, "runs", prefix+"-*"))
	if len(m) != 1 {
		t.Fatalf("runs of %s: %v", prefix, m)
	}
	return m[0]
}

// The whole story of a damaged run as a user sees it: plan says damaged,
// report builds without it and names it (--strict fails), verify finds
// also what sizes miss, run quarantines and retrains.
func TestDamagedRunsThroughTheCommands(t *testing.T) {
	file, res := setupGrid(t)
	if code, _, errOut := convlab(t, "run", "--results", res, file); code != 0 {
		t.Fatalf("run: %d\n%s", code, errOut)
	}
	root := filepath.Join(res, "tiny")
	a := runDir(t, root, "tiny-n100-l1_0-e2-b32-s1")
	b := runDir(t, root, "tiny-n100-l1_0.001-e2-b32-s1")
	if code, out, _ := convlab(t, "verify", "--results", res); code != 0 || !strings.Contains(out, "2 runs: 2 intact, 0 damaged, 0 unverified") {
		t.Errorf("verify of a fresh tree: %d\n%s", code, out)
	}
	if err := os.Truncate(filepath.Join(a, "metrics.json"), 100); err != nil {
		t.Fatal(err)
	}
	// Same size, one byte changed: only the hash sees it.
	hist := filepath.Join(b, "history.csv")
	h, _ := os.ReadFile(hist)
	h[len(h)-2] ^= 1
	os.WriteFile(hist, h, 0o644)

	code, out, _ := convlab(t, "plan", "--results", res, file)
	if code != 0 || !strings.Contains(out, "damaged") || !strings.Contains(out, filepath.Base(a)+": metrics.json: 100 bytes, DONE records") || !strings.Contains(out, "2 runs, 1 to do") {
		t.Errorf("plan:\n%s", out)
	}

	code, _, errOut := convlab(t, "report", "--results", res, file)
	if code != 0 || !strings.Contains(errOut, "damaged run "+a+": metrics.json: 100 bytes, DONE records") || !strings.Contains(errOut, "(left out of the report)") {
		t.Errorf("report: %d\n%s", code, errOut)
	}
	rep, _ := os.ReadFile(filepath.Join(root, "REPORT.md"))
	if !strings.Contains(string(rep), "| `"+filepath.Base(a)+"` | `metrics.json` |") {
		t.Errorf("REPORT.md does not name the damaged run and file")
	}
	os.Remove(filepath.Join(root, "REPORT.md"))
	// --strict writes nothing at all, not even a convolution file's figure.
	conv := filepath.Join("..", "experiments", "figure1.yaml")
	code, _, errOut = convlab(t, "report", "--strict", "--results", res, file, conv)
	if _, err := os.Stat(filepath.Join(root, "REPORT.md")); code != 1 || !strings.Contains(errOut, "--strict: 1 damaged file") || err == nil {
		t.Errorf("report --strict: %d, REPORT.md written: %v\n%s", code, err == nil, errOut)
	}
	if _, err := os.Stat(filepath.Join(res, "figure1")); err == nil {
		t.Errorf("report --strict wrote Figure 1 although it failed")
	}

	code, out, _ = convlab(t, "verify", "--results", res)
	if code != 1 || !strings.Contains(out, "damaged: "+a+": metrics.json: 100 bytes") || !strings.Contains(out, "damaged: "+hist[:len(hist)-len("/history.csv")]+": history.csv: SHA-256") {
		t.Errorf("verify: %d\n%s", code, out)
	}

	// run sees the truncation (sizes), quarantines it and trains again.
	code, out, errOut = convlab(t, "run", "--results", res, file)
	q := filepath.Join(root, "quarantine", filepath.Base(a))
	if code != 0 || !strings.Contains(errOut, "moved to "+q) || !strings.Contains(out, "1 done, 1 skipped") {
		t.Errorf("run: %d\n%s%s", code, out, errOut)
	}
	if info, err := os.Stat(filepath.Join(q, "metrics.json")); err != nil || info.Size() != 100 {
		t.Errorf("quarantined copy: %v %v", info, err)
	}
	// verify --quarantine moves what only hashes see; run trains it again.
	if code, out, _ := convlab(t, "verify", "--quarantine", "--results", root); code != 1 || !strings.Contains(out, "moved "+b) {
		t.Errorf("verify --quarantine: %d\n%s", code, out)
	}
	if code, out, errOut := convlab(t, "run", "--results", res, file); code != 0 || !strings.Contains(out, "1 done, 1 skipped") {
		t.Errorf("run after verify --quarantine: %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := convlab(t, "verify", "--results", res, file); code != 0 || !strings.Contains(out, "2 intact, 0 damaged") {
		t.Errorf("final verify: %d\n%s", code, out)
	}
}

// runsSummary parses "N done, M skipped" from convlab run's output (the
// summary is on standard output).
func runsSummary(t *testing.T, stderr string) (done, skipped int) {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		if i := strings.Index(line, " done, "); i >= 0 {
			f := strings.Fields(line[strings.LastIndex(line[:i], " ")+1:])
			done, _ = strconv.Atoi(f[0])
			skipped, _ = strconv.Atoi(f[2])
			return done, skipped
		}
	}
	t.Fatalf("no summary in:\n%s", stderr)
	return 0, 0
}

// tinyFile is tinyGrid (name tiny, 2 epochs, batch 32, l1 0 and 0.001)
// with another name, number of epochs and sweep grid; with dropout, a
// dropout layer follows the convolution (so that resuming must restore
// the random state).
func tinyFile(name string, epochs int, grid string, dropout bool) string {
	layer := ""
	if dropout {
		layer = "    - dropout: {rate: 0.25}\n"
	}
	return strings.NewReplacer(
		"name: tiny\n", "name: "+name+"\n",
		"epochs: 2\n", fmt.Sprintf("epochs: %d\n", epochs),
		"grid: {l1: [0, 0.001]}", "grid: "+grid,
		"    - flatten\n", layer+"    - flatten\n",
	).Replace(tinyGrid)
}

// Two convlab run processes started together on one results tree train
// each run once between them.
func TestTwoRunProcessesTrainEachRunOnce(t *testing.T) {
	file, res := setupGrid(t)
	if err := os.WriteFile(file, []byte(tinyFile("lock", 3, "{l1: [0, 0.001, 0.01], seed: [1, 2]}", false)), 0o644); err != nil {
		t.Fatal(err)
	}
	var cmds []*exec.Cmd
	var errs []*bytes.Buffer
	for range 2 {
		cmd := child("run", "--no-report", "--cores", "1", "--results", res, file)
		buf := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = buf, buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, errs = append(cmds, cmd), append(errs, buf)
	}
	done, skipped := 0, 0
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, errs[i])
		}
		d, s := runsSummary(t, errs[i].String())
		done, skipped = done+d, skipped+s
	}
	if done != 6 || skipped != 6 {
		t.Errorf("the two processes trained %d runs and skipped %d, want 6 and 6:\n%s\n%s", done, skipped, errs[0], errs[1])
	}
	logs, _ := filepath.Glob(filepath.Join(res, "lock", "runs", "*", "train.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		if strings.Count(string(b), "run ") != 1 || strings.Contains(string(b), "resuming") {
			t.Errorf("%s: trained more than once:\n%s", l, b)
		}
	}
	if len(logs) != 6 {
		t.Errorf("%d runs finished, want 6", len(logs))
	}
}

// comparable is what must be bit-for-bit equal between an interrupted and
// an uninterrupted run: the metrics and history without wall times, and
// the weights.
func comparable(t *testing.T, dir string) string {
	t.Helper()
	rec, err := results.ReadRunDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	rec.Metrics.TrainSeconds = 0
	rec.Provenance = results.Provenance{}
	for i := range rec.History {
		rec.History[i].Seconds = 0
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.ReadFile(filepath.Join(dir, results.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s\nweights %x", b, w)
}

// The chaos test: convlab run -j 2 is killed with SIGKILL at a random
// moment within half the time of an uninterrupted grid, again and again
// ($CONVLAB_CHAOS_KILLS times, 5 by default; make chaos KILLS=N); after
// every kill each committed run is intact, hashes included. Whenever the
// grid gets done, and after a last run to completion, every run's metrics,
// history and weights are compared with those of an uninterrupted run
// (with another thread count), bit for bit, and the grid starts afresh.
// $CONVLAB_CHAOS_SEED replays a sequence.
func TestChaos(t *testing.T) {
	kills := 5
	if v := os.Getenv("CONVLAB_CHAOS_KILLS"); v != "" {
		var err error
		if kills, err = strconv.Atoi(v); err != nil || kills < 0 {
			t.Fatalf("CONVLAB_CHAOS_KILLS=%q: want a number of kills", v)
		}
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CONVLAB_CHAOS_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("%d kills, CONVLAB_CHAOS_SEED=%d", kills, seed)
	rng := rand.New(rand.NewPCG(seed, 17))

	file, res := setupGrid(t)
	if err := os.WriteFile(file, []byte(tinyFile("chaos", 4, "{l1: [0, 0.01], seed: [1, 2, 3]}", true)), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := filepath.Join(filepath.Dir(res), "reference")
	start := time.Now()
	if out, err := child("run", "--no-report", "-j", "1", "--cores", "2", "--results", ref, file).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	full := time.Since(start)

	refDirs, _ := filepath.Glob(filepath.Join(ref, "chaos", "runs", "*"))
	if len(refDirs) != 6 {
		t.Fatalf("reference runs: %v", refDirs)
	}
	root := filepath.Join(res, "chaos")
	// compare checks every run of the finished grid against the reference.
	resumed := 0
	compare := func() {
		for _, rd := range refDirs {
			cd := filepath.Join(root, "runs", filepath.Base(rd))
			if _, damage := integrity.CheckRunDir(cd, true); len(damage) > 0 {
				t.Errorf("%v", damage)
				continue
			}
			if got, want := comparable(t, cd), comparable(t, rd); got != want {
				t.Errorf("run %s differs from the uninterrupted run's", filepath.Base(rd))
			}
			if log, _ := os.ReadFile(filepath.Join(cd, results.LogFile)); strings.Contains(string(log), "resuming after epoch") {
				resumed++
			}
		}
	}
	killed, rounds := 0, 0
	for i := range kills {
		cmd := child("run", "--no-report", "-j", "2", "--cores", "2", "--results", res, file)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(full) / 2)))
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			killed++
		} else if err != nil {
			t.Fatalf("run %d failed: %v", i+1, err)
		}
		dirs, _ := filepath.Glob(filepath.Join(root, "runs", "*"))
		for _, d := range dirs {
			if _, damage := integrity.CheckRunDir(d, true); len(damage) > 0 {
				t.Fatalf("after kill %d: %v", i+1, damage)
			}
		}
		if len(dirs) == len(refDirs) {
			// The grid got done between kills: check it, and start afresh
			// so that the next kills land mid-way again.
			compare()
			rounds++
			if err := os.RemoveAll(root); err != nil {
				t.Fatal(err)
			}
		}
	}
	if kills > 0 && killed == 0 {
		t.Errorf("none of the %d processes was killed mid-way; the grid finished before every kill", kills)
	}
	out, err := child("run", "--no-report", "-j", "2", "--cores", "2", "--results", res, file).CombinedOutput()
	if err != nil {
		t.Fatalf("run to completion: %v\n%s", err, out)
	}
	compare()
	rounds++
	t.Logf("%d of %d processes killed mid-way; %d grids completed and compared, %d runs of them resumed from a checkpoint; uninterrupted grid %s",
		killed, kills, rounds, resumed, full.Round(time.Millisecond))
}

// freeBytes is the space left on the file system of path.
func freeBytes(t *testing.T, path string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// A real full disk: the results tree on a small tmpfs (mounted by the test,
// so only as root; skipped otherwise). The second run of a grid finds the
// disk full after two epochs; it fails with a message naming the file,
// nothing of it counts as done, the first run stays intact, and once space
// is freed the next run resumes it after its last saved epoch and ends with
// the same numbers as an uninterrupted run.
func TestFullDiskTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", mnt).Run() })

	file, _ := setupGrid(t)
	grid := strings.Replace(tinyFile("disk", 6, "{l1: [0, 0.001]}", false), "data_dir: data", "data_dir: "+filepath.Join(filepath.Dir(file), "data"), 1)
	if err := os.WriteFile(file, []byte(grid), 0o644); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(mnt, "results")
	root := filepath.Join(res, "disk")
	first, second := "tiny-n100-l1_0-e6-b32-s1", "tiny-n100-l1_0.001-e6-b32-s1"
	if out, err := child("run", "--no-report", "--only", first, "--results", res, file).CombinedOutput(); err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	a := runDir(t, root, first)
	w, err := os.Stat(filepath.Join(a, results.WeightsFile))
	if err != nil {
		t.Fatal(err)
	}
	// A checkpoint holds the weights and Adam's two moments, about 3w: room
	// for two checkpoints and the run's small files, not for the third
	// checkpoint written before the first is removed.
	room := 15 * w.Size() / 2
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, freeBytes(t, mnt)-room), 0o644); err != nil {
		t.Fatalf("fill the disk: %v", err)
	}

	out, err := child("run", "--no-report", "--results", res, file).CombinedOutput()
	if err == nil {
		t.Fatalf("run on a full disk succeeded:\n%s", out)
	}
	msg := string(out)
	if !strings.Contains(msg, "no space left on device") || !strings.Contains(msg, root+string(filepath.Separator)) {
		t.Errorf("the failure does not name the file on the full disk:\n%s", msg)
	}
	t.Logf("on the full disk:\n%s", msg)
	if code, plan, _ := convlab(t, "plan", "--results", res, file); code != 0 || !strings.Contains(plan, "2 runs, 1 to do") {
		t.Errorf("plan after the failure:\n%s", plan)
	}
	if _, damage := integrity.CheckRunDir(a, true); len(damage) > 0 {
		t.Errorf("the first run after the full disk: %v", damage)
	}
	if tmp, _ := os.ReadDir(filepath.Join(root, "tmp")); len(tmp) != 0 {
		t.Errorf("tmp/ holds %v", tmp)
	}
	ckpts, _ := filepath.Glob(filepath.Join(root, "checkpoints", second+"-*", "*.ckpt"))
	if len(ckpts) == 0 {
		t.Fatalf("the disk filled up before the second run saved a checkpoint:\n%s", msg)
	}

	os.Remove(filler)
	if out, err := child("run", "--no-report", "--results", res, file).CombinedOutput(); err != nil {
		t.Fatalf("run after space is freed: %v\n%s", err, out)
	}
	b := runDir(t, root, second)
	log, _ := os.ReadFile(filepath.Join(b, results.LogFile))
	if !strings.Contains(string(log), "resuming after epoch ") {
		t.Errorf("the second run did not resume:\n%s", log)
	}
	ref := filepath.Join(t.TempDir(), "results")
	if out, err := child("run", "--no-report", "--only", second, "--results", ref, file).CombinedOutput(); err != nil {
		t.Fatalf("reference run: %v\n%s", err, out)
	}
	if comparable(t, b) != comparable(t, runDir(t, filepath.Join(ref, "disk"), second)) {
		t.Error("the resumed run differs from an uninterrupted one")
	}
}
