//go:build unix

package browser

import (
	"os/exec"
	"syscall"
)

// detach starts the launcher in a session of its own: without a controlling
// terminal it cannot write into the TUI even by opening /dev/tty, and a
// hang-up of our terminal does not take the browser down with it.
func detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
