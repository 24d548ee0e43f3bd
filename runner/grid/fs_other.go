//go:build !linux

package grid

import "errors"

// exchange is only atomic on Linux; elsewhere commit moves the old run
// aside first.
func exchange(a, b string) error { return errors.New("atomic exchange not supported") }
