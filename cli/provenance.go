package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"convlab/arch/kernels"
	"convlab/runner/results"
)

// provenance describes the binary, machine and kernel path producing
// results; it is computed once before a grid trains, and each run adds its
// own Cores (the threads it was given) and Finished. The commit comes from the build info
// when "go build" stamped it, else from git in the working directory (as
// with "go run"), else it is left empty. Whether the code had uncommitted
// changes is asked of git when it can answer for that commit, leaving out
// resultsDir: results committed next to the code are rewritten by the very
// runs being described and say nothing about the code.
func provenance(resultsDir string) results.Provenance {
	p := results.Provenance{ToolVersion: Version, Kernels: kernels.Path()}
	p.GitCommit, p.GitDirty = BuildCommit()
	if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
		head := strings.TrimSpace(string(out))
		if p.GitCommit == "" || p.GitCommit == head {
			p.GitCommit = head
			if dirty, ok := gitDirty(resultsDir); ok {
				p.GitDirty = dirty
			}
		}
	}
	p.Host, _ = os.Hostname()
	return p
}

// gitDirty reports whether tracked files outside resultsDir differ from
// the commit checked out in the working directory.
func gitDirty(resultsDir string) (dirty, ok bool) {
	args := []string{"status", "--porcelain", "--untracked-files=no", "--", "."}
	if resultsDir != "" {
		// A results directory outside the repository makes the pathspec
		// invalid; it then has nothing to leave out.
		if st, err := exec.Command("git", append(args, ":(exclude)"+filepath.ToSlash(resultsDir))...).Output(); err == nil {
			return len(strings.TrimSpace(string(st))) > 0, true
		}
	}
	st, err := exec.Command("git", args...).Output()
	if err != nil {
		return false, false
	}
	return len(strings.TrimSpace(string(st))) > 0, true
}
