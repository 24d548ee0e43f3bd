//go:build amd64 && !purego

#include "textflag.h"

// Lane indices for VPERMT2PS over two 16-lane tables A (0..15) and B
// (16..31): the even and odd lanes of A:B, and A and B interleaved (low
// and high halves).
DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64

DATA poolOdd<>+0(SB)/4, $1
DATA poolOdd<>+4(SB)/4, $3
DATA poolOdd<>+8(SB)/4, $5
DATA poolOdd<>+12(SB)/4, $7
DATA poolOdd<>+16(SB)/4, $9
DATA poolOdd<>+20(SB)/4, $11
DATA poolOdd<>+24(SB)/4, $13
DATA poolOdd<>+28(SB)/4, $15
DATA poolOdd<>+32(SB)/4, $17
DATA poolOdd<>+36(SB)/4, $19
DATA poolOdd<>+40(SB)/4, $21
DATA poolOdd<>+44(SB)/4, $23
DATA poolOdd<>+48(SB)/4, $25
DATA poolOdd<>+52(SB)/4, $27
DATA poolOdd<>+56(SB)/4, $29
DATA poolOdd<>+60(SB)/4, $31
GLOBL poolOdd<>(SB), RODATA|NOPTR, $64

DATA poolLo<>+0(SB)/4, $0
DATA poolLo<>+4(SB)/4, $16
DATA poolLo<>+8(SB)/4, $1
DATA poolLo<>+12(SB)/4, $17
DATA poolLo<>+16(SB)/4, $2
DATA poolLo<>+20(SB)/4, $18
DATA poolLo<>+24(SB)/4, $3
DATA poolLo<>+28(SB)/4, $19
DATA poolLo<>+32(SB)/4, $4
DATA poolLo<>+36(SB)/4, $20
DATA poolLo<>+40(SB)/4, $5
DATA poolLo<>+44(SB)/4, $21
DATA poolLo<>+48(SB)/4, $6
DATA poolLo<>+52(SB)/4, $22
DATA poolLo<>+56(SB)/4, $7
DATA poolLo<>+60(SB)/4, $23
GLOBL poolLo<>(SB), RODATA|NOPTR, $64

DATA poolHi<>+0(SB)/4, $8
DATA poolHi<>+4(SB)/4, $24
DATA poolHi<>+8(SB)/4, $9
DATA poolHi<>+12(SB)/4, $25
DATA poolHi<>+16(SB)/4, $10
DATA poolHi<>+20(SB)/4, $26
DATA poolHi<>+24(SB)/4, $11
DATA poolHi<>+28(SB)/4, $27
DATA poolHi<>+32(SB)/4, $12
DATA poolHi<>+36(SB)/4, $28
DATA poolHi<>+40(SB)/4, $13
DATA poolHi<>+44(SB)/4, $29
DATA poolHi<>+48(SB)/4, $14
DATA poolHi<>+52(SB)/4, $30
DATA poolHi<>+56(SB)/4, $15
DATA poolHi<>+60(SB)/4, $31
GLOBL poolHi<>(SB), RODATA|NOPTR, $64

// func maxPool2BwdZ(r0, r1, m, grad, d0, d1 *float32, n int)
//
// For t < n, the 2×2 window r0[2t], r0[2t+1], r1[2t], r1[2t+1]: the first
// of them (in that order) equal to m[t] gets grad[t] in d0/d1 at the same
// place, the other three 0 (NaN equals nothing: its window gets none).
// d0[0:2n] and d1[0:2n] are all written. 16 windows a step; the last,
// partial step reads and writes through lane masks, touching nothing past
// the ends.
TEXT ·maxPool2BwdZ(SB), NOSPLIT, $0-56
	MOVQ r0+0(FP), SI
	MOVQ r1+8(FP), DI
	MOVQ m+16(FP), R8
	MOVQ grad+24(FP), R9
	MOVQ d0+32(FP), BX
	MOVQ d1+40(FP), DX
	MOVQ n+48(FP), R10
	VMOVUPS poolEven<>(SB), Z28
	VMOVUPS poolOdd<>(SB), Z29
	VMOVUPS poolLo<>(SB), Z30
	VMOVUPS poolHi<>(SB), Z31
	TESTQ R10, R10
	JZ    pbdone

pbloop:
	// CX = windows this step (≤ 16); K6: their lanes of m and g; K7, K5:
	// the 2·CX lanes of the rows, low and high register (R12 keeps K5's).
	MOVQ  R10, CX
	CMPQ  CX, $16
	JLE   pbcount
	MOVQ  $16, CX
