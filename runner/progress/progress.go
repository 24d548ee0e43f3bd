// Package progress shows how training runs advance. Training calls a
// Reporter once per batch and once per epoch; the runner opens one Reporter
// per run from a Sink, such as package live's, which renders either live
// bars (on a terminal: one per running run plus the grid's overall
// progress) or plain log lines (otherwise: one line per epoch per run and
// one per finished run).
package progress

import (
	"time"

	"convlab/runner/results"
)

// Batch is the state of a run after one training batch.
type Batch struct {
	Epoch   int // 1-based
	Batch   int // 1-based, within the epoch
	Batches int // batches per epoch
	// ImagesPerSec is the training throughput over the epoch so far.
	ImagesPerSec float64
	// Loss and Accuracy are the epoch's running means, as Keras shows them.
	Loss     float64
	Accuracy float64
}

// Reporter receives the progress of one run. Training calls Batch after
// every batch and Epoch after every epoch (with the finished history row,
// whose Epoch field is 1-based). Implementations are safe for concurrent use.
type Reporter interface {
	Batch(b Batch)
	Epoch(e results.Epoch)
}

// RunInfo describes a run that starts training.
type RunInfo struct {
	ID     string
	Epochs int
}

// Sink renders the progress of a whole grid of runs. The runner calls Begin
// once with the number of runs it will train, Start when a run begins
// training, Finish when it ends (err nil on success), and End at the end.
// Implementations are safe for concurrent use.
type Sink interface {
	Begin(total int)
	Start(run RunInfo) Reporter
	Finish(id string, err error, elapsed time.Duration)
	End()
}

// Discard is a Sink and Reporter that shows nothing.
var Discard discard

type discard struct{}

func (discard) Begin(int)                           {}
func (discard) Start(RunInfo) Reporter              { return discard{} }
func (discard) Finish(string, error, time.Duration) {}
func (discard) End()                                {}
func (discard) Batch(Batch)                         {}
func (discard) Epoch(results.Epoch)                 {}
