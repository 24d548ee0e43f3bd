//go:build amd64 && !purego

#include "textflag.h"
#include "flush_amd64.h"

// DEINTERLEAVE8 stores the 8 even and the 8 odd values of the 16 at SI
// at dst0 and dst1.
#define DEINTERLEAVE8(dst0, dst1) \
	VMOVUPS (SI), Y0; \
	VMOVUPS 32(SI), Y1; \
	VSHUFPS $0x88, Y1, Y0, Y2; \
	VSHUFPS $0xDD, Y1, Y0, Y3; \
	VPERMPD $0xD8, Y2, Y2; \
	VPERMPD $0xD8, Y3, Y3; \
	VMOVUPS Y2, (dst0); \
	VMOVUPS Y3, (dst1)


// func sgemm4x16(mb, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, bias *float32, flags int)
//
// For each of mb row blocks r0 = 0, 4, 8, ...:
// C[r0:r0+4][0:16] = init + A[r0:r0+4][0:k] * B[0:k][0:16], all row-major
// with the given leading dimensions (in elements). init is C itself when
// flags&1, else bias[r] broadcast along row r when bias is not nil, else
// zero. When flags&2 the result is clamped at zero (ReLU) before it is
// stored. k must be at least 1.
TEXT ·sgemm4x16(SB), NOSPLIT, $8-80
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

block:
	MOVQ k+8(FP), CX
	MOVQ R14, SI
	MOVQ b+32(FP), DI

	TESTQ $1, AX
	JNZ   loadc
	TESTQ DX, DX
	JNZ   loadbias
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	JMP   body

loadbias:
	VBROADCASTSS 0(DX), Y0
	VMOVAPS      Y0, Y1
	VBROADCASTSS 4(DX), Y2
	VMOVAPS      Y2, Y3
	VBROADCASTSS 8(DX), Y4
	VMOVAPS      Y4, Y5
	VBROADCASTSS 12(DX), Y6
	VMOVAPS      Y6, Y7
	JMP          body

loadc:
	VMOVUPS (BX), Y0
	VMOVUPS 32(BX), Y1
	VMOVUPS (BX)(R11*1), Y2
	VMOVUPS 32(BX)(R11*1), Y3
	VMOVUPS (BX)(R11*2), Y4
	VMOVUPS 32(BX)(R11*2), Y5
	VMOVUPS (BX)(R12*1), Y6
	VMOVUPS 32(BX)(R12*1), Y7

body:
	CMPQ CX, $2
	JL   tail

