package procgroup

import (
	"bufio"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestGroupStop runs stand-ins for kc.sh: a shell whose child must go with it, a group that
// ignores SIGTERM (only SIGKILL ends it), and a leader that already exited leaving an orphan.
// Orphans are reaped by init, so those cases take as long as init takes (about 2 s on some VMs).
func TestGroupStop(t *testing.T) {
	const grace = 300 * time.Millisecond
	tests := []struct {
		name     string
		script   string
		needKill bool // SIGTERM is ignored, so stop must wait out the grace period
	}{
		// Like kc.sh: forward TERM to the child and reap it.
		{name: "leader forwards TERM to its child", script: `trap 'kill $!; wait' TERM; sleep 300 & echo ready; wait`},
		{name: "group ignores SIGTERM", script: `trap "" TERM; sleep 300 & echo ready; wait`, needKill: true},
		{name: "leader gone, orphan left in the group", script: `sleep 300 & echo ready`},
		{name: "nothing left to stop", script: `echo ready`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := startReady(t, tt.script, grace)
			start := time.Now()
			if err := g.Stop(grace); err != nil {
				t.Fatalf("stop: %v", err)
			}
			if Alive(g.Pgid) {
				t.Errorf("process group %d still has members after stop", g.Pgid)
			}
			if took := time.Since(start); tt.needKill && took < grace {
				t.Errorf("stop took %s, want at least the %s grace before SIGKILL", took, grace)
			}
			if err := g.Stop(grace); err != nil {
				t.Errorf("second stop: %v", err)
			}
		})
	}
}

// startReady starts script in its own group and returns once it has printed "ready", i.e. once its
// children exist and its traps are set.
func startReady(t *testing.T, script string, grace time.Duration) *Group {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("sh", "-c", script)
	cmd.Stdout = w
	g, err := Start(cmd)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-g.Pgid, syscall.SIGKILL) })
	if line, err := bufio.NewReader(r).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("read readiness line: %q, %v", line, err)
	}
	return g
}
