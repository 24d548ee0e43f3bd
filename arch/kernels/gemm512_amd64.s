//go:build amd64 && !purego

#include "textflag.h"
#include "flush_amd64.h"

// AVX-512 (F) GEMM micro-kernels: 8 rows of C at a time, 32 or 16 columns
// (two or one zmm register per row), the same contract as sgemm4x16 in
// gemm_amd64.s otherwise. Every element of C is init + Σ_p a·b with one
// fused multiply-add per p, in order of p, as in the AVX2 kernels: the two
// paths give bit-identical products.
//
// Register use (both widths, direct and indirect):
//   AX flags, BX C block, CX k count, DX bias (or 0), DI B,
//   R8 lda bytes, R9 3·lda bytes, R10 ldb bytes (direct) or a row offset
//   (indirect), R11 ldc bytes, R12 boff pointer (indirect), R13 blocks
//   left, R14 A block, SI/R15 A rows 0 and 4 in the loop, and 3·ldc bytes
//   and C row 4 around it.

// C rows 4..7 start at R15 = BX + 4·ldc; SI = 3·ldc.
#define CROWS \
	LEAQ (R11)(R11*2), SI; \
	LEAQ (BX)(R11*4), R15

#define ZERO32 \
	VPXORD Z0, Z0, Z0; VPXORD Z1, Z1, Z1; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; VPXORD Z5, Z5, Z5; VPXORD Z6, Z6, Z6; VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; VPXORD Z9, Z9, Z9; VPXORD Z10, Z10, Z10; VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; VPXORD Z13, Z13, Z13; VPXORD Z14, Z14, Z14; VPXORD Z15, Z15, Z15

#define BIAS32 \
	VBROADCASTSS 0(DX), Z0; VMOVAPS Z0, Z1; \
	VBROADCASTSS 4(DX), Z2; VMOVAPS Z2, Z3; \
	VBROADCASTSS 8(DX), Z4; VMOVAPS Z4, Z5; \
	VBROADCASTSS 12(DX), Z6; VMOVAPS Z6, Z7; \
	VBROADCASTSS 16(DX), Z8; VMOVAPS Z8, Z9; \
	VBROADCASTSS 20(DX), Z10; VMOVAPS Z10, Z11; \
	VBROADCASTSS 24(DX), Z12; VMOVAPS Z12, Z13; \
	VBROADCASTSS 28(DX), Z14; VMOVAPS Z14, Z15

#define LOADC32 \
	CROWS; \
	VMOVUPS (BX), Z0; VMOVUPS 64(BX), Z1; \
	VMOVUPS (BX)(R11*1), Z2; VMOVUPS 64(BX)(R11*1), Z3; \
	VMOVUPS (BX)(R11*2), Z4; VMOVUPS 64(BX)(R11*2), Z5; \
	VMOVUPS (BX)(SI*1), Z6; VMOVUPS 64(BX)(SI*1), Z7; \
	VMOVUPS (R15), Z8; VMOVUPS 64(R15), Z9; \
	VMOVUPS (R15)(R11*1), Z10; VMOVUPS 64(R15)(R11*1), Z11; \
	VMOVUPS (R15)(R11*2), Z12; VMOVUPS 64(R15)(R11*2), Z13; \
	VMOVUPS (R15)(SI*1), Z14; VMOVUPS 64(R15)(SI*1), Z15

#define RELU32 \
	VPXORD Z16, Z16, Z16; \
	VMAXPS Z16, Z0, Z0; VMAXPS Z16, Z1, Z1; VMAXPS Z16, Z2, Z2; VMAXPS Z16, Z3, Z3; \
	VMAXPS Z16, Z4, Z4; VMAXPS Z16, Z5, Z5; VMAXPS Z16, Z6, Z6; VMAXPS Z16, Z7, Z7; \
	VMAXPS Z16, Z8, Z8; VMAXPS Z16, Z9, Z9; VMAXPS Z16, Z10, Z10; VMAXPS Z16, Z11, Z11; \
	VMAXPS Z16, Z12, Z12; VMAXPS Z16, Z13, Z13; VMAXPS Z16, Z14, Z14; VMAXPS Z16, Z15, Z15

