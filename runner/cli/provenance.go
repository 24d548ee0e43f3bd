package cli

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"convlab/runner/results"
)

// provenance describes the binary and machine producing a result. The
// commit comes from the build info when "go build" stamped it, else from
// git in the working directory (as with "go run"), else it is left empty.
func provenance() results.Provenance {
	p := results.Provenance{ToolVersion: Version, Cores: runtime.NumCPU()}
	p.GitCommit, p.GitDirty = BuildCommit()
	if p.GitCommit == "" {
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			p.GitCommit = strings.TrimSpace(string(out))
			if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
				p.GitDirty = len(strings.TrimSpace(string(st))) > 0
			}
		}
	}
	p.Host, _ = os.Hostname()
	p.Finished = time.Now().UTC().Format(time.RFC3339)
	return p
}
