package arch

import "testing"

func TestFLOPs(t *testing.T) {
	// strided on 3×32×32, by hand (2·outputs·C·K·K per convolution):
	// conv 16@32×32 from 3: 884,736; conv 16@16×16 from 16: 1,179,648;
	// conv 32@16×16 from 16: 2,359,296; conv 32@8×8 from 32: 1,179,648;
	// dense 2048→10: 40,960. Forward 5,644,288; training three times that
	// less the first layer's input gradient (884,736): 16,048,128.
	a, err := Preset("strided")
	if err != nil {
		t.Fatal(err)
	}
	fwd, train, err := a.FLOPs(Shape{C: 3, H: 32, W: 32})
	if err != nil {
		t.Fatal(err)
	}
	if fwd != 5644288 || train != 16048128 {
		t.Errorf("strided FLOPs = %v forward, %v training; want 5644288 and 16048128", fwd, train)
	}
	if _, _, err := a.FLOPs(Shape{C: 3}); err == nil {
		t.Error("FLOPs of a convolution on a flat input: no error")
	}
}
