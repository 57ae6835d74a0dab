package keyringtest

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// proc is a daemon started as the leader of its own process group.
type proc struct {
	name   string
	pid    int
	exited chan struct{} // closed once the process has been reaped
	err    error         // its exit status; read only after exited is closed
}

// startProc starts cmd in a new process group. The daemon also gets SIGTERM when this process
// dies (Pdeathsig), so a test binary killed by a timeout panic or SIGKILL leaves nothing behind.
func startProc(name string, cmd *exec.Cmd) (*proc, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	p := &proc{name: name, exited: make(chan struct{})}
	started := make(chan error, 1)
	// Pdeathsig fires when the parent *thread* exits, not the process: the goroutine that starts
	// the daemon stays locked to its thread until the daemon has been reaped.
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.pid = cmd.Process.Pid
		started <- nil
		p.err = cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return p, nil
}

// stop sends SIGTERM to the process group, and SIGKILL when it is still there after grace; it
// returns once the daemon has been reaped.
func (p *proc) stop(grace time.Duration) error {
	if err := p.signal(syscall.SIGTERM); err != nil {
		return err
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.exited:
		return nil
	case <-timer.C:
	}
	if err := p.signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-p.exited
	return fmt.Errorf("%s (pid %d) ignored SIGTERM for %s and was killed", p.name, p.pid, grace)
}

func (p *proc) signal(sig syscall.Signal) error {
	if err := syscall.Kill(-p.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal %s (pid %d): %w", p.name, p.pid, err)
	}
	return nil
}
