// Package live renders the progress of a grid of runs (a progress.Sink):
// on a terminal, live bars drawn by github.com/vbauerster/mpb, one per
// running run plus the grid's, with each finished epoch and run kept as a
// line above them; elsewhere, plain log lines. It also draws the CIFAR-10
// download's bar. Training links only package progress, not this one nor
// mpb, so that the bars are no part of the training code's identity.
package live

import (
	"fmt"
	"io"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"convlab/internal/english"
	"convlab/runner/progress"
	"convlab/runner/results"
)

// Options configure a Display.
type Options struct {
	// Terminal selects the live multi-line display; false writes plain
	// lines. Auto sets it from whether the output is a terminal.
	Terminal bool
	// Width truncates live lines to this many columns; 0 does not.
	Width int
	// Interval is the shortest time between two redraws of the live display
	// caused by batches (epochs, starts and finishes always redraw);
	// 0 means 100ms.
	Interval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Display is a progress.Sink writing to an io.Writer.
type Display struct {
	out  io.Writer
	opt  Options
	mu   sync.Mutex
	runs []*runState // running, in start order

	total, finished, failed int
	begun                   time.Time
	lastDraw                time.Time

	// The live display: mpb draws the bars and keeps the permanent lines
	// (finished epochs and runs) above them. Its render goroutine reads
	// each bar's text from an atomic.Value that the Sink and Reporter
	// methods set under mu, so that it never waits for mu while a method
	// holding mu waits for it.
	live     *mpb.Progress
	grid     *mpb.Bar
	gridText atomic.Value // string
}

type runState struct {
	d       *Display
	info    progress.RunInfo
	started time.Time
	last    progress.Batch
	epochs  int // finished epochs
	bar     *mpb.Bar
	text    atomic.Value // string: the bar's line after the bar itself
}

// barScale is the total of every live bar, which shows a fraction.
const barScale = 1000

// barWidth is the width of the bars' filler, brackets included.
const barWidth = 22

// New returns a Display writing to w.
func New(w io.Writer, opt Options) *Display {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Interval == 0 {
		opt.Interval = 100 * time.Millisecond
	}
	return &Display{out: w, opt: opt}
}

// Auto returns a Display on f (usually os.Stderr): live when f is a
// terminal, plain lines otherwise.
func Auto(f *os.File) *Display {
	fd := int(f.Fd())
	opt := Options{Terminal: term.IsTerminal(fd)}
	if opt.Terminal {
		// A terminal that reports no width (a bare pty) gets plain lines:
		// mpb draws bars to the terminal's width.
		if w, _, err := term.GetSize(fd); err == nil && w > 0 {
			opt.Width = w - 1
		} else {
			opt.Terminal = false
		}
	}
	return New(f, opt)
}

// Begin implements progress.Sink.
func (d *Display) Begin(total int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.total = total
	d.begun = d.opt.Now()
	if !d.opt.Terminal {
		fmt.Fprintf(d.out, "training %d run%s\n", total, english.Plural(total))
		return
	}
	d.live = mpb.New(mpb.WithOutput(d.out), mpb.ForceTTY(), mpb.WithAutoRefresh(), mpb.WithRefreshRate(d.opt.Interval), mpb.WithWidth(d.lineWidth()))
	d.gridText.Store("")
	d.grid = d.newBar("grid", &d.gridText,
		mpb.BarPriority(math.MaxInt32)) // the grid's line stays below the runs'
	d.draw()
}

// barStyle is the look of every live bar: [####......].
func barStyle() mpb.BarFillerBuilder {
	return mpb.BarStyle().Lbound("[").Filler("#").Tip("#").Padding(".").Rbound("]")
}

// newBar adds a live bar: label in the aligned id column, then the bar,
// then the line text holds; it is removed once complete.
func (d *Display) newBar(label string, text *atomic.Value, opts ...mpb.BarOption) *mpb.Bar {
	opts = append([]mpb.BarOption{mpb.BarWidth(barWidth), mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return label }, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return text.Load().(string) }))}, opts...)
	return d.live.New(barScale, barStyle(), opts...)
}

