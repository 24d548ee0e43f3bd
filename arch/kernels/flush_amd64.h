// Denormals are flushed to zero inside the matrix products, as TensorFlow
// (and so Keras) does in every op it runs (port::ScopedFlushDenormal): on
// Intel CPUs a multiply-add whose input or result is subnormal takes a
// microcode assist, and a net whose gradients underflow trained up to 25
// times slower a step. The products run with the MXCSR's flush-to-zero (bit 15)
// and denormals-are-zero (bit 6) flags set and restore the caller's MXCSR
// before they return, so Go code never sees the flags. Go does not
// preempt assembly, so the flags never leave the function's thread.
//
// A function that uses them declares an 8-byte frame. FLUSH_ON keeps the
// caller's MXCSR at mxcsr-8(SP) and uses AX, so it comes before the
// function loads its arguments; FLUSH_OFF goes before each RET.
#define FLUSH_ON \
	STMXCSR mxcsr-8(SP); \
	MOVL    mxcsr-8(SP), AX; \
	ORL     $0x8040, AX; \
	MOVL    AX, flush-4(SP); \
	LDMXCSR flush-4(SP)

#define FLUSH_OFF LDMXCSR mxcsr-8(SP)
