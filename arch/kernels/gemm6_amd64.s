//go:build amd64 && !purego

#include "textflag.h"
#include "flush_amd64.h"

// The 6×16 AVX2 micro-kernels. The 4×16 ones (gemm_amd64.s) keep 8
// accumulators: exactly the FMAs in flight that two 4-cycle FMA pipes
// need, so any stall shows, and a broadcast and half a B load for every
// two FMAs. 6×16 keeps 12 (Y0-Y11), with B's row in Y12, Y13 and the
// broadcasts in Y14, Y15: a third fewer loads per FMA and slack in the
// pipes (on a Zen 3 core, 36% to 60% of its peak for 4×16 on the study's
// shapes). Each C value gets the same FMAs in the same order of p as in
// sgemm4x16, so the two give the same products, bit for bit.
//
// Registers: R13 row blocks left, R14 A's block, R8 lda (bytes), BX C's
// block, R11 ldc and R12 3·ldc (bytes), DX the bias (or nil), AX the
// flags; per block SI and R15 A's rows 0 and 3, DI B's row, CX k left
// (C's row 3 while C is loaded or stored).

#define ZERO12 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11

#define BIAS6 \
	VBROADCASTSS 0(DX), Y0; \
	VMOVAPS      Y0, Y1; \
	VBROADCASTSS 4(DX), Y2; \
	VMOVAPS      Y2, Y3; \
	VBROADCASTSS 8(DX), Y4; \
	VMOVAPS      Y4, Y5; \
	VBROADCASTSS 12(DX), Y6; \
	VMOVAPS      Y6, Y7; \
	VBROADCASTSS 16(DX), Y8; \
	VMOVAPS      Y8, Y9; \
	VBROADCASTSS 20(DX), Y10; \
	VMOVAPS      Y10, Y11

#define LOADC6 \
	LEAQ    (BX)(R12*1), CX; \
	VMOVUPS (BX), Y0; \
	VMOVUPS 32(BX), Y1; \
	VMOVUPS (BX)(R11*1), Y2; \
	VMOVUPS 32(BX)(R11*1), Y3; \
	VMOVUPS (BX)(R11*2), Y4; \
	VMOVUPS 32(BX)(R11*2), Y5; \
	VMOVUPS (CX), Y6; \
	VMOVUPS 32(CX), Y7; \
	VMOVUPS (CX)(R11*1), Y8; \
	VMOVUPS 32(CX)(R11*1), Y9; \
	VMOVUPS (CX)(R11*2), Y10; \
	VMOVUPS 32(CX)(R11*2), Y11

// STEP6 adds A's column at byte off of rows SI, R15 times the B row in
// Y12, Y13 to the 12 accumulators.
#define STEP6(off) \
	VBROADCASTSS off(SI), Y14; \
	VFMADD231PS  Y12, Y14, Y0; \
	VFMADD231PS  Y13, Y14, Y1; \
	VBROADCASTSS off(SI)(R8*1), Y15; \
	VFMADD231PS  Y12, Y15, Y2; \
	VFMADD231PS  Y13, Y15, Y3; \
	VBROADCASTSS off(SI)(R8*2), Y14; \
	VFMADD231PS  Y12, Y14, Y4; \
	VFMADD231PS  Y13, Y14, Y5; \
	VBROADCASTSS off(R15), Y15; \
	VFMADD231PS  Y12, Y15, Y6; \
	VFMADD231PS  Y13, Y15, Y7; \
	VBROADCASTSS off(R15)(R8*1), Y14; \
	VFMADD231PS  Y12, Y14, Y8; \
	VFMADD231PS  Y13, Y14, Y9; \
	VBROADCASTSS off(R15)(R8*2), Y15; \
	VFMADD231PS  Y12, Y15, Y10; \
	VFMADD231PS  Y13, Y15, Y11

#define RELU12 \
	VXORPS Y12, Y12, Y12; \
	VMAXPS Y12, Y0, Y0; \
	VMAXPS Y12, Y1, Y1; \
	VMAXPS Y12, Y2, Y2; \
	VMAXPS Y12, Y3, Y3; \
	VMAXPS Y12, Y4, Y4; \
	VMAXPS Y12, Y5, Y5; \
	VMAXPS Y12, Y6, Y6; \
	VMAXPS Y12, Y7, Y7; \
	VMAXPS Y12, Y8, Y8; \
	VMAXPS Y12, Y9, Y9; \
	VMAXPS Y12, Y10, Y10; \
	VMAXPS Y12, Y11, Y11