// lineWidth is the width mpb lays lines out in: the terminal's, else a
// wide one (a test's buffer).
func (d *Display) lineWidth() int {
	if d.opt.Width > 0 {
		return d.opt.Width
	}
	return 200
}

// Start implements progress.Sink.
func (d *Display) Start(run progress.RunInfo) progress.Reporter {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := &runState{d: d, info: run, started: d.opt.Now()}
	d.runs = append(d.runs, r)
	if d.opt.Terminal {
		r.text.Store("")
		id := run.ID
		if room := d.idRoom(); len(id) > room {
			id = id[:room]
		}
		r.bar = d.newBar(id, &r.text)
		d.draw()
	}
	return r
}

// Finish implements progress.Sink.
func (d *Display) Finish(id string, err error, elapsed time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, r := range d.runs {
		if r.info.ID == id {
			d.runs = append(d.runs[:i], d.runs[i+1:]...)
			if r.bar != nil {
				r.bar.Abort(true)
			}
			break
		}
	}
	d.finished++
	var line string
	if err != nil {
		d.failed++
		line = fmt.Sprintf("FAILED %s after %s: %v", id, fmtDur(elapsed), err)
	} else {
		line = fmt.Sprintf("done %s in %s", id, fmtDur(elapsed))
	}
	line += fmt.Sprintf(" [%d/%d runs%s]", d.finished, d.total, d.etaText())
	if d.opt.Terminal {
		fmt.Fprintln(d.live, line)
		d.draw()
		return
	}
	fmt.Fprintln(d.out, line)
}

// End implements progress.Sink.
func (d *Display) End() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.opt.Terminal {
		for _, r := range d.runs {
			r.bar.Abort(true)
		}
		d.runs = nil
		d.grid.SetCurrent(barScale) // complete: removed, and Wait returns
		d.live.Wait()
	}
	fmt.Fprintf(d.out, "finished %d of %d run%s", d.finished, d.total, english.Plural(d.total))
	if d.failed > 0 {
		fmt.Fprintf(d.out, ", %d failed", d.failed)
	}
	fmt.Fprintf(d.out, " in %s\n", fmtDur(d.opt.Now().Sub(d.begun)))
}

// Batch implements progress.Reporter.
func (r *runState) Batch(b progress.Batch) {
	d := r.d
	d.mu.Lock()
	defer d.mu.Unlock()
	r.last = b
	if d.opt.Terminal && d.opt.Now().Sub(d.lastDraw) >= d.opt.Interval {
		d.draw()
	}
}

// Epoch implements progress.Reporter.
func (r *runState) Epoch(e results.Epoch) {
	d := r.d
	d.mu.Lock()
	defer d.mu.Unlock()
	r.epochs = e.Epoch
	if r.last.Epoch < e.Epoch || (r.last.Epoch == e.Epoch && r.last.Batch < r.last.Batches) {
		r.last = progress.Batch{Epoch: e.Epoch, Batch: r.last.Batches, Batches: r.last.Batches,
			ImagesPerSec: r.last.ImagesPerSec, Loss: e.Loss, Accuracy: e.Accuracy}
	}
	took := fmtDur(time.Duration(e.Seconds * float64(time.Second)))
	if d.opt.Terminal {
		// Keras's habit: each finished epoch stays on screen as one line,
		// above the live bars.
		fmt.Fprintf(d.live, "%s epoch %d/%d - %s - loss: %.4f - accuracy: %.4f - val_loss: %.4f - val_accuracy: %.4f\n",
			r.info.ID, e.Epoch, r.info.Epochs, took, e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy)
		d.draw()
		return
	}
	fmt.Fprintf(d.out, "%s epoch %d/%d: loss %.4f accuracy %.4f val_loss %.4f val_accuracy %.4f (%s, ETA %s)\n",
		r.info.ID, e.Epoch, r.info.Epochs, e.Loss, e.Accuracy, e.ValLoss, e.ValAccuracy, took, r.eta(d.opt.Now()))
}