#define STORE32 \
	CROWS; \
	VMOVUPS Z0, (BX); VMOVUPS Z1, 64(BX); \
	VMOVUPS Z2, (BX)(R11*1); VMOVUPS Z3, 64(BX)(R11*1); \
	VMOVUPS Z4, (BX)(R11*2); VMOVUPS Z5, 64(BX)(R11*2); \
	VMOVUPS Z6, (BX)(SI*1); VMOVUPS Z7, 64(BX)(SI*1); \
	VMOVUPS Z8, (R15); VMOVUPS Z9, 64(R15); \
	VMOVUPS Z10, (R15)(R11*1); VMOVUPS Z11, 64(R15)(R11*1); \
	VMOVUPS Z12, (R15)(R11*2); VMOVUPS Z13, 64(R15)(R11*2); \
	VMOVUPS Z14, (R15)(SI*1); VMOVUPS Z15, 64(R15)(SI*1)

// One step p of the 8×32 product: B's row p is in Z16, Z17.
#define FMA32 \
	VBROADCASTSS (SI), Z18; \
	VBROADCASTSS (SI)(R8*1), Z19; \
	VBROADCASTSS (SI)(R8*2), Z20; \
	VBROADCASTSS (SI)(R9*1), Z21; \
	VFMADD231PS Z16, Z18, Z0; VFMADD231PS Z17, Z18, Z1; \
	VFMADD231PS Z16, Z19, Z2; VFMADD231PS Z17, Z19, Z3; \
	VFMADD231PS Z16, Z20, Z4; VFMADD231PS Z17, Z20, Z5; \
	VFMADD231PS Z16, Z21, Z6; VFMADD231PS Z17, Z21, Z7; \
	VBROADCASTSS (R15), Z22; \
	VBROADCASTSS (R15)(R8*1), Z23; \
	VBROADCASTSS (R15)(R8*2), Z24; \
	VBROADCASTSS (R15)(R9*1), Z25; \
	VFMADD231PS Z16, Z22, Z8; VFMADD231PS Z17, Z22, Z9; \
	VFMADD231PS Z16, Z23, Z10; VFMADD231PS Z17, Z23, Z11; \
	VFMADD231PS Z16, Z24, Z12; VFMADD231PS Z17, Z24, Z13; \
	VFMADD231PS Z16, Z25, Z14; VFMADD231PS Z17, Z25, Z15

#define ZERO16 \
	VPXORD Z0, Z0, Z0; VPXORD Z1, Z1, Z1; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; VPXORD Z5, Z5, Z5; VPXORD Z6, Z6, Z6; VPXORD Z7, Z7, Z7

#define BIAS16 \
	VBROADCASTSS 0(DX), Z0; VBROADCASTSS 4(DX), Z1; \
	VBROADCASTSS 8(DX), Z2; VBROADCASTSS 12(DX), Z3; \
	VBROADCASTSS 16(DX), Z4; VBROADCASTSS 20(DX), Z5; \
	VBROADCASTSS 24(DX), Z6; VBROADCASTSS 28(DX), Z7

#define LOADC16 \
	CROWS; \
	VMOVUPS (BX), Z0; VMOVUPS (BX)(R11*1), Z1; \
	VMOVUPS (BX)(R11*2), Z2; VMOVUPS (BX)(SI*1), Z3; \
	VMOVUPS (R15), Z4; VMOVUPS (R15)(R11*1), Z5; \
	VMOVUPS (R15)(R11*2), Z6; VMOVUPS (R15)(SI*1), Z7

