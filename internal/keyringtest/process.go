package keyringtest

import (
	"fmt"
	"os/exec"

	"github.com/latchkeyhq/latchkey/internal/procgroup"
)

// proc is a named daemon in its own process group.
type proc struct {
	name string
	*procgroup.Group
}

func startProc(name string, cmd *exec.Cmd) (*proc, error) {
	g, err := procgroup.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	return &proc{name: name, Group: g}, nil
}
