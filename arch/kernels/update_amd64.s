//go:build amd64 && !purego

#include "textflag.h"

// func adam32Z(w, grad *float32, m, v *float64, n int, b1, c1, b2, c2, eps, lr float64)
//
// Adam's float32 loop, eight values a step (n a positive multiple of
// 8); c1 and
// c2 are 1−b1 and 1−b2. No fused multiply-adds: each operation rounds as
// the Go loop's does.
TEXT ·adam32Z(SB), NOSPLIT, $0-88
	MOVQ         w+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), R8
	MOVQ         v+24(FP), R9
	MOVQ         n+32(FP), CX
	VBROADCASTSD b1+40(FP), Z10
	VBROADCASTSD c1+48(FP), Z11
	VBROADCASTSD b2+56(FP), Z12
	VBROADCASTSD c2+64(FP), Z13
	VBROADCASTSD eps+72(FP), Z14
	VBROADCASTSD lr+80(FP), Z15
	SHRQ         $3, CX

adamloop:
	VCVTPS2PD (SI), Z0      // g
	VMULPD    (R8), Z10, Z1 // b1·m
	VMULPD    Z0, Z11, Z2   // (1−b1)·g
	VADDPD    Z2, Z1, Z1    // m
	VMOVUPD   Z1, (R8)
	VMULPD    (R9), Z12, Z3 // b2·v
	VMULPD    Z0, Z13, Z4   // (1−b2)·g
	VMULPD    Z0, Z4, Z4    // ·g
	VADDPD    Z4, Z3, Z3    // v
	VMOVUPD   Z3, (R9)
	VSQRTPD   Z3, Z5
	VADDPD    Z14, Z5, Z5   // sqrt(v) + eps
	VMULPD    Z1, Z15, Z6   // lr·m
	VDIVPD    Z5, Z6, Z6
	VCVTPS2PD (DI), Z7      // w
	VSUBPD    Z6, Z7, Z7
	VCVTPD2PS Z7, Y7
	VMOVUPS   Y7, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	ADDQ      $64, R8
	ADDQ      $64, R9
	DECQ      CX
	JNZ       adamloop
	VZEROUPPER
	RET

// func penaltyGrad32Z(w, dw *float32, n int, a, b float64)
//
// PenaltyGrad's float32 loop, eight values a step (n a positive multiple
// of 8): b·w, then +a where w > 0 and −a where w < 0 (masked, so that
// other values keep b·w as the loop's do), in float64.
TEXT ·penaltyGrad32Z(SB), NOSPLIT, $0-40
	MOVQ         w+0(FP), SI
	MOVQ         dw+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD a+24(FP), Z10
	VBROADCASTSD b+32(FP), Z11
	VPXORQ       Z12, Z12, Z12
	SHRQ         $3, CX

pgloop:
	VCVTPS2PD (SI), Z0
	VMULPD    Z0, Z11, Z1
	VCMPPD    $0x1e, Z12, Z0, K1 // w > 0 (GT_OQ)
	VCMPPD    $0x11, Z12, Z0, K2 // w < 0 (LT_OQ)
	VADDPD    Z10, Z1, K1, Z1
	VSUBPD    Z10, Z1, K2, Z1
	VCVTPD2PS Z1, Y1
	VMOVUPS   Y1, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       pgloop
	VZEROUPPER
	RET

// func adam32Y(w, grad *float32, m, v *float64, n int, b1, c1, b2, c2, eps, lr float64)
//
// adam32Z on ymm registers, for the avx2 path: four values a step (n a
// positive multiple of 4), the same operations in the same order.
TEXT ·adam32Y(SB), NOSPLIT, $0-88
	MOVQ         w+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), R8
	MOVQ         v+24(FP), R9
	MOVQ         n+32(FP), CX
	VBROADCASTSD b1+40(FP), Y10
	VBROADCASTSD c1+48(FP), Y11
	VBROADCASTSD b2+56(FP), Y12
	VBROADCASTSD c2+64(FP), Y13
	VBROADCASTSD eps+72(FP), Y14
	VBROADCASTSD lr+80(FP), Y15
	SHRQ         $2, CX

adamyloop:
	VCVTPS2PD  (SI), Y0      // g
	VMULPD     (R8), Y10, Y1 // b1·m
	VMULPD     Y0, Y11, Y2   // (1−b1)·g
	VADDPD     Y2, Y1, Y1    // m
	VMOVUPD    Y1, (R8)
	VMULPD     (R9), Y12, Y3 // b2·v
	VMULPD     Y0, Y13, Y4   // (1−b2)·g
	VMULPD     Y0, Y4, Y4    // ·g
	VADDPD     Y4, Y3, Y3    // v
	VMOVUPD    Y3, (R9)
	VSQRTPD    Y3, Y5
	VADDPD     Y14, Y5, Y5   // sqrt(v) + eps
	VMULPD     Y1, Y15, Y6   // lr·m
	VDIVPD     Y5, Y6, Y6
	VCVTPS2PD  (DI), Y7      // w
	VSUBPD     Y6, Y7, Y7
	VCVTPD2PSY Y7, X7
	VMOVUPS    X7, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DI
	ADDQ       $32, R8
	ADDQ       $32, R9
	DECQ       CX
	JNZ        adamyloop
	VZEROUPPER
	RET

// func penaltyGrad32Y(w, dw *float32, n int, a, b float64)
//
// penaltyGrad32Z on ymm registers, for the avx2 path: four values a step
// (n a positive multiple of 4). b·w ± a is blended in where w > 0 or
// w < 0 rather than ±(a masked) added everywhere, which would turn a −0
// b·w into +0.
TEXT ·penaltyGrad32Y(SB), NOSPLIT, $0-40
	MOVQ         w+0(FP), SI
	MOVQ         dw+8(FP), DI
	MOVQ         n+16(FP), CX
	VBROADCASTSD a+24(FP), Y10
	VBROADCASTSD b+32(FP), Y11
	VXORPD       Y12, Y12, Y12
	SHRQ         $2, CX

pgyloop:
	VCVTPS2PD  (SI), Y0
	VMULPD     Y0, Y11, Y1
	VCMPPD     $0x1e, Y12, Y0, Y2 // w > 0 (GT_OQ)
	VCMPPD     $0x11, Y12, Y0, Y3 // w < 0 (LT_OQ)
	VADDPD     Y10, Y1, Y4
	VSUBPD     Y10, Y1, Y5
	VBLENDVPD  Y2, Y4, Y1, Y1
	VBLENDVPD  Y3, Y5, Y1, Y1
	VCVTPD2PSY Y1, X1
	VMOVUPS    X1, (DI)
	ADDQ       $16, SI
	ADDQ       $16, DI
	DECQ       CX
	JNZ        pgyloop
	VZEROUPPER
	RET
