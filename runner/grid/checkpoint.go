package grid

import (
	"bytes"
	"convlab/internal/atomicfile"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Checkpointer saves and loads a run's per-epoch checkpoints: opaque blobs
// (training's weights, optimiser moments, epoch and random state) in
// results/<name>/checkpoints/<run dir>/. Each is written atomically and
// records the run's cache key, so a checkpoint of another version of the
// run (other settings, data or training code) is never resumed from. The
// newest two are kept. All methods of a nil *Checkpointer do nothing.
//
// File format of epoch-NNNNNN.ckpt: the line "CONVLAB-CHECKPOINT 1", a
// one-line JSON header {"key","epoch","size","crc32"}, then size bytes of
// state whose IEEE CRC-32 is crc32.
type Checkpointer struct {
	dir, key string
}

// NewCheckpointer returns the checkpointer of the run with this cache key
// whose checkpoints live in dir.
func NewCheckpointer(dir, key string) *Checkpointer {
	return &Checkpointer{dir: dir, key: key}
}

// Dir is the checkpoint directory.
func (c *Checkpointer) Dir() string {
	if c == nil {
		return ""
	}
	return c.dir
}

const ckptMagic = "CONVLAB-CHECKPOINT 1\n"

type ckptHeader struct {
	Key   string `json:"key"`
	Epoch int    `json:"epoch"`
	Size  int    `json:"size"`
	CRC32 uint32 `json:"crc32"`
}

func ckptName(epoch int) string { return fmt.Sprintf("epoch-%06d.ckpt", epoch) }

// Save records the state after the given completed epoch (1-based). Its
// signature matches the training options' Checkpoint hook.
func (c *Checkpointer) Save(epoch int, state []byte) error {
	if c == nil {
		return nil
	}
	if epoch < 1 {
		return fmt.Errorf("save checkpoint in %s: epoch %d; want a completed epoch, 1 or more", c.dir, epoch)
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	hdr, err := json.Marshal(ckptHeader{Key: c.key, Epoch: epoch, Size: len(state), CRC32: crc32.ChecksumIEEE(state)})
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(ckptMagic) + len(hdr) + 1 + len(state))
	buf.WriteString(ckptMagic)
	buf.Write(hdr)
	buf.WriteByte('\n')
	buf.Write(state)
	if err := atomicfile.WriteFile(filepath.Join(c.dir, ckptName(epoch)), buf.Bytes()); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := syncDir(c.dir); err != nil {
		return err
	}
	// Keep this one and the one before it.
	epochs, err := c.epochs()
	if err != nil {
		return err
	}
	for _, e := range epochs {
		if e != epoch && e != epoch-1 {
			os.Remove(filepath.Join(c.dir, ckptName(e)))
		}
	}
	return nil
}

// Latest returns the newest valid checkpoint of this run: the epoch it was
// taken after and its state. With none, it returns epoch 0 and a nil state.
// Damaged checkpoints and those of other keys are passed over.
func (c *Checkpointer) Latest() (epoch int, state []byte, err error) {
	if c == nil {
		return 0, nil, nil
	}
	epochs, err := c.epochs()
	if err != nil {
		return 0, nil, err
	}
	for i := len(epochs) - 1; i >= 0; i-- {
		path := filepath.Join(c.dir, ckptName(epochs[i]))
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		h, st, err := decodeCheckpoint(path, b)
		if err != nil || h.Key != c.key || h.Epoch != epochs[i] {
			continue
		}
		return h.Epoch, st, nil
	}
	return 0, nil, nil
}

// Clear removes every checkpoint of the run.
func (c *Checkpointer) Clear() error {
	if c == nil {
		return nil
	}
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("clear checkpoints: %w", err)
	}
	return nil
}

// epochs lists the epochs of the checkpoint files, ascending.
func (c *Checkpointer) epochs() ([]int, error) {
	entries, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list checkpoints: %w", err)
	}
	var out []int
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, "epoch-") || !strings.HasSuffix(n, ".ckpt") {
			continue
		}
		ep, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(n, "epoch-"), ".ckpt"))
		if err == nil && ep > 0 && n == ckptName(ep) {
			out = append(out, ep)
		}
	}
	sort.Ints(out)
	return out, nil
}

// decodeCheckpoint parses a checkpoint file's bytes read from path (named
// in errors) and checks its size and checksum.
func decodeCheckpoint(path string, b []byte) (ckptHeader, []byte, error) {
	var h ckptHeader
	rest, ok := bytes.CutPrefix(b, []byte(ckptMagic))
	if !ok {
		return h, nil, fmt.Errorf("%s: not a convlab checkpoint (no %q line)", path, strings.TrimSpace(ckptMagic))
	}
	line, st, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return h, nil, fmt.Errorf("%s:2: checkpoint header has no end of line", path)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return h, nil, fmt.Errorf("%s:2: checkpoint header: %w", path, err)
	}
	switch {
	case h.Epoch < 1:
		return h, nil, fmt.Errorf("%s:2: checkpoint epoch %d; want 1 or more", path, h.Epoch)
	case h.Size != len(st):
		return h, nil, fmt.Errorf("%s: checkpoint holds %d bytes of state, header says %d (truncated?)", path, len(st), h.Size)
	case crc32.ChecksumIEEE(st) != h.CRC32:
		return h, nil, fmt.Errorf("%s: checkpoint checksum mismatch (damaged file)", path)
	}
	return h, st, nil
}