#define RELU16 \
	VPXORD Z16, Z16, Z16; \
	VMAXPS Z16, Z0, Z0; VMAXPS Z16, Z1, Z1; VMAXPS Z16, Z2, Z2; VMAXPS Z16, Z3, Z3; \
	VMAXPS Z16, Z4, Z4; VMAXPS Z16, Z5, Z5; VMAXPS Z16, Z6, Z6; VMAXPS Z16, Z7, Z7

#define STORE16 \
	CROWS; \
	VMOVUPS Z0, (BX); VMOVUPS Z1, (BX)(R11*1); \
	VMOVUPS Z2, (BX)(R11*2); VMOVUPS Z3, (BX)(SI*1); \
	VMOVUPS Z4, (R15); VMOVUPS Z5, (R15)(R11*1); \
	VMOVUPS Z6, (R15)(R11*2); VMOVUPS Z7, (R15)(SI*1)

// One step p of the 8×16 product: B's row p is in Z16.
#define FMA16 \
	VBROADCASTSS (SI), Z18; \
	VBROADCASTSS (SI)(R8*1), Z19; \
	VBROADCASTSS (SI)(R8*2), Z20; \
	VBROADCASTSS (SI)(R9*1), Z21; \
	VFMADD231PS Z16, Z18, Z0; VFMADD231PS Z16, Z19, Z1; \
	VFMADD231PS Z16, Z20, Z2; VFMADD231PS Z16, Z21, Z3; \
	VBROADCASTSS (R15), Z22; \
	VBROADCASTSS (R15)(R8*1), Z23; \
	VBROADCASTSS (R15)(R8*2), Z24; \
	VBROADCASTSS (R15)(R9*1), Z25; \
	VFMADD231PS Z16, Z22, Z4; VFMADD231PS Z16, Z23, Z5; \
	VFMADD231PS Z16, Z24, Z6; VFMADD231PS Z16, Z25, Z7

#define ARGS \
	MOVQ mb+0(FP), R13; \
	MOVQ a+16(FP), R14; \
	MOVQ lda+24(FP), R8; \
	MOVQ c+48(FP), BX; \
	MOVQ ldc+56(FP), R11; \
	MOVQ bias+64(FP), DX; \
	MOVQ flags+72(FP), AX; \
	SHLQ $2, R8; \
	LEAQ (R8)(R8*2), R9; \
	SHLQ $2, R11

// Next block: A and C 8 rows on, the bias 8 values on.
#define NEXTBLOCK \
	LEAQ (R14)(R8*8), R14; \
	LEAQ (BX)(R11*8), BX

// func sgemm8x32z(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)
//
// For each of mb row blocks r0 = 0, 8, 16, ...:
// C[r0:r0+8][0:32] = init + A[r0:r0+8][0:k] · B[0:k][0:32], init and
// flags as for sgemm4x16. k must be at least 1.
TEXT ·sgemm8x32z(SB), NOSPLIT, $8-80
	FLUSH_ON
	ARGS
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10

d32block:
	TESTQ $1, AX
	JNZ   d32loadc
	TESTQ DX, DX
	JNZ   d32bias
	ZERO32
	JMP   d32body
d32bias:
	BIAS32
	JMP d32body
d32loadc:
	LOADC32

d32body:
	MOVQ k+8(FP), CX
	MOVQ R14, SI
	LEAQ (R14)(R8*4), R15
	MOVQ b+32(FP), DI

d32loop:
	VMOVUPS (DI), Z16
	VMOVUPS 64(DI), Z17
	FMA32
	ADDQ $4, SI
	ADDQ $4, R15
	ADDQ R10, DI
	DECQ CX
	JNZ  d32loop

	TESTQ $2, AX
	JZ    d32write
	RELU32
d32write:
	STORE32
	NEXTBLOCK
	TESTQ DX, DX
	JZ    d32nobias
	ADDQ  $32, DX
d32nobias:
	DECQ R13
	JNZ  d32block
	VZEROUPPER
	FLUSH_OFF
	RET

// func sgemm8x16z(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)
//
// sgemm8x32z for 16 columns.
TEXT ·sgemm8x16z(SB), NOSPLIT, $8-80
	FLUSH_ON
	ARGS
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10

