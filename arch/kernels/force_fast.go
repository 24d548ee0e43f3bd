//go:build !refkernels

package kernels

// forceRef routes every call to the reference loops: build with
// -tags refkernels to measure what the fast kernels gain.
const forceRef = false