#define STORE6 \
	LEAQ    (BX)(R12*1), CX; \
	VMOVUPS Y0, (BX); \
	VMOVUPS Y1, 32(BX); \
	VMOVUPS Y2, (BX)(R11*1); \
	VMOVUPS Y3, 32(BX)(R11*1); \
	VMOVUPS Y4, (BX)(R11*2); \
	VMOVUPS Y5, 32(BX)(R11*2); \
	VMOVUPS Y6, (CX); \
	VMOVUPS Y7, 32(CX); \
	VMOVUPS Y8, (CX)(R11*1); \
	VMOVUPS Y9, 32(CX)(R11*1); \
	VMOVUPS Y10, (CX)(R11*2); \
	VMOVUPS Y11, 32(CX)(R11*2)

// NEXT6 moves to the next row block: A and C six rows on, the bias six
// values on.
#define NEXT6 \
	LEAQ  (R14)(R8*4), R14; \
	LEAQ  (R14)(R8*2), R14; \
	LEAQ  (BX)(R11*4), BX; \
	LEAQ  (BX)(R11*2), BX; \
	TESTQ DX, DX; \
	JZ    2(PC); \
	ADDQ  $24, DX; \
	DECQ  R13

// func sgemm6x16(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)
//
// sgemm4x16 on row blocks of 6: for each of mb row blocks r0 = 0, 6,
// 12, ..., C[r0:r0+6][0:16] = init + A[r0:r0+6][0:k] * B[0:k][0:16],
// with init and flags as in sgemm4x16. k must be at least 1.
TEXT ·sgemm6x16(SB), NOSPLIT, $8-80
	FLUSH_ON
	MOVQ mb+0(FP), R13
	MOVQ a+16(FP), R14
	MOVQ lda+24(FP), R8
	MOVQ ldb+40(FP), R10
	MOVQ c+48(FP), BX
	MOVQ ldc+56(FP), R11
	MOVQ bias+64(FP), DX
	MOVQ flags+72(FP), AX

	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	SHLQ $2, R10
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12

block6:
	MOVQ R14, SI
	LEAQ (R14)(R9*1), R15
	MOVQ b+32(FP), DI

	TESTQ $1, AX
	JNZ   loadc6
	TESTQ DX, DX
	JNZ   bias6
	ZERO12
	JMP   body6

bias6:
	BIAS6
	JMP body6

loadc6:
	LOADC6

body6:
	MOVQ k+8(FP), CX
	CMPQ CX, $2
	JL   tail6

loop6:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	STEP6(0)
	VMOVUPS (DI)(R10*1), Y12
	VMOVUPS 32(DI)(R10*1), Y13
	STEP6(4)
	ADDQ    $8, SI
	ADDQ    $8, R15
	LEAQ    (DI)(R10*2), DI
	SUBQ    $2, CX
	CMPQ    CX, $2
	JGE     loop6

tail6:
	TESTQ CX, CX
	JZ    store6
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	STEP6(0)

store6:
	TESTQ $2, AX
	JZ    write6
	RELU12

write6:
	STORE6
	NEXT6
	JNZ block6
	VZEROUPPER
	FLUSH_OFF
	RET

// func sgemm6x16ib(mb, k int, a *float32, lda int, b *float32, boff *int, c *float32, ldc int, bias *float32, flags int)
//
// sgemm6x16 with an indirect B: row p of B starts at b + boff[p]
// (elements) instead of b + p·ldb. R9 walks boff, R10 holds the offset.
TEXT ·sgemm6x16ib(SB), NOSPLIT, $8-80
	FLUSH_ON
	MOVQ mb+0(FP), R13
	MOVQ a+16(FP), R14
	MOVQ lda+24(FP), R8
	MOVQ b+32(FP), DI
	MOVQ c+48(FP), BX
	MOVQ ldc+56(FP), R11
	MOVQ bias+64(FP), DX
	MOVQ flags+72(FP), AX

	SHLQ $2, R8
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12

block6ib:
	MOVQ R14, SI
	LEAQ (R14)(R8*2), R15
	ADDQ R8, R15
	MOVQ boff+40(FP), R9

	TESTQ $1, AX
	JNZ   loadc6ib
	TESTQ DX, DX
	JNZ   bias6ib
	ZERO12
	JMP   body6ib

bias6ib:
	BIAS6
	JMP body6ib

loadc6ib:
	LOADC6

body6ib:
	MOVQ k+8(FP), CX
	CMPQ CX, $2
	JL   tail6ib

loop6ib:
	MOVQ    (R9), R10
	VMOVUPS (DI)(R10*4), Y12
	VMOVUPS 32(DI)(R10*4), Y13
	STEP6(0)
	MOVQ    8(R9), R10
	VMOVUPS (DI)(R10*4), Y12
	VMOVUPS 32(DI)(R10*4), Y13
	STEP6(4)
	ADDQ    $8, SI
	ADDQ    $8, R15
	ADDQ    $16, R9
	SUBQ    $2, CX
	CMPQ    CX, $2
	JGE     loop6ib

