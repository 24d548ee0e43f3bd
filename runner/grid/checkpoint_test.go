package grid

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"convlab/runner/results"
)

func TestCheckpointer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ck")
	c := NewCheckpointer(dir, "k1")
	if ep, st, err := c.Latest(); ep != 0 || st != nil || err != nil {
		t.Fatalf("empty Latest = %d, %q, %v", ep, st, err)
	}
	for e := 1; e <= 4; e++ {
		if err := c.Save(e, []byte{byte(e), 'x'}); err != nil {
			t.Fatal(err)
		}
	}
	// The newest two are kept.
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(names) != 2 || filepath.Base(names[0]) != "epoch-000003.ckpt" || filepath.Base(names[1]) != "epoch-000004.ckpt" {
		t.Errorf("files %v, want epochs 3 and 4", names)
	}
	if ep, st, err := c.Latest(); ep != 4 || !bytes.Equal(st, []byte{4, 'x'}) || err != nil {
		t.Errorf("Latest = %d, %q, %v; want 4", ep, st, err)
	}
	// A damaged newest checkpoint falls back to the one before.
	p4 := filepath.Join(dir, "epoch-000004.ckpt")
	b, _ := os.ReadFile(p4)
	b[len(b)-1] ^= 0xff
	os.WriteFile(p4, b, 0o644)
	if ep, st, _ := c.Latest(); ep != 3 || !bytes.Equal(st, []byte{3, 'x'}) {
		t.Errorf("Latest with a damaged epoch 4 = %d, %q; want 3", ep, st)
	}
	// Another key (other settings, data or code) never resumes from them.
	if ep, _, _ := NewCheckpointer(dir, "k2").Latest(); ep != 0 {
		t.Errorf("other key resumed from epoch %d", ep)
	}
	if err := c.Save(0, nil); err == nil {
		t.Error("Save(0) succeeded; want an error")
	}
	if err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Clear left %s: %v", dir, err)
	}
	// A nil checkpointer (training outside Execute) does nothing.
	var none *Checkpointer
	if err := none.Save(1, []byte("x")); err != nil {
		t.Error(err)
	}
	if ep, st, err := none.Latest(); ep != 0 || st != nil || err != nil {
		t.Errorf("nil Latest = %d %q %v", ep, st, err)
	}
	if CheckpointerFrom(context.Background()) != nil {
		t.Error("CheckpointerFrom outside Execute is not nil")
	}
}

func TestDecodeCheckpointErrors(t *testing.T) {
	good := []byte("CONVLAB-CHECKPOINT 1\n{\"key\":\"k\",\"epoch\":2,\"size\":3,\"crc32\":891568578}\nabc")
	if h, st, err := decodeCheckpoint("f.ckpt", good); err != nil || h.Key != "k" || h.Epoch != 2 || string(st) != "abc" {
		t.Fatalf("good checkpoint: %q %d %q %v", h.Key, h.Epoch, st, err)
	}
	tests := []struct{ in, want string }{
		{"", `f.ckpt: not a convlab checkpoint (no "CONVLAB-CHECKPOINT 1" line)`},
		{"CONVLAB-CHECKPOINT 1\n{}", "f.ckpt:2: checkpoint header has no end of line"},
		{"CONVLAB-CHECKPOINT 1\n{\"key\":1}\n", "f.ckpt:2: checkpoint header: json: cannot unmarshal number"},
		{"CONVLAB-CHECKPOINT 1\n{\"kee\":\"k\"}\n", `f.ckpt:2: checkpoint header: json: unknown field "kee"`},
		{"CONVLAB-CHECKPOINT 1\n{\"key\":\"k\",\"epoch\":0}\n", "f.ckpt:2: checkpoint epoch 0; want 1 or more"},
		{"CONVLAB-CHECKPOINT 1\n{\"key\":\"k\",\"epoch\":2,\"size\":4,\"crc32\":891568578}\nabc", "f.ckpt: checkpoint holds 3 bytes of state, header says 4 (truncated?)"},
		{"CONVLAB-CHECKPOINT 1\n{\"key\":\"k\",\"epoch\":2,\"size\":3,\"crc32\":1}\nabc", "f.ckpt: checkpoint checksum mismatch (damaged file)"},
	}
	for _, tt := range tests {
		_, _, err := decodeCheckpoint("f.ckpt", []byte(tt.in))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("decodeCheckpoint(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func FuzzDecodeCheckpoint(f *testing.F) {
	f.Add([]byte("CONVLAB-CHECKPOINT 1\n{\"key\":\"k\",\"epoch\":2,\"size\":3,\"crc32\":891568578}\nabc"))
	f.Add([]byte("CONVLAB-CHECKPOINT 1\n{\"key\":\"k\",\"epoch\":-1}\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, st, err := decodeCheckpoint("f", b)
		if err == nil && (h.Epoch < 1 || !bytes.HasSuffix(b, st)) {
			t.Errorf("accepted a checkpoint with epoch %d", h.Epoch)
		}
	})
}

func TestResumeAfterCrash(t *testing.T) {
	root := t.TempDir()
	runs := grid(2)
	f := &fakeTrainer{crashAfter: 2}
	sum, err := Execute(context.Background(), runs, opts(root, f))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failed) != 2 || len(sum.Done) != 0 {
		t.Fatalf("first Execute: %s; want both runs failed after epoch 2", sum)
	}
	for _, r := range runs {
		ck := NewCheckpointer(filepath.Join(root, CheckpointsDir, results.RunDirName(r)), Key(r, "cifar10:test"))
		if ep, _, _ := ck.Latest(); ep != 2 {
			t.Errorf("run %s: last checkpoint after epoch %d, want 2", r.ID, ep)
		}
	}
	sum, err = Execute(context.Background(), runs, opts(root, f))
	if err != nil || len(sum.Done) != 2 {
		t.Fatalf("second Execute: %s, %v", sum, err)
	}
	for _, r := range runs {
		if f.resumed[r.ID] != 2 {
			t.Errorf("run %s resumed after epoch %d, want 2", r.ID, f.resumed[r.ID])
		}
	}
	// The history is whole (epochs 1..3 once each) and checkpoints are gone.
	checkTree(t, root, runs)
}
