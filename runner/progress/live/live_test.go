package live

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"convlab/runner/progress"
	"convlab/runner/results"
)

// clock is a fake clock the test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) set(d time.Duration) { c.t = time.Unix(1000, 0).Add(d) }
func newClock() *clock               { c := &clock{}; c.set(0); return c }
func sec(n float64) time.Duration    { return time.Duration(n * float64(time.Second)) }
func epoch(e int, s float64) results.Epoch {
	return results.Epoch{Epoch: e, Loss: 0.5, Accuracy: 0.6, ValLoss: 0.7, ValAccuracy: 0.8, Seconds: s}
}

func TestPlainLines(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	d := New(&buf, Options{Now: c.now})
	d.Begin(2)
	a := d.Start(progress.RunInfo{ID: "strided-n5000-s1", Epochs: 3})
	c.set(sec(5))
	a.Batch(progress.Batch{Epoch: 1, Batch: 1, Batches: 4, ImagesPerSec: 900, Loss: 2, Accuracy: 0.1})
	c.set(sec(10))
	a.Epoch(epoch(1, 10))
	c.set(sec(30))
	d.Finish("strided-n5000-s1", nil, sec(30))
	d.Start(progress.RunInfo{ID: "maxpool-n5000-s1", Epochs: 3})
	c.set(sec(40))
	d.Finish("maxpool-n5000-s1", errors.New("loss became NaN"), sec(5))
	d.End()
	// ETAs by hand: after epoch 1 of 3 in 10s, 2 epochs are left: 20s.
	// After one of two runs in 30s (nothing else running): 30s left.
	want := `training 2 runs
strided-n5000-s1 epoch 1/3: loss 0.5000 accuracy 0.6000 val_loss 0.7000 val_accuracy 0.8000 (10.0s, ETA 20.0s)
done strided-n5000-s1 in 30.0s [1/2 runs, ETA 30.0s]
FAILED maxpool-n5000-s1 after 5.0s: loss became NaN [2/2 runs]
finished 2 of 2 runs, 1 failed in 40.0s
`
	if got := buf.String(); got != want {
		t.Errorf("plain output:\n%s\nwant:\n%s", got, want)
	}
}

// screen replays what a terminal shows for the escape sequences the display
// uses: ESC[nF (up n lines, column 0), ESC[2K (erase line), ESC[J (erase to
// the end of the screen).
func screen(t *testing.T, out string) []string {
	t.Helper()
	lines := []string{""}
	row := 0
	esc := regexp.MustCompile(`^\x1b\[(\d*)([A-Za-z])`)
	for len(out) > 0 {
		if m := esc.FindStringSubmatch(out); m != nil {
			n, _ := strconv.Atoi(m[1])
			switch m[2] {
			case "F", "A": // up n lines (mpb: ESC[nA ESC[J after each frame)
				row = max(row-n, 0)
				lines[row] = lines[row][:0]
			case "K":
				lines[row] = ""
			case "J":
				lines = lines[:row+1]
			default:
				t.Fatalf("unexpected escape sequence %q", m[0])
			}
			out = out[len(m[0]):]
			continue
		}
		ch := out[0]
		out = out[1:]
		if ch == '\n' {
			row++
			if row == len(lines) {
				lines = append(lines, "")
			}
			continue
		}
		lines[row] += string(ch)
	}
	return lines[:row] // the cursor sits on an empty line after the output
}

// syncBuffer is a bytes.Buffer that mpb's goroutine and the test can share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// barText is what the live bar of a run shows after the bar itself.
func barText(r progress.Reporter) string { return r.(*runState).text.Load().(string) }

