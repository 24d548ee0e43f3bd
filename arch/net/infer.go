package net

import (
	"fmt"
	"sync"
	"sync/atomic"

	"convlab/arch"
	"convlab/arch/kernels"
)

// Inference (Predict, Evaluate, validation) does not go through a gorgonia
// graph: it calls the kernels directly, layer after layer, on buffers kept
// from call to call. Each worker carries a group of inferGroup images
// through the whole net before taking the next group, so a group's
// activations stay in the worker's caches from one layer to the next and
// the workers never wait for one another between layers (a graph runs each
// layer on the whole batch, then the next). Every image's values go
// through the same kernels, in the same order of sums, as in the graph:
// the logits are the same, bit for bit, for any group size and any number
// of workers.

// inferGroup is how many images a worker carries through the net at once:
// enough to fill the matrix products' tiles, few enough that a group's
// largest activation (deeper's first layer: 8×32×32 values an image) and
// its successor stay in a core's 1 MiB level-2 cache.
const inferGroup = 8

// inferChunk is how many images forEachChunk converts to float32 at a
// time (6 MiB for 3×32×32 images): the workers share a chunk's groups.
const inferChunk = 512

// Kinds of an inference step.
const (
	stepConv = iota
	stepPool
	stepDense
)

// inferStep is one layer of the inference plan; dropout and flatten have
// none (dropout is off, and flattening a channels-first tensor moves
// nothing).
type inferStep struct {
	kind int
	conv kernels.ConvGeom // N is set per group
	pool kernels.PoolGeom
	w, b *Param
	d, u int // dense inputs and units
	relu bool
	out  int // values per image after the step
}

// inferPlan is the model's layers as kernel calls.
type inferPlan struct {
	steps  []inferStep
	maxOut int // the largest activation, values per image
}

// inferScratch is one worker's pair of activation buffers.
type inferScratch[T kernels.Float] struct {
	a, b []T
}

// inferState is what inference keeps from call to call: the plan, a
// chunk's images and logits, the workers' scratch.
type inferState struct {
	plan         *inferPlan
	x32, logit32 []float32
	x64, logit64 []float64
	scr32        []inferScratch[float32]
	scr64        []inferScratch[float64]
	logits       []float64 // a chunk's logits as f gets them
}

// resize returns s with length n, reallocated only when too short.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// forEachChunk runs inference (dropout off) on n images in chunks of up
// to inferChunk: fill writes images [start, start+count) into dst
// (count·size values), then f gets the chunk's first image index, its
// image count and its logits (as float64, row-major count×K).
func (m *Model) forEachChunk(n int, fill func(dst []float32, start, count int), f func(start, count int, logits []float64)) error {
	if m.infer == nil {
		p, err := m.plan()
		if err != nil {
			return fmt.Errorf("predict: %w", err)
		}
		m.infer = &inferState{plan: p}
	}
	st := m.infer
	size, k := m.in.Size(), m.classes
	chunk := min(n, inferChunk)
	st.x32 = resize(st.x32, chunk*size)
	st.logits = resize(st.logits, chunk*k)
	threads := m.opsCfg.Threads()
	for start := 0; start < n; start += chunk {
		count := min(chunk, n-start)
		x := st.x32[:count*size]
		fill(x, start, count)
		logits := st.logits[:count*k]
		if _, ok := any(m.params[0].value.Data()).([]float64); ok {
			st.x64 = resize(st.x64, count*size)
			st.logit64 = resize(st.logit64, count*k)
			convert(st.x64, x)
			forward(st.plan, st.x64, count, size, st.logit64, threads, &st.scr64)
			convert(logits, st.logit64)
		} else {
			st.logit32 = resize(st.logit32, count*k)
			forward(st.plan, x, count, size, st.logit32, threads, &st.scr32)
			convert(logits, st.logit32)
		}
		f(start, count, logits)
	}
	return nil
}