tail6ib:
	TESTQ CX, CX
	JZ    store6ib
	MOVQ    (R9), R10
	VMOVUPS (DI)(R10*4), Y12
	VMOVUPS 32(DI)(R10*4), Y13
	STEP6(0)

store6ib:
	TESTQ $2, AX
	JZ    write6ib
	RELU12

write6ib:
	STORE6
	NEXT6
	JNZ block6ib
	VZEROUPPER
	FLUSH_OFF
	RET

// The 4×24 AVX2 micro-kernels: 12 accumulators as in 6×16, for the 4-row
// blocks that a 6-row split leaves over (m = 16, 32 leave a quarter of
// their rows to them, m = 8 all) along B's 24-column strips: three B
// loads and four broadcasts per 12 FMAs. Registers as in sgemm4x16: R13
// row blocks left, R14 A's block, R8 lda and R9 3·lda, BX C's block, R11
// ldc and R12 3·ldc (bytes), DX the bias, AX the flags; SI A's row 0, DI
// B's row (R10 ldb, or R15 walking boff and R10 the offset), CX k left.

#define BIAS4X24 \
	VBROADCASTSS 0(DX), Y0; \
	VMOVAPS      Y0, Y1; \
	VMOVAPS      Y0, Y2; \
	VBROADCASTSS 4(DX), Y3; \
	VMOVAPS      Y3, Y4; \
	VMOVAPS      Y3, Y5; \
	VBROADCASTSS 8(DX), Y6; \
	VMOVAPS      Y6, Y7; \
	VMOVAPS      Y6, Y8; \
	VBROADCASTSS 12(DX), Y9; \
	VMOVAPS      Y9, Y10; \
	VMOVAPS      Y9, Y11

#define LOADC4X24 \
	VMOVUPS (BX), Y0; \
	VMOVUPS 32(BX), Y1; \
	VMOVUPS 64(BX), Y2; \
	VMOVUPS (BX)(R11*1), Y3; \
	VMOVUPS 32(BX)(R11*1), Y4; \
	VMOVUPS 64(BX)(R11*1), Y5; \
	VMOVUPS (BX)(R11*2), Y6; \
	VMOVUPS 32(BX)(R11*2), Y7; \
	VMOVUPS 64(BX)(R11*2), Y8; \
	VMOVUPS (BX)(R12*1), Y9; \
	VMOVUPS 32(BX)(R12*1), Y10; \
	VMOVUPS 64(BX)(R12*1), Y11

#define STORE4X24 \
	VMOVUPS Y0, (BX); \
	VMOVUPS Y1, 32(BX); \
	VMOVUPS Y2, 64(BX); \
	VMOVUPS Y3, (BX)(R11*1); \
	VMOVUPS Y4, 32(BX)(R11*1); \
	VMOVUPS Y5, 64(BX)(R11*1); \
	VMOVUPS Y6, (BX)(R11*2); \
	VMOVUPS Y7, 32(BX)(R11*2); \
	VMOVUPS Y8, 64(BX)(R11*2); \
	VMOVUPS Y9, (BX)(R12*1); \
	VMOVUPS Y10, 32(BX)(R12*1); \
	VMOVUPS Y11, 64(BX)(R12*1)

// STEP4X24 adds A's column at byte off of the rows at SI times the B row
// in Y12-Y14 to the 12 accumulators.
#define STEP4X24(off) \
	VBROADCASTSS off(SI), Y15; \
	VFMADD231PS  Y12, Y15, Y0; \
	VFMADD231PS  Y13, Y15, Y1; \
	VFMADD231PS  Y14, Y15, Y2; \
	VBROADCASTSS off(SI)(R8*1), Y15; \
	VFMADD231PS  Y12, Y15, Y3; \
	VFMADD231PS  Y13, Y15, Y4; \
	VFMADD231PS  Y14, Y15, Y5; \
	VBROADCASTSS off(SI)(R8*2), Y15; \
	VFMADD231PS  Y12, Y15, Y6; \
	VFMADD231PS  Y13, Y15, Y7; \
	VFMADD231PS  Y14, Y15, Y8; \
	VBROADCASTSS off(SI)(R9*1), Y15; \
	VFMADD231PS  Y12, Y15, Y9; \
	VFMADD231PS  Y13, Y15, Y10; \
	VFMADD231PS  Y14, Y15, Y11

