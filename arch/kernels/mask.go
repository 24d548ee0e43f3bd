package kernels

import "sync"

// Mul sets out[i] = a[i]·b[i] for i < len(a): dropout's mask applied to
// a layer's output or to its gradient. Products are exact per element,
// so every kernel path and thread count gives the same bits.
func Mul[T Float](a, b, out []T, workers int) {
	b, out = b[:len(a)], out[:len(a)]
	a32, ok := as32(a)
	if !ok || forceRef {
		refMul(a, b, out)
		return
	}
	b32, _ := as32(b)
	out32, _ := as32(out)
	if len(a32) < 2*minElemsPerPart {
		mul32(a32, b32, out32)
		return
	}
	j := mulJobs.Get().(*mulJob)
	j.a, j.b, j.out = a32, b32, out32
	j.parts = resolveWorkers(workers, len(a32)/minElemsPerPart)
	runParallel(j, j.parts, &j.wg)
	j.a, j.b, j.out = nil, nil, nil
	mulJobs.Put(j)
}

type mulJob struct {
	a, b, out []float32
	parts     int
	wg        sync.WaitGroup
}

var mulJobs = sync.Pool{New: func() any { return new(mulJob) }}

func (j *mulJob) runPart(p int) {
	lo, hi := split(len(j.a), j.parts, p)
	mul32(j.a[lo:hi], j.b[lo:hi], j.out[lo:hi])
}

func refMul[T Float](a, b, out []T) {
	for i, v := range a {
		out[i] = v * b[i]
	}
}
