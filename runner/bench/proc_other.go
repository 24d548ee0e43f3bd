//go:build !linux

package bench

import "time"

func peakRSS() (int64, bool)                 { return 0, false }
func resetPeakRSS() bool                     { return false }
func processCPU() (time.Duration, bool)      { return 0, false }
func parseVmHWM(status []byte) (int64, bool) { return 0, false }
