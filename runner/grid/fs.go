package grid

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"convlab/runner/integrity"
	"convlab/runner/results"
)

// syncDir fsyncs a directory so that renames in it are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// syncTree fsyncs every file and directory under root.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("sync %s: %w", p, err)
		}
		if d.IsDir() {
			return syncDir(p)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("sync %s: %w", p, err)
		}
		defer f.Close()
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync %s: %w", p, err)
		}
		return nil
	})
}

// makeTmp creates parent/<name>.<pid>.<random> with an OWNER file naming
// the host and process, so that CleanStale can tell when its owner is dead.
func makeTmp(parent, name string) (string, error) {
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("temporary run directory: %w", err)
	}
	dir := filepath.Join(parent, fmt.Sprintf("%s.%d.%s", name, os.Getpid(), hex.EncodeToString(r[:])))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("temporary run directory: %w", err)
	}
	host, _ := os.Hostname()
	owner := fmt.Sprintf("%s\n%d\n", host, os.Getpid())
	if err := os.WriteFile(filepath.Join(dir, OwnerFile), []byte(owner), 0o644); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("temporary run directory: %w", err)
	}
	return dir, nil
}

// tmpOwner tells who owns a temporary directory: its pid from the name, and
// the host from OWNER ("" when OWNER is missing, i.e. the owner died right
// after creating it, on this host).
func tmpOwner(dir string) (host string, pid int, ok bool) {
	base := filepath.Base(dir)
	parts := strings.Split(base, ".")
	if len(parts) < 3 {
		return "", 0, false
	}
	pid, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil || pid <= 0 {
		return "", 0, false
	}
	b, err := os.ReadFile(filepath.Join(dir, OwnerFile))
	if err == nil {
		host, _, _ = strings.Cut(string(b), "\n")
	}
	return host, pid, true
}

// processAlive reports whether a process with this pid exists on this host
// (a zombie counts as alive until its parent reaps it).
func processAlive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// CleanStale removes the temporary run directories under root/tmp whose
// owning process, on this host, is dead, and returns their paths.
// Directories of live processes and of other hosts are left alone.
func CleanStale(root string) ([]string, error) {
	tmpRoot := filepath.Join(root, TmpDir)
	entries, err := os.ReadDir(tmpRoot)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("clean stale runs: %w", err)
	}
	me, _ := os.Hostname()
	var cleaned []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(tmpRoot, e.Name())
		host, pid, ok := tmpOwner(dir)
		if !ok || (host != "" && host != me) || processAlive(pid) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return cleaned, fmt.Errorf("clean stale run directory: %w", err)
		}
		cleaned = append(cleaned, dir)
	}
	return cleaned, nil
}

// commit moves the finished run directory tmp to final in one step. When
// final exists (a stale or forced run), the two are swapped atomically and
// the old one, now at tmp, is removed; where the swap is not supported the
// old one is first moved aside. Either way runs/ never holds a partial run.
func commit(tmp, final string) error {
	parent := filepath.Dir(final)
	err := os.Rename(tmp, final)
	if err != nil {
		if _, serr := os.Stat(final); serr != nil {
			return fmt.Errorf("commit run %s: %w", final, err)
		}
		if err = exchange(tmp, final); err != nil {
			aside := tmp + "-old"
			if err := os.Rename(final, aside); err != nil {
				return fmt.Errorf("commit run %s: move old run aside: %w", final, err)
			}
			if err := os.Rename(tmp, final); err != nil {
				return fmt.Errorf("commit run %s: %w", final, err)
			}
			tmp = aside
		}
		// tmp now holds the old run.
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("commit run %s: remove the old run: %w", final, err)
		}
	}
	if err := syncDir(parent); err != nil {
		return err
	}
	return syncDir(filepath.Dir(tmp))
}

// QuarantineNote is the file quarantine writes into a directory it moves
// aside, saying when and why.
const QuarantineNote = "QUARANTINE.txt"

// quarantine moves the damaged run directory dir to root/quarantine/<name>,
// or <name>.2, <name>.3, ... when an earlier copy is there, writes a note
// of the damage into it and returns where it went. It deletes nothing.
// The caller holds the tree lock, so that two processes do not pick the
// same name.
func quarantine(root, dir string, damage []integrity.Damage) (string, error) {
	qdir := filepath.Join(root, QuarantineDir)
	if err := os.MkdirAll(qdir, 0o755); err != nil {
		return "", fmt.Errorf("quarantine %s: %w", dir, err)
	}
	base := filepath.Base(dir)
	to := filepath.Join(qdir, base)
	for i := 2; ; i++ {
		if _, err := os.Lstat(to); errors.Is(err, fs.ErrNotExist) {
			break
		}
		to = filepath.Join(qdir, fmt.Sprintf("%s.%d", base, i))
	}
	if err := os.Rename(dir, to); err != nil {
		return "", fmt.Errorf("quarantine %s: %w", dir, err)
	}
	var note strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&note, "Moved here from %s/%s by convlab (host %s, pid %d) at %s, because:\n",
		results.RunsDir, base, host, os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	for _, d := range damage {
		fmt.Fprintf(&note, "  %s: %s\n", d.File, d.Problem)
	}
	// The move is what matters; a note that cannot be written (a full disk)
	// does not undo it.
	_ = os.WriteFile(filepath.Join(to, QuarantineNote), []byte(note.String()), 0o644)
	if err := syncDir(qdir); err != nil {
		return to, err
	}
	return to, syncDir(filepath.Dir(dir))
}

// Quarantine moves the damaged run directory dir of the results tree root
// to root/quarantine/ (see Execute), holding the tree's lock, and returns
// where it went. It checks dir again under the lock, hashes included, and
// moves nothing ("" and no error) when it is intact by then (another
// process committed a new copy) or gone.
func Quarantine(root, dir string) (string, error) {
	to, _, err := quarantineIfDamaged(&treeLock{path: filepath.Join(root, LockFile)}, root, dir, true)
	return to, err
}

// quarantineIfDamaged checks dir under the tree lock (hashes too when deep
// is set) and moves it to quarantine/ when it is damaged, returning where
// it went ("" when it is intact or gone) and the damage.
func quarantineIfDamaged(lock *treeLock, root, dir string, deep bool) (to string, damage []integrity.Damage, err error) {
	err = lock.with(func() error {
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if _, damage = integrity.CheckRunDir(dir, deep); len(damage) == 0 {
			return nil
		}
		var err error
		to, err = quarantine(root, dir, damage)
		return err
	})
	return to, damage, err
}
