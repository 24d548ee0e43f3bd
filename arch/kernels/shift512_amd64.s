//go:build amd64 && !purego

#include "textflag.h"

// func maskCopyZ(dst, src, mask *float32, n, period, planes, ldd, lds int)
//
// For each of planes planes k: dst[k·ldd + i] = src[k·lds + i] AND
// mask[i mod period] (bitwise) for i < n. n and period are positive
// multiples of 16, the strides in elements.
TEXT ·maskCopyZ(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ mask+16(FP), R8
	MOVQ n+24(FP), R11
	MOVQ period+32(FP), R10
	MOVQ planes+40(FP), R12
	MOVQ ldd+48(FP), R13
	MOVQ lds+56(FP), R14
	SHLQ $2, R10
	SHLQ $2, R13
	SHLQ $2, R14
	SHRQ $4, R11 // 16-value steps a plane
	TESTQ R12, R12
	JZ    mcdone

mcplane:
	MOVQ DI, AX
	MOVQ SI, BX
	XORQ R9, R9 // byte offset into the mask
	MOVQ R11, CX

mcloop:
	VMOVUPS (BX), Z0
	VANDPS  (R8)(R9*1), Z0, Z0
	VMOVUPS Z0, (AX)
	ADDQ    $64, AX
	ADDQ    $64, BX
	ADDQ    $64, R9
	CMPQ    R9, R10
	JNE     mcnext
	XORQ    R9, R9

mcnext:
	DECQ CX
	JNZ  mcloop
	ADDQ R13, DI
	ADDQ R14, SI
	DECQ R12
	JNZ  mcplane

mcdone:
	VZEROUPPER
	RET

// func padRows16Z(dst, src *float32, rows, u int)
//
// For each row k < rows: dst[16k .. 16k+15] = src[k·u .. k·u+u−1] and
// then zeros; u is 1 to 16. The masked load reads no lane past the row.
TEXT ·padRows16Z(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ u+24(FP), CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	SHLQ $2, CX
	TESTQ R8, R8
	JZ    prdone

prloop:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      CX, SI
	ADDQ      $64, DI
	DECQ      R8
	JNZ       prloop

prdone:
	VZEROUPPER
	RET

// func maskCopyY(dst, src, mask *float32, n, period, planes, ldd, lds int)
//
// maskCopyZ on ymm registers, for the avx2 path: two 8-value halves a
// 16-value step, with the same arguments and constraints.
TEXT ·maskCopyY(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ mask+16(FP), R8
	MOVQ n+24(FP), R11
	MOVQ period+32(FP), R10
	MOVQ planes+40(FP), R12
	MOVQ ldd+48(FP), R13
	MOVQ lds+56(FP), R14
	SHLQ $2, R10
	SHLQ $2, R13
	SHLQ $2, R14
	SHRQ $4, R11
	TESTQ R12, R12
	JZ    mcydone

mcyplane:
	MOVQ DI, AX
	MOVQ SI, BX
	XORQ R9, R9
	MOVQ R11, CX

mcyloop:
	VMOVUPS (BX), Y0
	VMOVUPS 32(BX), Y1
	VANDPS  (R8)(R9*1), Y0, Y0
	VANDPS  32(R8)(R9*1), Y1, Y1
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	ADDQ    $64, AX
	ADDQ    $64, BX
	ADDQ    $64, R9
	CMPQ    R9, R10
	JNE     mcynext
	XORQ    R9, R9

mcynext:
	DECQ CX
	JNZ  mcyloop
	ADDQ R13, DI
	ADDQ R14, SI
	DECQ R12
	JNZ  mcyplane

mcydone:
	VZEROUPPER
	RET

// func padRows16Y(dst, src *float32, rows, u int, mask *int32)
//
// padRows16Z on ymm registers, for the avx2 path: mask holds 16 lanes,
// all ones for the first u and zero after. The masked loads read no lane
// past the row (VMASKMOVPS neither faults on nor reads a masked lane).
TEXT ·padRows16Y(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ u+24(FP), CX
	MOVQ mask+32(FP), AX
	VMOVDQU (AX), Y2
	VMOVDQU 32(AX), Y3
	SHLQ $2, CX
	TESTQ R8, R8
	JZ    pryDone

pryLoop:
	VMASKMOVPS (SI), Y2, Y0
	VMASKMOVPS 32(SI), Y3, Y1
	VMOVUPS    Y0, (DI)
	VMOVUPS    Y1, 32(DI)
	ADDQ       CX, SI
	ADDQ       $64, DI
	DECQ       R8
	JNZ        pryLoop

pryDone:
	VZEROUPPER
	RET