loop2:
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (SI)(R8*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (SI)(R8*2), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (SI)(R9*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	VMOVUPS      (DI)(R10*1), Y14
	VMOVUPS      32(DI)(R10*1), Y15
	VBROADCASTSS 4(SI), Y10
	VFMADD231PS  Y14, Y10, Y0
	VFMADD231PS  Y15, Y10, Y1
	VBROADCASTSS 4(SI)(R8*1), Y11
	VFMADD231PS  Y14, Y11, Y2
	VFMADD231PS  Y15, Y11, Y3
	VBROADCASTSS 4(SI)(R8*2), Y12
	VFMADD231PS  Y14, Y12, Y4
	VFMADD231PS  Y15, Y12, Y5
	VBROADCASTSS 4(SI)(R9*1), Y13
	VFMADD231PS  Y14, Y13, Y6
	VFMADD231PS  Y15, Y13, Y7
	ADDQ         $8, SI
	LEAQ         (DI)(R10*2), DI
	SUBQ         $2, CX
	CMPQ         CX, $2
	JGE          loop2

tail:
	TESTQ CX, CX
	JZ    store
	VMOVUPS      (DI), Y8
	VMOVUPS      32(DI), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (SI)(R8*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (SI)(R8*2), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (SI)(R9*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7

store:
	TESTQ $2, AX
	JZ    write
	VXORPS Y8, Y8, Y8
	VMAXPS Y8, Y0, Y0
	VMAXPS Y8, Y1, Y1
	VMAXPS Y8, Y2, Y2
	VMAXPS Y8, Y3, Y3
	VMAXPS Y8, Y4, Y4
	VMAXPS Y8, Y5, Y5
	VMAXPS Y8, Y6, Y6
	VMAXPS Y8, Y7, Y7

write:
	VMOVUPS Y0, (BX)
	VMOVUPS Y1, 32(BX)
	VMOVUPS Y2, (BX)(R11*1)
	VMOVUPS Y3, 32(BX)(R11*1)
	VMOVUPS Y4, (BX)(R11*2)
	VMOVUPS Y5, 32(BX)(R11*2)
	VMOVUPS Y6, (BX)(R12*1)
	VMOVUPS Y7, 32(BX)(R12*1)

	LEAQ  (R14)(R8*4), R14
	LEAQ  (BX)(R11*4), BX
	TESTQ DX, DX
	JZ    nobias
	ADDQ  $16, DX
nobias:
	DECQ R13
	JNZ  block
	VZEROUPPER
	FLUSH_OFF
	RET

// func reluGradAVX(out, dOut, dz *float32, n int)
// dz[i] = dOut[i] if out[i] > 0 else 0, for i < n rounded down to 8.
TEXT ·reluGradAVX(SB), NOSPLIT, $0-32
	MOVQ out+0(FP), SI
	MOVQ dOut+8(FP), DI
	MOVQ dz+16(FP), BX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   rgdone
	VXORPS Y15, Y15, Y15
rgloop:
	VMOVUPS (SI), Y0
	VCMPPS  $0x1e, Y15, Y0, Y1 // out > 0 (GT_OQ)
	VANDPS  (DI), Y1, Y2
	VMOVUPS Y2, (BX)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, BX
	DECQ    CX
	JNZ     rgloop
rgdone:
	VZEROUPPER
	RET

// func addAVX(dst, src *float32, n int)
// dst[i] += src[i] for i < n rounded down to 8.
TEXT ·addAVX(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), BX
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   adddone
addloop:
	VMOVUPS (BX), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (BX)
	ADDQ    $32, SI
	ADDQ    $32, BX
	DECQ    CX
	JNZ     addloop
adddone:
	VZEROUPPER
	RET

// func deinterleave2AVX(src, even, odd *float32, n int)
// even[t] = src[2t], odd[t] = src[2t+1] for t < n rounded down to 8.
TEXT ·deinterleave2AVX(SB), NOSPLIT, $0-32
	MOVQ src+0(FP), SI
	MOVQ even+8(FP), DI
	MOVQ odd+16(FP), BX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   didone
diloop:
	DEINTERLEAVE8(DI, BX)
	ADDQ    $64, SI
	ADDQ    $32, DI
	ADDQ    $32, BX
	DECQ    CX
	JNZ     diloop
didone:
	VZEROUPPER
	RET

// func interleave2AVX(dst, even, odd *float32, n int)
// dst[2t] = even[t], dst[2t+1] = odd[t] for t < n rounded down to 8.
TEXT ·interleave2AVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ even+8(FP), SI
	MOVQ odd+16(FP), BX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   ildone
illoop:
	VMOVUPS    (SI), Y0
	VMOVUPS    (BX), Y1
	VUNPCKLPS  Y1, Y0, Y2
	VUNPCKHPS  Y1, Y0, Y3
	VPERM2F128 $0x20, Y3, Y2, Y4
	VPERM2F128 $0x31, Y3, Y2, Y5
	VMOVUPS    Y4, (DI)
	VMOVUPS    Y5, 32(DI)
	ADDQ       $32, SI
	ADDQ       $32, BX
	ADDQ       $64, DI
	DECQ       CX
	JNZ        illoop
ildone:
	VZEROUPPER
	RET

// func transpose8AVX(src *float32, lds int, dst *float32, ldd int, nb int)
// For b < nb: dst[(8b+j)*ldd + i] = src[i*lds + 8b+j] for i, j < 8, i.e.
// nb 8×8 blocks along src's rows, transposed.
TEXT ·transpose8AVX(SB), NOSPLIT, $0-40
	MOVQ src+0(FP), SI
	MOVQ lds+8(FP), R8
	MOVQ dst+16(FP), DI
	MOVQ ldd+24(FP), R10
	MOVQ nb+32(FP), CX
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R11
	TESTQ CX, CX
	JZ    trdone
trloop:
	LEAQ    (SI)(R8*4), DX
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (DX), Y4
	VMOVUPS (DX)(R8*1), Y5
	VMOVUPS (DX)(R8*2), Y6
	VMOVUPS (DX)(R9*1), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	LEAQ    (DI)(R10*4), DX
	VMOVUPS Y8, (DI)
	VMOVUPS Y9, (DI)(R10*1)
	VMOVUPS Y10, (DI)(R10*2)
	VMOVUPS Y11, (DI)(R11*1)
	VMOVUPS Y12, (DX)
	VMOVUPS Y13, (DX)(R10*1)
	VMOVUPS Y14, (DX)(R10*2)
	VMOVUPS Y15, (DX)(R11*1)

	ADDQ $32, SI
	LEAQ (DX)(R10*4), DI
	DECQ CX
	JNZ  trloop
trdone:
	VZEROUPPER
	RET

// func sgemm4x16ib(mb, k int, a *float32, lda int, b *float32, boff *int, c *float32, ldc int, bias *float32, flags int)
//
// sgemm4x16 with an indirect B: row p of B starts at b + boff[p]
// (elements) instead of b + p·ldb.
TEXT ·sgemm4x16ib(SB), NOSPLIT, $8-80
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

ibblock:
	MOVQ k+8(FP), CX
	MOVQ R14, SI
	MOVQ boff+40(FP), R15

	TESTQ $1, AX
	JNZ   ibloadc
	TESTQ DX, DX
	JNZ   ibloadbias
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	JMP    ibbody

ibloadbias:
	VBROADCASTSS 0(DX), Y0
	VMOVAPS      Y0, Y1
	VBROADCASTSS 4(DX), Y2
	VMOVAPS      Y2, Y3
	VBROADCASTSS 8(DX), Y4
	VMOVAPS      Y4, Y5
	VBROADCASTSS 12(DX), Y6
	VMOVAPS      Y6, Y7
	JMP          ibbody

ibloadc:
	VMOVUPS (BX), Y0
	VMOVUPS 32(BX), Y1
	VMOVUPS (BX)(R11*1), Y2
	VMOVUPS 32(BX)(R11*1), Y3
	VMOVUPS (BX)(R11*2), Y4
	VMOVUPS 32(BX)(R11*2), Y5
	VMOVUPS (BX)(R12*1), Y6
	VMOVUPS 32(BX)(R12*1), Y7

ibbody:
	CMPQ CX, $2
	JL   ibtail

ibloop2:
	MOVQ         (R15), R10
	VMOVUPS      (DI)(R10*4), Y8
	VMOVUPS      32(DI)(R10*4), Y9
	MOVQ         8(R15), R10
	VMOVUPS      (DI)(R10*4), Y14
	VMOVUPS      32(DI)(R10*4), Y15
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (SI)(R8*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (SI)(R8*2), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (SI)(R9*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	VBROADCASTSS 4(SI), Y10
	VFMADD231PS  Y14, Y10, Y0
	VFMADD231PS  Y15, Y10, Y1
	VBROADCASTSS 4(SI)(R8*1), Y11
	VFMADD231PS  Y14, Y11, Y2
	VFMADD231PS  Y15, Y11, Y3
	VBROADCASTSS 4(SI)(R8*2), Y12
	VFMADD231PS  Y14, Y12, Y4
	VFMADD231PS  Y15, Y12, Y5
	VBROADCASTSS 4(SI)(R9*1), Y13
	VFMADD231PS  Y14, Y13, Y6
	VFMADD231PS  Y15, Y13, Y7
	ADDQ         $8, SI
	ADDQ         $16, R15
	SUBQ         $2, CX
	CMPQ         CX, $2
	JGE          ibloop2

ibtail:
	TESTQ CX, CX
	JZ    ibstore
	MOVQ         (R15), R10
	VMOVUPS      (DI)(R10*4), Y8
	VMOVUPS      32(DI)(R10*4), Y9
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VBROADCASTSS (SI)(R8*1), Y11
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VBROADCASTSS (SI)(R8*2), Y12
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VBROADCASTSS (SI)(R9*1), Y13
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7

ibstore:
	TESTQ $2, AX
	JZ    ibwrite
	VXORPS Y8, Y8, Y8
	VMAXPS Y8, Y0, Y0
	VMAXPS Y8, Y1, Y1
	VMAXPS Y8, Y2, Y2
	VMAXPS Y8, Y3, Y3
	VMAXPS Y8, Y4, Y4
	VMAXPS Y8, Y5, Y5
	VMAXPS Y8, Y6, Y6
	VMAXPS Y8, Y7, Y7

ibwrite:
	VMOVUPS Y0, (BX)
	VMOVUPS Y1, 32(BX)
	VMOVUPS Y2, (BX)(R11*1)
	VMOVUPS Y3, 32(BX)(R11*1)
	VMOVUPS Y4, (BX)(R11*2)
	VMOVUPS Y5, 32(BX)(R11*2)
	VMOVUPS Y6, (BX)(R12*1)
	VMOVUPS Y7, 32(BX)(R12*1)

	LEAQ  (R14)(R8*4), R14
	LEAQ  (BX)(R11*4), BX
	TESTQ DX, DX
	JZ    ibnobias
	ADDQ  $16, DX
ibnobias:
	DECQ R13
	JNZ  ibblock
	VZEROUPPER
	FLUSH_OFF
	RET

// func maxPool2AVX(r0, r1, out *float32, n int)
// out[t] = the maximum of r0[2t], r0[2t+1], r1[2t], r1[2t+1] taken in that
// order with "v > m" (as the reference loop does, NaN included), for t < n
// rounded down to 8.
TEXT ·maxPool2AVX(SB), NOSPLIT, $0-32
	MOVQ r0+0(FP), SI
	MOVQ r1+8(FP), DI
	MOVQ out+16(FP), BX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   mpdone
mploop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (DI), Y2
	VMOVUPS 32(DI), Y3
	VSHUFPS $0x88, Y1, Y0, Y4 // r0 even
	VSHUFPS $0xDD, Y1, Y0, Y5 // r0 odd
	VSHUFPS $0x88, Y3, Y2, Y6 // r1 even
	VSHUFPS $0xDD, Y3, Y2, Y7 // r1 odd
	VMAXPS  Y4, Y5, Y4        // m = odd > m ? odd : m
	VMAXPS  Y4, Y6, Y4
	VMAXPS  Y4, Y7, Y4
	VPERMPD $0xD8, Y4, Y4
	VMOVUPS Y4, (BX)
	ADDQ    $64, SI
	ADDQ    $64, DI
	ADDQ    $32, BX
	DECQ    CX
	JNZ     mploop
mpdone:
	VZEROUPPER
	RET

// func polyphase2PlaneAVX(src, d00, d01, d10, d11 *float32, hq, wq int)
// Splits one 2hq×2wq plane (row-major, src) into its four hq×wq
// sub-images (qy, qx) at dqyqx: sub(qy,qx)[ty][tx] = src[2ty+qy][2tx+qx].
// wq must be a positive multiple of 8.
TEXT ·polyphase2PlaneAVX(SB), NOSPLIT, $0-56
	MOVQ src+0(FP), SI
	MOVQ d00+8(FP), R8
	MOVQ d01+16(FP), R9
	MOVQ d10+24(FP), R10
	MOVQ d11+32(FP), R11
	MOVQ hq+40(FP), R12
	MOVQ wq+48(FP), R13
	SHRQ $3, R13        // wq/8 steps a row
	TESTQ R12, R12
	JZ    ppdone
pprow:
	// Row 2ty into (0,0) and (0,1), then row 2ty+1 into (1,0) and (1,1).
	MOVQ R13, CX
pp0:
	DEINTERLEAVE8(R8, R9)
	ADDQ    $64, SI
	ADDQ    $32, R8
	ADDQ    $32, R9
	DECQ    CX
	JNZ     pp0
	MOVQ R13, CX
pp1:
	DEINTERLEAVE8(R10, R11)
	ADDQ    $64, SI
	ADDQ    $32, R10
	ADDQ    $32, R11
	DECQ    CX
	JNZ     pp1
	DECQ R12
	JNZ  pprow
ppdone:
	VZEROUPPER
	RET

// func sum32AVX(s *float32, n int, acc *[32]float32)
// acc[k] += s[32b+k] for every block b of 32 in n (a multiple of 32), in
// order of b: lane k of the four vectors is sum32's partial sum k, add for
// add.
TEXT ·sum32AVX(SB), NOSPLIT, $0-24
	MOVQ s+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ acc+16(FP), BX
	VMOVUPS (BX), Y0
	VMOVUPS 32(BX), Y1
	VMOVUPS 64(BX), Y2
	VMOVUPS 96(BX), Y3
	SHRQ $5, CX
	JZ   s32done
s32loop:
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	VADDPS  64(SI), Y2, Y2
	VADDPS  96(SI), Y3, Y3
	ADDQ    $128, SI
	DECQ    CX
	JNZ     s32loop
s32done:
	VMOVUPS Y0, (BX)
	VMOVUPS Y1, 32(BX)
	VMOVUPS Y2, 64(BX)
	VMOVUPS Y3, 96(BX)
	VZEROUPPER
	RET

// Interleaves 8 values at (e) and 8 at (o) into 16 at (DI).
#define INTERLEAVE8(e, o) \
	VMOVUPS    (e), Y0; \
	VMOVUPS    (o), Y1; \
	VUNPCKLPS  Y1, Y0, Y2; \
	VUNPCKHPS  Y1, Y0, Y3; \
	VPERM2F128 $0x20, Y3, Y2, Y4; \
	VPERM2F128 $0x31, Y3, Y2, Y5; \
	VMOVUPS    Y4, (DI); \
	VMOVUPS    Y5, 32(DI)

// func unpolyphase2PlaneAVX(sub, dst *float32, hq, wq int)
// polyphase2PlaneAVX's inverse: writes the 2hq×2wq plane dst from its
// four hq×wq sub-images at sub, one after another. wq must be a positive
// multiple of 8.
TEXT ·unpolyphase2PlaneAVX(SB), NOSPLIT, $0-32
	MOVQ sub+0(FP), R8
	MOVQ dst+8(FP), DI
	MOVQ hq+16(FP), R12
	MOVQ wq+24(FP), R13
	MOVQ R12, AX
	IMULQ R13, AX
	SHLQ $2, AX          // AX = hq·wq bytes, one sub-image
	LEAQ (R8)(AX*1), R9   // (0,1)
	LEAQ (R9)(AX*1), R10  // (1,0)
	LEAQ (R10)(AX*1), R11 // (1,1)
	SHRQ $3, R13         // wq/8 steps a row
	TESTQ R12, R12
	JZ    updone
uprow:
	// Row 2ty from (0,0) and (0,1), then row 2ty+1 from (1,0) and (1,1).
	MOVQ R13, CX
up0:
	INTERLEAVE8(R8, R9)
	ADDQ $64, DI
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNZ  up0
	MOVQ R13, CX
up1:
	INTERLEAVE8(R10, R11)
	ADDQ $64, DI
	ADDQ $32, R10
	ADDQ $32, R11
	DECQ CX
	JNZ  up1
	DECQ R12
	JNZ  uprow
updone:
	VZEROUPPER
	RET

// func maxPool2BwdAVX(r0, r1, m, grad, d0, d1 *float32, n int)
//
// maxPool2BwdZ on ymm registers, for t < n rounded down to 8: the window
// r0[2t], r0[2t+1], r1[2t], r1[2t+1] passes grad[t] to the first of them
// equal to m[t] (EQ_OQ: NaN equals nothing) and 0 to the other three, all
// of d0[0:2t] and d1[0:2t] written. The even/odd split by VSHUFPS leaves
// the 8 windows in the order 0 1 4 5 2 3 6 7, which VPERMPD $0xD8 gives
// m and grad too, and which VUNPCKLPS/VUNPCKHPS undo on the way out.
TEXT ·maxPool2BwdAVX(SB), NOSPLIT, $0-56
	MOVQ r0+0(FP), SI
	MOVQ r1+8(FP), DI
	MOVQ m+16(FP), R8
	MOVQ grad+24(FP), R9
	MOVQ d0+32(FP), BX
	MOVQ d1+40(FP), DX
	MOVQ n+48(FP), CX
	SHRQ $3, CX
	JZ   pbydone

pbyloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (DI), Y2
	VMOVUPS 32(DI), Y3
	VSHUFPS $0x88, Y1, Y0, Y4 // r0 even
	VSHUFPS $0xDD, Y1, Y0, Y5 // r0 odd
	VSHUFPS $0x88, Y3, Y2, Y6 // r1 even
	VSHUFPS $0xDD, Y3, Y2, Y7 // r1 odd
	VPERMPD $0xD8, (R8), Y8
	VPERMPD $0xD8, (R9), Y9

	VCMPPS  $0, Y8, Y4, Y4
	VCMPPS  $0, Y8, Y5, Y5
	VCMPPS  $0, Y8, Y6, Y6
	VCMPPS  $0, Y8, Y7, Y7
	VANDNPS Y5, Y4, Y5      // only the first match counts
	VORPS   Y4, Y5, Y10
	VANDNPS Y6, Y10, Y6
	VORPS   Y10, Y6, Y10
	VANDNPS Y7, Y10, Y7

	VANDPS Y9, Y4, Y4
	VANDPS Y9, Y5, Y5
	VANDPS Y9, Y6, Y6
	VANDPS Y9, Y7, Y7

	VUNPCKLPS Y5, Y4, Y0
	VUNPCKHPS Y5, Y4, Y1
	VUNPCKLPS Y7, Y6, Y2
	VUNPCKHPS Y7, Y6, Y3
	VMOVUPS   Y0, (BX)
	VMOVUPS   Y1, 32(BX)
	VMOVUPS   Y2, (DX)
	VMOVUPS   Y3, 32(DX)

	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $64, BX
	ADDQ $64, DX
	DECQ CX
	JNZ  pbyloop

pbydone:
	VZEROUPPER
	RET