// NEXT4 moves to the next row block: A and C four rows on, the bias four
// values on.
#define NEXT4 \
	LEAQ  (R14)(R8*4), R14; \
	LEAQ  (BX)(R11*4), BX; \
	TESTQ DX, DX; \
	JZ    2(PC); \
	ADDQ  $16, DX; \
	DECQ  R13

// func sgemm4x24(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)
//
// sgemm4x16 on 24 columns: for each of mb row blocks r0 = 0, 4, 8, ...,
// C[r0:r0+4][0:24] = init + A[r0:r0+4][0:k] * B[0:k][0:24], with init and
// flags as in sgemm4x16. k must be at least 1.
TEXT ·sgemm4x24(SB), NOSPLIT, $8-80
	FLUSH_ON
	MOVQ mb+0(FP), R13
	MOVQ a+16(FP), R14
	MOVQ lda+24(FP), R8
	MOVQ ldb+40(FP), R10
	MOVQ c+48(FP), BX
	MOVQ ldc+56(FP), R11
	MOVQ bias+64(FP), DX
	MOVQ flags+72(FP), AX

	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	SHLQ $2, R10
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12

block24:
	MOVQ k+8(FP), CX
	MOVQ R14, SI
	MOVQ b+32(FP), DI

	TESTQ $1, AX
	JNZ   loadc24
	TESTQ DX, DX
	JNZ   bias24
	ZERO12
	JMP   body24

bias24:
	BIAS4X24
	JMP body24

loadc24:
	LOADC4X24

body24:
	CMPQ CX, $2
	JL   tail24

loop24:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	VMOVUPS 64(DI), Y14
	STEP4X24(0)
	VMOVUPS (DI)(R10*1), Y12
	VMOVUPS 32(DI)(R10*1), Y13
	VMOVUPS 64(DI)(R10*1), Y14
	STEP4X24(4)
	ADDQ    $8, SI
	LEAQ    (DI)(R10*2), DI
	SUBQ    $2, CX
	CMPQ    CX, $2
	JGE     loop24

tail24:
	TESTQ CX, CX
	JZ    store24
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	VMOVUPS 64(DI), Y14
	STEP4X24(0)

store24:
	TESTQ $2, AX
	JZ    write24
	RELU12

write24:
	STORE4X24
	NEXT4
	JNZ block24
	VZEROUPPER
	FLUSH_OFF
	RET

// func sgemm4x24ib(mb, k int, a *float32, lda int, b *float32, boff *int, c *float32, ldc int, bias *float32, flags int)
//
// sgemm4x24 with an indirect B: row p of B starts at b + boff[p]
// (elements) instead of b + p·ldb.
TEXT ·sgemm4x24ib(SB), NOSPLIT, $8-80
	FLUSH_ON
	MOVQ mb+0(FP), R13
	MOVQ a+16(FP), R14
	MOVQ lda+24(FP), R8
	MOVQ b+32(FP), DI
	MOVQ c+48(FP), BX
	MOVQ ldc+56(FP), R11
	MOVQ bias+64(FP), DX
	MOVQ flags+72(FP), AX

	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12

block24ib:
	MOVQ k+8(FP), CX
	MOVQ R14, SI
	MOVQ boff+40(FP), R15

	TESTQ $1, AX
	JNZ   loadc24ib
	TESTQ DX, DX
	JNZ   bias24ib
	ZERO12
	JMP   body24ib

bias24ib:
	BIAS4X24
	JMP body24ib

loadc24ib:
	LOADC4X24

body24ib:
	CMPQ CX, $2
	JL   tail24ib

loop24ib:
	MOVQ    (R15), R10
	VMOVUPS (DI)(R10*4), Y12
	VMOVUPS 32(DI)(R10*4), Y13
	VMOVUPS 64(DI)(R10*4), Y14
	STEP4X24(0)
	MOVQ    8(R15), R10
	VMOVUPS (DI)(R10*4), Y12
	VMOVUPS 32(DI)(R10*4), Y13
	VMOVUPS 64(DI)(R10*4), Y14
	STEP4X24(4)
	ADDQ    $8, SI
	ADDQ    $16, R15
	SUBQ    $2, CX
	CMPQ    CX, $2
	JGE     loop24ib

tail24ib:
	TESTQ CX, CX
	JZ    store24ib
	MOVQ    (R15), R10
	VMOVUPS (DI)(R10*4), Y12
	VMOVUPS 32(DI)(R10*4), Y13
	VMOVUPS 64(DI)(R10*4), Y14
	STEP4X24(0)

store24ib:
	TESTQ $2, AX
	JZ    write24ib
	RELU12

write24ib:
	STORE4X24
	NEXT4
	JNZ block24ib
	VZEROUPPER
	FLUSH_OFF
	RET
