package live

import (
	"fmt"
	"io"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// DownloadBar is the live bar of a download on a terminal (the CIFAR-10
// archive's: the command line makes it dataset.TerminalBar): percent, MB,
// MB/s and ETA, redrawn in place by mpb, as the training runs' bars.
type DownloadBar struct {
	live  *mpb.Progress
	bar   *mpb.Bar
	total int64 // -1 when unknown
	done  int64
}

// downloadRedraw is how often the download bar is redrawn.
const downloadRedraw = 200 * time.Millisecond

const mb = 1e6

// NewDownloadBar starts the bar of a download of total bytes (-1 when
// unknown) called name on w.
func NewDownloadBar(w io.Writer, name string, total int64) *DownloadBar {
	start := time.Now()
	b := &DownloadBar{total: total}
	b.live = mpb.New(mpb.WithOutput(w), mpb.ForceTTY(), mpb.WithAutoRefresh(), mpb.WithRefreshRate(downloadRedraw))
	b.bar = b.live.New(max(total, 0), barStyle(), mpb.BarWidth(30),
		mpb.PrependDecorators(decor.Name("downloading "+name)),
		mpb.AppendDecorators(
			decor.Percentage(decor.WCSyncSpace),
			// MB and MB/s as the plain lines of a download give them.
			decor.Any(func(st decor.Statistics) string {
				rate := 0.0
				if secs := time.Since(start).Seconds(); secs > 0 {
					rate = float64(st.Current) / mb / secs
				}
				if total <= 0 {
					return fmt.Sprintf("%.1f MB  %.1f MB/s", float64(st.Current)/mb, rate)
				}
				return fmt.Sprintf("%.1f / %.1f MB  %.1f MB/s", float64(st.Current)/mb, float64(total)/mb, rate)
			}, decor.WCSyncSpace),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_MMSS, decor.WCSyncSpace), "")))
	return b
}

// Write advances the bar by the bytes that arrived.
func (b *DownloadBar) Write(p []byte) (int, error) {
	b.done += int64(len(p))
	b.bar.IncrBy(len(p))
	return len(p), nil
}

// Finish draws the last state, which stays on the terminal: complete, or
// stopped where the download stopped.
func (b *DownloadBar) Finish() {
	if b.total <= 0 {
		b.bar.SetTotal(-1, true) // the size is what arrived
	} else if b.done < b.total {
		b.bar.Abort(false)
	}
	b.live.Wait()
}