d16block:
	TESTQ $1, AX
	JNZ   d16loadc
	TESTQ DX, DX
	JNZ   d16bias
	ZERO16
	JMP   d16body
d16bias:
	BIAS16
	JMP d16body
d16loadc:
	LOADC16

d16body:
	MOVQ k+8(FP), CX
	MOVQ R14, SI
	LEAQ (R14)(R8*4), R15
	MOVQ b+32(FP), DI

d16loop:
	VMOVUPS (DI), Z16
	FMA16
	ADDQ $4, SI
	ADDQ $4, R15
	ADDQ R10, DI
	DECQ CX
	JNZ  d16loop

	TESTQ $2, AX
	JZ    d16write
	RELU16
d16write:
	STORE16
	NEXTBLOCK
	TESTQ DX, DX
	JZ    d16nobias
	ADDQ  $32, DX
d16nobias:
	DECQ R13
	JNZ  d16block
	VZEROUPPER
	FLUSH_OFF
	RET

// func sgemm8x32zib(mb, k int, a *float32, lda int, b *float32, boff *int, c *float32, ldc int, bias *float32, flags int)
//
// sgemm8x32z with an indirect B: row p of B starts at b + boff[p]
// (elements) instead of b + p·ldb. Each step prefetches row p's next 32
// columns, the next strip's: its k rows are scattered through the shifted
// copies, too many streams for the hardware prefetchers, and the strip's
// first row block would otherwise wait on L2 for each of them (on an
// Intel Xeon with AVX-512, training 3% to 7% faster a step, median of
// alternating rounds). A prefetch past the buffer's end does not fault.
TEXT ·sgemm8x32zib(SB), NOSPLIT, $8-80
	FLUSH_ON
	ARGS
	MOVQ b+32(FP), DI

i32block:
	TESTQ $1, AX
	JNZ   i32loadc
	TESTQ DX, DX
	JNZ   i32bias
	ZERO32
	JMP   i32body
i32bias:
	BIAS32
	JMP i32body
i32loadc:
	LOADC32

i32body:
	MOVQ k+8(FP), CX
	MOVQ R14, SI
	LEAQ (R14)(R8*4), R15
	MOVQ boff+40(FP), R12

i32loop:
	MOVQ    (R12), R10
	VMOVUPS (DI)(R10*4), Z16
	VMOVUPS 64(DI)(R10*4), Z17
	PREFETCHT0 128(DI)(R10*4)
	PREFETCHT0 192(DI)(R10*4)
	FMA32
	ADDQ $4, SI
	ADDQ $4, R15
	ADDQ $8, R12
	DECQ CX
	JNZ  i32loop

	TESTQ $2, AX
	JZ    i32write
	RELU32
i32write:
	STORE32
	NEXTBLOCK
	TESTQ DX, DX
	JZ    i32nobias
	ADDQ  $32, DX
i32nobias:
	DECQ R13
	JNZ  i32block
	VZEROUPPER
	FLUSH_OFF
	RET

// func sgemm8x16zib(mb, k int, a *float32, lda int, b *float32, boff *int, c *float32, ldc int, bias *float32, flags int)
//
// sgemm8x32zib for 16 columns, prefetching the next 16.
TEXT ·sgemm8x16zib(SB), NOSPLIT, $8-80
	FLUSH_ON
	ARGS
	MOVQ b+32(FP), DI

i16block:
	TESTQ $1, AX
	JNZ   i16loadc
	TESTQ DX, DX
	JNZ   i16bias
	ZERO16
	JMP   i16body
i16bias:
	BIAS16
	JMP i16body
i16loadc:
	LOADC16

i16body:
	MOVQ k+8(FP), CX
	MOVQ R14, SI
	LEAQ (R14)(R8*4), R15
	MOVQ boff+40(FP), R12

