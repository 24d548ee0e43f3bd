//go:build amd64 && !purego

#include "textflag.h"

// func mulAVX(a, b, out *float32, n int)
// out[i] = a[i]*b[i] for i < n rounded down to 32, four ymm registers a turn.
TEXT ·mulAVX(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ out+16(FP), BX
	MOVQ n+24(FP), CX
	SHRQ $5, CX
	JZ   muldone
mulloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMULPS  (DI), Y0, Y0
	VMULPS  32(DI), Y1, Y1
	VMULPS  64(DI), Y2, Y2
	VMULPS  96(DI), Y3, Y3
	VMOVUPS Y0, (BX)
	VMOVUPS Y1, 32(BX)
	VMOVUPS Y2, 64(BX)
	VMOVUPS Y3, 96(BX)
	ADDQ    $128, SI
	ADDQ    $128, DI
	ADDQ    $128, BX
	DECQ    CX
	JNZ     mulloop
muldone:
	VZEROUPPER
	RET
