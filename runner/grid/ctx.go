package grid

import (
	"context"
	"runtime"
)

type ctxKey int

const (
	threadsKey ctxKey = iota
	checkpointerKey
)

// WithThreads returns a context carrying a thread budget for training.
func WithThreads(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, threadsKey, n)
}

// Threads is the number of threads training may use: the budget Execute
// gave this run (the cores split between the runs that train at once), or
// runtime.GOMAXPROCS(0) outside Execute.
func Threads(ctx context.Context) int {
	if n, ok := ctx.Value(threadsKey).(int); ok && n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// WithCheckpointer returns a context carrying a run's checkpointer.
func WithCheckpointer(ctx context.Context, c *Checkpointer) context.Context {
	return context.WithValue(ctx, checkpointerKey, c)
}

// CheckpointerFrom returns the checkpointer Execute opened for the run, or
// nil outside Execute (a nil *Checkpointer saves nothing and has nothing to
// resume from).
func CheckpointerFrom(ctx context.Context) *Checkpointer {
	c, _ := ctx.Value(checkpointerKey).(*Checkpointer)
	return c
}
