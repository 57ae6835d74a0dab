// Package procgroup runs a test daemon as the leader of its own process
// group, so that its whole tree can be signalled at once and nothing is left
// behind: not when the test stops it, and not when the test binary dies.
package procgroup

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Group is a child process started as the leader of its own process group
// (e.g. kc.sh, the java it forks, the java it execs after augmentation).
type Group struct {
	Pgid   int
	exited chan struct{} // closed once the leader has been reaped
	err    error         // the leader's exit status; read only after exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts cmd in a new process group. The child also gets SIGTERM when this process dies
// (Pdeathsig), so a test binary killed by a timeout panic or SIGKILL leaves nothing behind.
func Start(cmd *exec.Cmd) (*Group, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	g := &Group{exited: make(chan struct{})}
	started := make(chan error, 1)
	// Pdeathsig fires when the parent *thread* exits, not the process. Keeping the starting
	// goroutine locked to its thread until the child is reaped means that thread outlives the child.
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		g.Pgid = cmd.Process.Pid
		started <- nil
		g.err = cmd.Wait()
		close(g.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	return g, nil
}

// Exited is closed once the leader has been reaped.
func (g *Group) Exited() <-chan struct{} { return g.exited }

// Err is the leader's exit status; read it only after Exited is closed.
func (g *Group) Err() error { return g.err }

// Stop ends the group (see terminate). Only the first call does the work; later and concurrent
// calls wait for it and return its result.
func (g *Group) Stop(grace time.Duration) error {
	g.stopOnce.Do(func() { g.stopErr = g.terminate(grace) })
	return g.stopErr
}

// terminate sends SIGTERM to the group, waits up to grace for the leader and every other member to
// go, then SIGKILLs whatever is left and waits for the group to be empty.
func (g *Group) terminate(grace time.Duration) error {
	if err := g.signal(syscall.SIGTERM); err != nil {
		return err
	}
	if g.waitEmpty(grace) {
		return nil
	}
	if err := g.signal(syscall.SIGKILL); err != nil {
		return err
	}
	// Members orphaned by the leader's death stay zombies until init reaps them, which some
	// minimal init processes do only every few seconds.
	if !g.waitEmpty(10 * time.Second) {
		return fmt.Errorf("process group %d still alive after SIGKILL", g.Pgid)
	}
	return nil
}

func (g *Group) signal(sig syscall.Signal) error {
	err := syscall.Kill(-g.Pgid, sig)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal process group %d: %w", g.Pgid, err)
	}
	return nil
}

// waitEmpty reports whether the leader has been reaped and no member of the group is left within d.
// Members other than the leader are not our children, so polling kill(-pgid, 0) is the only way to
// see them go; ESRCH means the group is empty.
func (g *Group) waitEmpty(d time.Duration) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	exited, reaped := g.exited, false
	for {
		if reaped && !Alive(g.Pgid) {
			return true
		}
		select {
		case <-deadline.C:
			return false
		case <-tick.C:
		case <-exited:
			reaped, exited = true, nil // a nil channel never fires again
		}
	}
}

// Alive reports whether any process of the group exists (zombies included).
func Alive(pgid int) bool {
	return !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}
