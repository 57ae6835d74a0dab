//go:build !unix

package browser

import "os/exec"

// detach has nothing to do where there are no Unix sessions.
func detach(*exec.Cmd) {}