pbcount:
	MOVL  $1, R11
	SHLL  CX, R11
	DECL  R11
	KMOVW R11, K6
	SHLQ  $1, CX
	MOVQ  $1, R11
	SHLQ  CX, R11
	DECQ  R11
	KMOVW R11, K7
	SHRQ  $16, R11
	MOVQ  R11, R12
	KMOVW R11, K5
	SHRQ  $1, CX

	VMOVUPS.Z (SI), K7, Z0
	VMOVUPS.Z 64(SI), K5, Z1
	VMOVUPS.Z (DI), K7, Z2
	VMOVUPS.Z 64(DI), K5, Z3
	VMOVUPS.Z (R8), K6, Z4
	VMOVUPS.Z (R9), K6, Z5

	VMOVAPS   Z0, Z6
	VPERMT2PS Z1, Z28, Z6 // r0 even
	VMOVAPS   Z0, Z7
	VPERMT2PS Z1, Z29, Z7 // r0 odd
	VMOVAPS   Z2, Z8
	VPERMT2PS Z3, Z28, Z8 // r1 even
	VMOVAPS   Z2, Z9
	VPERMT2PS Z3, Z29, Z9 // r1 odd

	VCMPPS $0, Z4, Z6, K1 // == m (EQ_OQ: false for NaN)
	VCMPPS $0, Z4, Z7, K2
	VCMPPS $0, Z4, Z8, K3
	VCMPPS $0, Z4, Z9, K4
	KANDNW K2, K1, K2     // K2 &^= K1: only the first match counts
	KORW   K1, K2, K5
	KANDNW K3, K5, K3
	KORW   K5, K3, K5
	KANDNW K4, K5, K4

	VMOVAPS.Z Z5, K1, Z10
	VMOVAPS.Z Z5, K2, Z11
	VMOVAPS.Z Z5, K3, Z12
	VMOVAPS.Z Z5, K4, Z13

	VMOVAPS   Z10, Z14
	VPERMT2PS Z11, Z30, Z14
	VMOVAPS   Z10, Z15
	VPERMT2PS Z11, Z31, Z15
	VMOVAPS   Z12, Z16
	VPERMT2PS Z13, Z30, Z16
	VMOVAPS   Z12, Z17
	VPERMT2PS Z13, Z31, Z17

	KMOVW   R12, K5
	VMOVUPS Z14, K7, (BX)
	VMOVUPS Z15, K5, 64(BX)
	VMOVUPS Z16, K7, (DX)
	VMOVUPS Z17, K5, 64(DX)

	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $128, BX
	ADDQ $128, DX
	SUBQ CX, R10
	JNZ  pbloop

pbdone:
	VZEROUPPER
	RET

// func gather16Z(src *float32, idx *int32, dst *float32, rows, np, ld int)
//
// The gathered im2col on zmm registers: dst[r·ld + p] = src[idx[r·np + p]]
// for r < rows and p < np, np a multiple of 16; every idx is an offset
// inside src (the caller's table guarantees it).
TEXT ·gather16Z(SB), NOSPLIT, $0-48
	MOVQ src+0(FP), SI
	MOVQ idx+8(FP), DI
	MOVQ dst+16(FP), BX
	MOVQ rows+24(FP), R8
	MOVQ np+32(FP), R9
	MOVQ ld+40(FP), R10
	SHLQ $2, R10
	SHRQ $4, R9
	TESTQ R8, R8
	JZ    g16done
	TESTQ R9, R9
	JZ    g16done
g16row:
	MOVQ BX, DX
	MOVQ R9, CX
g16vec:
	VMOVDQU32  (DI), Z1
	KXNORW     K0, K0, K1
	VGATHERDPS (SI)(Z1*4), K1, Z0
	VMOVUPS    Z0, (DX)
	ADDQ       $64, DI
	ADDQ       $64, DX
	DECQ       CX
	JNZ        g16vec
	ADDQ       R10, BX
	DECQ       R8
	JNZ        g16row
g16done:
	VZEROUPPER
	RET

// func gather8AVX(src *float32, idx *int32, dst *float32, rows, np, ld int)
//
// gather16Z on ymm registers, for the avx2 path: 8 values a gather, np a
// multiple of 16 as there. The gather clears its mask (Y2) as it goes, so
// each one starts from a fresh all-ones mask.
TEXT ·gather8AVX(SB), NOSPLIT, $0-48
	MOVQ src+0(FP), SI
	MOVQ idx+8(FP), DI
	MOVQ dst+16(FP), BX
	MOVQ rows+24(FP), R8
	MOVQ np+32(FP), R9
	MOVQ ld+40(FP), R10
	SHLQ $2, R10
	SHRQ $3, R9
	TESTQ R8, R8
	JZ    g8done
	TESTQ R9, R9
	JZ    g8done
	VPCMPEQD Y3, Y3, Y3
g8row:
	MOVQ BX, DX
	MOVQ R9, CX
g8vec:
	VMOVDQU    (DI), Y1
	VMOVDQA    Y3, Y2
	VGATHERDPS Y2, (SI)(Y1*4), Y0
	VMOVUPS    Y0, (DX)
	ADDQ       $32, DI
	ADDQ       $32, DX
	DECQ       CX
	JNZ        g8vec
	ADDQ       R10, BX
	DECQ       R8
	JNZ        g8row
g8done:
	VZEROUPPER
	RET