// plan turns the model's layers into kernel calls.
func (m *Model) plan() (*inferPlan, error) {
	p := &inferPlan{}
	pi := 0
	for i, li := range m.infos {
		l := li.Layer
		in, out := li.Input, li.Output
		var s inferStep
		var err error
		switch l.Kind {
		case arch.KindConv2D:
			s = inferStep{kind: stepConv, w: m.params[pi], b: m.params[pi+1], relu: l.Activation == arch.ActReLU}
			s.conv, err = kernels.NewConvGeom(1, in.C, in.H, in.W, l.Filters, l.Kernel, l.Stride, l.Padding)
			s.conv.Workers = 1
			pi += 2
		case arch.KindMaxPool2D:
			s = inferStep{kind: stepPool}
			s.pool, err = kernels.NewPoolGeom(1, in.C, in.H, in.W, l.Pool)
			s.pool.Workers = 1
		case arch.KindDense:
			s = inferStep{kind: stepDense, w: m.params[pi], b: m.params[pi+1], d: in.Size(), u: l.Units, relu: l.Activation == arch.ActReLU}
			pi += 2
		case arch.KindDropout, arch.KindFlatten:
			continue
		default:
			err = fmt.Errorf("unknown layer kind %q", l.Kind)
		}
		if err != nil {
			return nil, fmt.Errorf("inference plan %s: layer %d (%s): %w", m.arch.Name, i+1, li.Name, err)
		}
		s.out = out.Size()
		p.maxOut = max(p.maxOut, s.out)
		p.steps = append(p.steps, s)
	}
	return p, nil
}

// values returns p's weights as a []T (the model's element type).
func values[T kernels.Float](p *Param) []T {
	v, _ := p.value.Data().([]T)
	return v
}

// forward runs the n images x through the net and writes their logits
// (n×K) to logits, on up to threads workers, each with its own scratch.
func forward[T kernels.Float](p *inferPlan, x []T, n, size int, logits []T, threads int, scratch *[]inferScratch[T]) {
	groups := (n + inferGroup - 1) / inferGroup
	workers := max(1, min(threads, groups))
	for len(*scratch) < workers {
		*scratch = append(*scratch, inferScratch[T]{
			a: make([]T, inferGroup*p.maxOut),
			b: make([]T, inferGroup*p.maxOut),
		})
	}
	k := p.steps[len(p.steps)-1].out
	// The weights' slices, looked up once: a tensor's Data allocates.
	wb := make([][2][]T, len(p.steps))
	for i, st := range p.steps {
		if st.w != nil {
			wb[i] = [2][]T{values[T](st.w), values[T](st.b)}
		}
	}
	var next atomic.Int64
	work := func(s *inferScratch[T]) {
		for {
			gi := int(next.Add(1)) - 1
			if gi >= groups {
				return
			}
			lo := gi * inferGroup
			cnt := min(inferGroup, n-lo)
			runGroup(p, wb, x[lo*size:(lo+cnt)*size], cnt, s, logits[lo*k:(lo+cnt)*k])
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func(s *inferScratch[T]) {
			defer wg.Done()
			work(s)
		}(&(*scratch)[w])
	}
	work(&(*scratch)[0])
	wg.Wait()
}

// runGroup runs the cnt images x through every step of p, whose weights
// and biases are wb; the last step writes dst.
func runGroup[T kernels.Float](p *inferPlan, wb [][2][]T, x []T, cnt int, s *inferScratch[T], dst []T) {
	cur := x
	bufs := [2][]T{s.a, s.b}
	for i, st := range p.steps {
		out := bufs[i%2][:cnt*st.out]
		if i == len(p.steps)-1 {
			out = dst
		}
		switch st.kind {
		case stepConv:
			g := st.conv
			g.N = cnt
			kernels.Conv2DForward(g, cur, wb[i][0], wb[i][1], out, st.relu)
		case stepPool:
			g := st.pool
			g.N = cnt
			kernels.MaxPoolForward(g, cur, out)
		case stepDense:
			kernels.DenseForward(cur, wb[i][0], wb[i][1], out, cnt, st.d, st.u, st.relu, 1)
		}
		cur = out
	}
}