// fraction is how much of the run is done, in [0, 1].
func (r *runState) fraction() float64 {
	if r.info.Epochs <= 0 {
		return 0
	}
	f := float64(r.epochs)
	if r.last.Epoch > r.epochs && r.last.Batches > 0 {
		f = float64(r.last.Epoch-1) + float64(r.last.Batch)/float64(r.last.Batches)
	}
	return clamp(f / float64(r.info.Epochs))
}

func (r *runState) eta(now time.Time) string {
	return eta(now.Sub(r.started), r.fraction())
}

func (d *Display) etaText() string {
	if d.finished >= d.total {
		return ""
	}
	return ", ETA " + eta(d.opt.Now().Sub(d.begun), d.gridFraction())
}

func (d *Display) gridFraction() float64 {
	if d.total <= 0 {
		return 0
	}
	f := float64(d.finished)
	for _, r := range d.runs {
		f += r.fraction()
	}
	return clamp(f / float64(d.total))
}

// draw updates what the live bars show: each running run's fraction and
// line, and the grid's. mpb repaints them at its refresh rate.
func (d *Display) draw() {
	now := d.opt.Now()
	d.lastDraw = now
	// The id column is as wide as the longest id (or "grid"), within
	// the room the line leaves.
	idw := len("grid")
	for _, r := range d.runs {
		idw = max(idw, len(r.info.ID))
	}
	idw = min(idw, d.idRoom())
	for _, r := range d.runs {
		b := r.last
		line := fmt.Sprintf("epoch %d/%d", max(b.Epoch, 1), r.info.Epochs)
		if b.Batches > 0 {
			line += fmt.Sprintf(" batch %d/%d %.0f img/s loss %.4f acc %.4f", b.Batch, b.Batches, b.ImagesPerSec, b.Loss, b.Accuracy)
		}
		line += " ETA " + r.eta(now)
		r.text.Store(d.fit(line, idw))
		r.bar.SetCurrent(int64(r.fraction() * barScale))
	}
	grid := fmt.Sprintf("%d/%d runs done", d.finished, d.total)
	if d.failed > 0 {
		grid += fmt.Sprintf(" (%d failed)", d.failed)
	}
	grid += fmt.Sprintf(", %d running, elapsed %s%s", len(d.runs), fmtDur(now.Sub(d.begun)), d.etaText())
	d.gridText.Store(d.fit(grid, idw))
	// Not complete before End, even when every run so far is done.
	d.grid.SetCurrent(min(int64(d.gridFraction()*barScale), barScale-1))
}

// lineMargin is the columns mpb adds to a line of id, bar and text: a
// space after the (aligned) id and one on each side of the bar.
const lineMargin = 3

// idRoom is the most columns a run's id may take so that its line fits
// Options.Width with the bar.
func (d *Display) idRoom() int {
	if d.opt.Width <= 0 {
		return math.MaxInt32
	}
	return max(d.opt.Width-barWidth-lineMargin, 0)
}

// fit shortens the text after a bar so that the line (an id column of
// the given width, the bar and the text) fits Options.Width.
func (d *Display) fit(text string, idw int) string {
	if d.opt.Width <= 0 {
		return text
	}
	room := max(d.opt.Width-idw-barWidth-lineMargin, 0)
	if len(text) > room {
		text = text[:room]
	}
	return text
}

// eta estimates the time left when a fraction f took elapsed.
func eta(elapsed time.Duration, f float64) string {
	if f <= 0 {
		return "?"
	}
	return fmtDur(time.Duration(float64(elapsed) * (1 - f) / f))
}

// fmtDur formats a duration compactly: 4.3s, 45.0s, 3m07s, 2h05m; under a
// minute with tenths, as a short run or epoch is seconds long.
func fmtDur(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if tenths := d.Round(time.Second / 10); tenths < time.Minute {
		return fmt.Sprintf("%.1fs", tenths.Seconds())
	}
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
}

func clamp(f float64) float64 { return min(max(f, 0), 1) }