i16loop:
	MOVQ    (R12), R10
	VMOVUPS (DI)(R10*4), Z16
	PREFETCHT0 64(DI)(R10*4)
	FMA16
	ADDQ $4, SI
	ADDQ $4, R15
	ADDQ $8, R12
	DECQ CX
	JNZ  i16loop

	TESTQ $2, AX
	JZ    i16write
	RELU16
i16write:
	STORE16
	NEXTBLOCK
	TESTQ DX, DX
	JZ    i16nobias
	ADDQ  $32, DX
i16nobias:
	DECQ R13
	JNZ  i16block
	VZEROUPPER
	FLUSH_OFF
	RET

// The 16×16 kernel keeps 16 accumulators in flight: with 8 (sgemm8x16z)
// each FMA waits on the one before in its register, and the product runs
// at about the FMA latency, not its throughput. It is for strips 16 wide
// of tall products (the filter gradient of 16 filters).
//
// Registers: as sgemm8x16z, and R12, R13 A rows 8 and 12 in the loop (C
// rows 8 and 12 around it); the blocks left are counted in mb's slot.

// C rows 4, 8 and 12 at R15, R12, R13; SI = 3·ldc.
#define CROWS16 \
	LEAQ (R11)(R11*2), SI; \
	LEAQ (BX)(R11*4), R15; \
	LEAQ (BX)(R11*8), R12; \
	LEAQ (R12)(R11*4), R13

#define ZERO1616 \
	ZERO16; \
	VPXORD Z8, Z8, Z8; VPXORD Z9, Z9, Z9; VPXORD Z10, Z10, Z10; VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; VPXORD Z13, Z13, Z13; VPXORD Z14, Z14, Z14; VPXORD Z15, Z15, Z15

#define BIAS1616 \
	BIAS16; \
	VBROADCASTSS 32(DX), Z8; VBROADCASTSS 36(DX), Z9; \
	VBROADCASTSS 40(DX), Z10; VBROADCASTSS 44(DX), Z11; \
	VBROADCASTSS 48(DX), Z12; VBROADCASTSS 52(DX), Z13; \
	VBROADCASTSS 56(DX), Z14; VBROADCASTSS 60(DX), Z15

#define LOADC1616 \
	CROWS16; \
	VMOVUPS (BX), Z0; VMOVUPS (BX)(R11*1), Z1; \
	VMOVUPS (BX)(R11*2), Z2; VMOVUPS (BX)(SI*1), Z3; \
	VMOVUPS (R15), Z4; VMOVUPS (R15)(R11*1), Z5; \
	VMOVUPS (R15)(R11*2), Z6; VMOVUPS (R15)(SI*1), Z7; \
	VMOVUPS (R12), Z8; VMOVUPS (R12)(R11*1), Z9; \
	VMOVUPS (R12)(R11*2), Z10; VMOVUPS (R12)(SI*1), Z11; \
	VMOVUPS (R13), Z12; VMOVUPS (R13)(R11*1), Z13; \
	VMOVUPS (R13)(R11*2), Z14; VMOVUPS (R13)(SI*1), Z15

#define RELU1616 \
	RELU16; \
	VMAXPS Z16, Z8, Z8; VMAXPS Z16, Z9, Z9; VMAXPS Z16, Z10, Z10; VMAXPS Z16, Z11, Z11; \
	VMAXPS Z16, Z12, Z12; VMAXPS Z16, Z13, Z13; VMAXPS Z16, Z14, Z14; VMAXPS Z16, Z15, Z15

#define STORE1616 \
	CROWS16; \
	VMOVUPS Z0, (BX); VMOVUPS Z1, (BX)(R11*1); \
	VMOVUPS Z2, (BX)(R11*2); VMOVUPS Z3, (BX)(SI*1); \
	VMOVUPS Z4, (R15); VMOVUPS Z5, (R15)(R11*1); \
	VMOVUPS Z6, (R15)(R11*2); VMOVUPS Z7, (R15)(SI*1); \
	VMOVUPS Z8, (R12); VMOVUPS Z9, (R12)(R11*1); \
	VMOVUPS Z10, (R12)(R11*2); VMOVUPS Z11, (R12)(SI*1); \
	VMOVUPS Z12, (R13); VMOVUPS Z13, (R13)(R11*1); \
	VMOVUPS Z14, (R13)(R11*2); VMOVUPS Z15, (R13)(SI*1)