func TestTerminalDisplay(t *testing.T) {
	var buf syncBuffer
	c := newClock()
	d := New(&buf, Options{Terminal: true, Now: c.now})
	d.Begin(3)
	a := d.Start(progress.RunInfo{ID: "a", Epochs: 4})
	b := d.Start(progress.RunInfo{ID: "bb", Epochs: 2})
	c.set(sec(10))
	a.Batch(progress.Batch{Epoch: 2, Batch: 5, Batches: 10, ImagesPerSec: 1234, Loss: 0.1234, Accuracy: 0.5678})
	// Run a: (1 + 5/10)/4 = 0.375 done in 10s -> 16.7s left.
	// Run bb: nothing yet. Grid: 0.375/3 = 0.125 in 10s -> 70s left.
	if got, want := barText(a), "epoch 2/4 batch 5/10 1234 img/s loss 0.1234 acc 0.5678 ETA 16.7s"; got != want {
		t.Errorf("bar of a: %q, want %q", got, want)
	}
	if got, want := barText(b), "epoch 1/2 ETA ?"; got != want {
		t.Errorf("bar of bb: %q, want %q", got, want)
	}
	if got, want := d.gridText.Load().(string), "0/3 runs done, 2 running, elapsed 10.0s, ETA 1m10s"; got != want {
		t.Errorf("grid bar: %q, want %q", got, want)
	}
	if f := a.(*runState).fraction(); f != 0.375 {
		t.Errorf("fraction of a %v, want 0.375", f)
	}

	// Batches within Interval of the last update do not update the bars.
	c.set(sec(10.05))
	a.Batch(progress.Batch{Epoch: 2, Batch: 6, Batches: 10})
	if got := barText(a); !strings.Contains(got, "batch 5/10") {
		t.Errorf("updated within the interval: %q", got)
	}

	c.set(sec(20))
	b.Epoch(epoch(1, 20))
	c.set(sec(40))
	b.Epoch(epoch(2, 20))
	d.Finish("bb", nil, sec(40))
	// Grid: 1 run done + a at 0.4 (epoch 2 batch 6/10: (1+0.6)/4) = 1.4/3,
	// in 40s: 40 * (1 - 1.4/3) / (1.4/3) = 45.7s left.
	if got, want := d.gridText.Load().(string), "1/3 runs done, 1 running, elapsed 40.0s, ETA 45.7s"; got != want {
		t.Errorf("grid bar after a finish: %q, want %q", got, want)
	}
	if got, want := barText(a), "epoch 2/4 batch 6/10 0 img/s loss 0.0000 acc 0.0000 ETA 1m00s"; got != want {
		t.Errorf("bar of a after bb finished: %q, want %q", got, want)
	}
	d.Finish("a", errors.New("boom"), sec(40))
	d.End()
	// Finished epochs (as Keras prints them) and runs stay on screen; the
	// bars are gone.
	got := screen(t, buf.String())
	want := []string{
		"bb epoch 1/2 - 20.0s - loss: 0.5000 - accuracy: 0.6000 - val_loss: 0.7000 - val_accuracy: 0.8000",
		"bb epoch 2/2 - 20.0s - loss: 0.5000 - accuracy: 0.6000 - val_loss: 0.7000 - val_accuracy: 0.8000",
		"done bb in 40.0s [1/3 runs, ETA 45.7s]",
		"FAILED a after 40.0s: boom [2/3 runs, ETA 20.0s]",
		"finished 2 of 3 runs, 1 failed in 40.0s",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("final screen:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The live display draws bars while runs train: something with a bar in
// it reaches the terminal before the end.
func TestTerminalDrawsBars(t *testing.T) {
	var buf syncBuffer
	d := New(&buf, Options{Terminal: true, Interval: time.Millisecond})
	d.Begin(1)
	r := d.Start(progress.RunInfo{ID: "strided-n5000-s1", Epochs: 2})
	time.Sleep(2 * time.Millisecond) // past the Interval since Start drew
	r.Batch(progress.Batch{Epoch: 1, Batch: 5, Batches: 10, ImagesPerSec: 100})
	deadline := time.Now().Add(10 * time.Second)
	drawn := regexp.MustCompile(`(^|\n|\x1b\[J)strided-n5000-s1 +\[#####\.+\] epoch 1/2 batch 5/10 100 img/s`)
	for !drawn.MatchString(buf.String()) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if out := buf.String(); !drawn.MatchString(out) {
		t.Errorf("no bar drawn; output ends %q", out[max(len(out)-300, 0):])
	}
	d.Finish("strided-n5000-s1", nil, time.Second)
	d.End()
	if got := screen(t, buf.String()); len(got) != 2 || !strings.HasPrefix(got[0], "done strided-n5000-s1 in 1.0s") {
		t.Errorf("final screen %q; want the done and finished lines only", got)
	}
}

func TestTerminalWidth(t *testing.T) {
	var buf syncBuffer
	d := New(&buf, Options{Terminal: true, Width: 40, Now: newClock().now})
	d.Begin(1)
	id := "a-very-long-run-id-that-goes-on"
	r := d.Start(progress.RunInfo{ID: id, Epochs: 20})
	r.Batch(progress.Batch{Epoch: 1, Batch: 5, Batches: 10, ImagesPerSec: 100, Loss: 1, Accuracy: 0.5})
	// The id is cut to what leaves room for the bar, the text after it to
	// what is left; mpb puts lineMargin spaces around the bar.
	room := 40 - barWidth - lineMargin
	if n := len(id[:room]) + lineMargin + barWidth + len(barText(r)); n > 40 {
		t.Errorf("line of %d columns: %q", n, barText(r))
	}
	d.Finish(id, nil, 0)
	d.End()
}

// Reporters of several runs at once on the live display: no race, no
// deadlock with mpb's goroutine, every line kept.
func TestConcurrentTerminal(t *testing.T) {
	var buf syncBuffer
	d := New(&buf, Options{Terminal: true, Interval: time.Millisecond})
	d.Begin(4)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			trainFake(d, fmt.Sprintf("run%d", i))
		}()
	}
	wg.Wait()
	d.End()
	got := screen(t, buf.String())
	epochs, done := 0, 0
	for _, l := range got {
		if strings.Contains(l, " epoch ") {
			epochs++
		}
		if strings.HasPrefix(l, "done run") {
			done++
		}
	}
	if epochs != 12 || done != 4 || !strings.HasPrefix(got[len(got)-1], "finished 4 of 4 runs") {
		t.Errorf("%d epoch lines (want 12), %d done lines (want 4), screen:\n%s", epochs, done, strings.Join(got, "\n"))
	}
}

func TestConcurrentReporters(t *testing.T) {
	var buf bytes.Buffer
	d := New(&buf, Options{})
	d.Begin(4)
	done := make(chan bool)
	for i := range 4 {
		go func() {
			trainFake(d, fmt.Sprintf("run%d", i))
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	d.End()
	out := buf.String()
	if c := strings.Count(out, " epoch "); c != 12 {
		t.Errorf("%d epoch lines, want 4 runs x 3 epochs = 12", c)
	}
	if c := strings.Count(out, "\ndone run"); c != 4 {
		t.Errorf("%d done lines, want 4", c)
	}
	if !strings.HasSuffix(out, "finished 4 of 4 runs in 0.0s\n") {
		t.Errorf("last line of %q", out)
	}
}

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0.0s", sec(4.34): "4.3s", sec(59.4): "59.4s", sec(59.96): "1m00s", sec(60): "1m00s", sec(187): "3m07s",
		sec(3600): "1h00m", sec(7500): "2h05m", -sec(3): "0.0s",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
}

func ExampleNew() {
	var buf bytes.Buffer
	d := New(&buf, Options{}) // plain lines, as when stderr is not a terminal
	d.Begin(1)
	r := d.Start(progress.RunInfo{ID: "strided-n5000-s1", Epochs: 20})
	r.Batch(progress.Batch{Epoch: 1, Batch: 1, Batches: 36, ImagesPerSec: 800, Loss: 2.3, Accuracy: 0.1})
	r.Epoch(results.Epoch{Epoch: 1, Loss: 2.1, Accuracy: 0.2, ValLoss: 1.9, ValAccuracy: 0.3})
	fmt.Print(strings.SplitAfter(buf.String(), "(")[0])
	// Output:
	// training 1 run
	// strided-n5000-s1 epoch 1/20: loss 2.1000 accuracy 0.2000 val_loss 1.9000 val_accuracy 0.3000 (
}

// trainFake reports a run of 3 epochs of 10 batches, each epoch 1s long.
func trainFake(d *Display, id string) {
	r := d.Start(progress.RunInfo{ID: id, Epochs: 3})
	for e := 1; e <= 3; e++ {
		for b := 1; b <= 10; b++ {
			r.Batch(progress.Batch{Epoch: e, Batch: b, Batches: 10})
		}
		r.Epoch(epoch(e, 1))
	}
	d.Finish(id, nil, time.Second)
}

// The download bar redraws in place (ESC[1A ESC[J before each frame); its
// last frame, which stays, is the full bar at 100%, or where a download
// that stopped short stopped.
func TestDownloadBar(t *testing.T) {
	var full syncBuffer
	b := NewDownloadBar(&full, "x.tar.gz", 10*mb)
	b.Write(make([]byte, 4*mb))
	b.Write(make([]byte, 6*mb))
	b.Finish()
	frames := strings.Split(full.String(), "\x1b[1A\x1b[J")
	last := frames[len(frames)-1]
	if strings.Count(last, "\n") != 1 || !strings.HasSuffix(last, "\n") || !strings.HasPrefix(last, "downloading x.tar.gz [") ||
		!strings.Contains(last, "100 %") || !strings.Contains(last, "10.0 / 10.0 MB") || !regexp.MustCompile(`\[#+\]`).MatchString(last) {
		t.Errorf("last frame %q; want one line: the full bar, 100 %%, 10.0 / 10.0 MB", last)
	}

	var short syncBuffer
	b = NewDownloadBar(&short, "x", 10*mb)
	b.Write(make([]byte, 6.5*mb))
	b.Finish()
	frames = strings.Split(short.String(), "\x1b[1A\x1b[J")
	if last := frames[len(frames)-1]; !strings.Contains(last, "65 %") || !strings.Contains(last, "6.5 / 10.0 MB") || !regexp.MustCompile(`\[#+\.+\]`).MatchString(last) {
		t.Errorf("last frame %q; want it at 65 %%, 6.5 of 10.0 MB", last)
	}

	var unknown syncBuffer
	b = NewDownloadBar(&unknown, "x", -1)
	b.Write(make([]byte, 2.5*mb))
	b.Finish()
	frames = strings.Split(unknown.String(), "\x1b[1A\x1b[J")
	if last := frames[len(frames)-1]; !strings.Contains(last, "2.5 MB") || strings.Contains(last, " / ") {
		t.Errorf("last frame %q of a download of unknown size; want 2.5 MB and no total", last)
	}
}
