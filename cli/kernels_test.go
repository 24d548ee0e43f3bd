package cli

import (
	"bytes"
	"strings"
	"testing"

	"convlab/arch/kernels"
)

func TestBadKernelPathStopsEveryCommand(t *testing.T) {
	// CONVLAB_KERNELS=sse (as kernels.UseEnv sees it at start-up): every
	// command, even plan, fails with exit status 2 and names the variable
	// and the valid paths, rather than training on another path.
	if err := kernels.UseEnv("sse"); err == nil {
		t.Fatal("UseEnv(sse): no error")
	}
	defer func() {
		if err := kernels.UseEnv(""); err != nil {
			t.Fatal(err)
		}
	}()
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"plan", "experiments/smoke.yaml"}, &stdout, &stderr); code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
	if msg := stderr.String(); !strings.Contains(msg, "CONVLAB_KERNELS") || !strings.Contains(msg, "avx512, avx2, go") {
		t.Errorf("stderr = %q, want the variable and the valid paths named", msg)
	}
}