// One step p of the 16×16 product: B's row p is in Z16.
#define FMA1616 \
	VBROADCASTSS (SI), Z17; \
	VBROADCASTSS (SI)(R8*1), Z18; \
	VBROADCASTSS (SI)(R8*2), Z19; \
	VBROADCASTSS (SI)(R9*1), Z20; \
	VFMADD231PS Z16, Z17, Z0; VFMADD231PS Z16, Z18, Z1; \
	VFMADD231PS Z16, Z19, Z2; VFMADD231PS Z16, Z20, Z3; \
	VBROADCASTSS (R15), Z21; \
	VBROADCASTSS (R15)(R8*1), Z22; \
	VBROADCASTSS (R15)(R8*2), Z23; \
	VBROADCASTSS (R15)(R9*1), Z24; \
	VFMADD231PS Z16, Z21, Z4; VFMADD231PS Z16, Z22, Z5; \
	VFMADD231PS Z16, Z23, Z6; VFMADD231PS Z16, Z24, Z7; \
	VBROADCASTSS (R12), Z25; \
	VBROADCASTSS (R12)(R8*1), Z26; \
	VBROADCASTSS (R12)(R8*2), Z27; \
	VBROADCASTSS (R12)(R9*1), Z28; \
	VFMADD231PS Z16, Z25, Z8; VFMADD231PS Z16, Z26, Z9; \
	VFMADD231PS Z16, Z27, Z10; VFMADD231PS Z16, Z28, Z11; \
	VBROADCASTSS (R13), Z29; \
	VBROADCASTSS (R13)(R8*1), Z30; \
	VBROADCASTSS (R13)(R8*2), Z31; \
	VBROADCASTSS (R13)(R9*1), Z17; \
	VFMADD231PS Z16, Z29, Z12; VFMADD231PS Z16, Z30, Z13; \
	VFMADD231PS Z16, Z31, Z14; VFMADD231PS Z16, Z17, Z15

// func sgemm16x16z(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)
//
// sgemm8x16z for blocks of 16 rows: C[r0:r0+16][0:16] for r0 = 0, 16, ...
TEXT ·sgemm16x16z(SB), NOSPLIT, $8-80
	FLUSH_ON
	ARGS
	MOVQ ldb+40(FP), R10
	SHLQ $2, R10

q16block:
	TESTQ $1, AX
	JNZ   q16loadc
	TESTQ DX, DX
	JNZ   q16bias
	ZERO1616
	JMP   q16body
q16bias:
	BIAS1616
	JMP q16body
q16loadc:
	LOADC1616

q16body:
	MOVQ k+8(FP), CX
	MOVQ R14, SI
	LEAQ (R14)(R8*4), R15
	LEAQ (R14)(R8*8), R12
	LEAQ (R12)(R8*4), R13
	MOVQ b+32(FP), DI

q16loop:
	VMOVUPS (DI), Z16
	FMA1616
	ADDQ $4, SI
	ADDQ $4, R15
	ADDQ $4, R12
	ADDQ $4, R13
	ADDQ R10, DI
	DECQ CX
	JNZ  q16loop

	TESTQ $2, AX
	JZ    q16write
	RELU1616
q16write:
	STORE1616
	LEAQ (R14)(R8*8), R14
	LEAQ (R14)(R8*8), R14
	LEAQ (BX)(R11*8), BX
	LEAQ (BX)(R11*8), BX
	TESTQ DX, DX
	JZ    q16nobias
	ADDQ  $64, DX
q16nobias:
	DECQ mb+0(FP)
	JNZ  q16block
	VZEROUPPER
	FLUSH_OFF
	RET
