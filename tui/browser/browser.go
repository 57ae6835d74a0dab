// Package browser opens a URL in the person's web browser when that is
// sensible, and says why when it is not: over SSH the browser would open on
// the wrong machine, without a display there is none, and a text browser
// would fight the TUI for the terminal. github.com/pkg/browser does the
// opening on macOS and Windows; everything else is a launcher we start
// ourselves, always with its output discarded.
package browser

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"

	pkgbrowser "github.com/pkg/browser"
)

// Opener decides how to open a URL from an explicit environment. The zero
// value of each field means the real thing.
type Opener struct {
	Getenv   func(string) string                     // the environment; nil = os.Getenv
	GOOS     string                                  // "" = runtime.GOOS
	ReadFile func(string) ([]byte, error)            // for /proc/version (WSL detection); nil = os.ReadFile
	LookPath func(string) (string, error)            // whether a launcher is installed; nil = exec.LookPath
	Start    func(name string, args ...string) error // starts a launcher with stdin, stdout and stderr discarded, without waiting for the browser; nil = the real thing
}

// Result says what Open did: Opened with How (the variable or launcher used,
// e.g. "LATCHKEY_BROWSER", "BROWSER", "xdg-open"), or not opened on purpose,
// with the Reason to show beside the URL.
type Result struct {
	Opened bool
	How    string
	Reason string
}

// Open opens url in the person's browser when that is sensible. The order:
// LATCHKEY_BROWSER (honoured everywhere, even over SSH: tests plug a driven
// browser in through it), then nothing over SSH, then BROWSER (a list; text
// browsers skipped), then WSL (wslview, else rundll32.exe), macOS (open),
// Windows (the default browser), and on other systems xdg-open when there is
// a display. An error means a launcher was chosen but could not start.
func (o Opener) Open(url string) (Result, error) {
	if url == "" {
		return Result{}, errors.New("open the browser: empty url")
	}
	getenv := o.getenv()
	if cmd := strings.TrimSpace(getenv("LATCHKEY_BROWSER")); cmd != "" {
		argv, err := command(cmd, url, o.goos() != "windows")
		if err != nil {
			return Result{How: "LATCHKEY_BROWSER"}, fmt.Errorf("read LATCHKEY_BROWSER: %w", err)
		}
		return o.launch("LATCHKEY_BROWSER", argv)
	}
	if getenv("SSH_CONNECTION") != "" || getenv("SSH_CLIENT") != "" || getenv("SSH_TTY") != "" {
		return Result{Reason: "over SSH: open the URL on your own machine"}, nil
	}

	var skipped []string
	if list := getenv("BROWSER"); strings.TrimSpace(list) != "" {
		sep := ":"
		if o.goos() == "windows" {
			sep = ";"
		}
		for entry := range strings.SplitSeq(list, sep) {
			if strings.TrimSpace(entry) == "" {
				continue
			}
			argv, err := command(entry, url, o.goos() != "windows")
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("BROWSER entry %q unreadable (%v)", entry, err))
				continue
			}
			name := programName(argv[0])
			if isTextBrowser(name) {
				skipped = append(skipped, "BROWSER names a text browser ("+name+")")
				continue
			}
			if _, err := o.lookPath(argv[0]); err != nil {
				skipped = append(skipped, "BROWSER names "+name+", which is not installed")
				continue
			}
			return o.launch("BROWSER", argv)
		}
	}

	res, err := o.platform(url)
	if !res.Opened && err == nil && len(skipped) > 0 {
		res.Reason = strings.Join(append(skipped, res.Reason), "; ")
	}
	return res, err
}

// platform opens url the way the operating system does.
func (o Opener) platform(url string) (Result, error) {
	switch goos := o.goos(); {
	case goos == "linux" && o.isWSL():
		// The Windows side has the person's browser. rundll32 rather than
		// `cmd.exe /c start`: cmd.exe would split the URL at every '&'.
		if _, err := o.lookPath("wslview"); err == nil {
			return o.launch("wslview", []string{"wslview", url})
		}
		if _, err := o.lookPath("rundll32.exe"); err == nil {
			return o.launch("rundll32.exe", []string{"rundll32.exe", "url.dll,FileProtocolHandler", url})
		}
		return Result{Reason: "WSL without wslview or rundll32.exe on PATH"}, nil
	case goos == "darwin":
		return o.system("open", url, []string{"open", url})
	case goos == "windows":
		// Start, when set, sees the command equivalent to pkg/browser's ShellExecute.
		return o.system("ShellExecute", url, []string{"rundll32.exe", "url.dll,FileProtocolHandler", url})
	case goos == "android" || goos == "ios" || goos == "js" || goos == "wasip1" || goos == "plan9":
		return Result{Reason: "no known way to open a browser on " + goos}, nil
	default: // Linux, the BSDs, illumos, Solaris, AIX
		if o.getenv()("DISPLAY") == "" && o.getenv()("WAYLAND_DISPLAY") == "" {
			return Result{Reason: "no display (DISPLAY and WAYLAND_DISPLAY are unset)"}, nil
		}
		if _, err := o.lookPath("xdg-open"); err != nil {
			return Result{Reason: "xdg-open is not installed"}, nil
		}
		return o.launch("xdg-open", []string{"xdg-open", url})
	}
}

// system opens url through pkg/browser when running for real on this very
// operating system, and otherwise starts the equivalent command.
func (o Opener) system(how, url string, equivalent []string) (Result, error) {
	if o.Start != nil || o.goos() != runtime.GOOS {
		return o.launch(how, equivalent)
	}
	if err := pkgbrowserOpen(url); err != nil {
		return Result{How: how}, fmt.Errorf("open the browser with %s: %w", how, err)
	}
	return Result{Opened: true, How: how}, nil
}

func (o Opener) launch(how string, argv []string) (Result, error) {
	start := o.Start
	if start == nil {
		start = startDetached
	}
	if err := start(argv[0], argv[1:]...); err != nil {
		return Result{How: how}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	return Result{Opened: true, How: how}, nil
}

// isWSL detects the Windows Subsystem for Linux by the variables it sets,
// or by the kernel's name in /proc/version ("…-microsoft-standard-WSL2").
func (o Opener) isWSL() bool {
	if o.getenv()("WSL_DISTRO_NAME") != "" || o.getenv()("WSL_INTEROP") != "" {
		return true
	}
	readFile := o.ReadFile
	if readFile == nil {
		readFile = os.ReadFile
	}
	version, err := readFile("/proc/version")
	return err == nil && strings.Contains(strings.ToLower(string(version)), "microsoft")
}

func (o Opener) getenv() func(string) string {
	if o.Getenv == nil {
		return os.Getenv
	}
	return o.Getenv
}

func (o Opener) goos() string {
	if o.GOOS == "" {
		return runtime.GOOS
	}
	return o.GOOS
}

func (o Opener) lookPath(name string) (string, error) {
	if o.LookPath == nil {
		return exec.LookPath(name)
	}
	return o.LookPath(name)
}

// startDetached starts a launcher and lets it run. Stdin, Stdout and Stderr
// stay nil, so os/exec connects them to the null device: no pipe that a
// lingering browser could hold open, and nothing reaches the terminal. On
// Unix the launcher also gets a session of its own (see detach), so it has no
// controlling terminal to write to either. Waiting happens in the background
// only to reap the process; a browser may outlive us.
func startDetached(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	detach(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// pkg/browser sends its launcher's output to its package variables Stdout
// and Stderr (os.Stdout and os.Stderr by default). We set both once, before
// our first call, and never touch them again, so no call races another's
// write; nothing else in latchkey uses pkg/browser. nil rather than
// io.Discard: os/exec then connects the null device directly instead of a
// pipe plus a copying goroutine that a lingering child could keep alive.
var quietPkgBrowser sync.Once

func pkgbrowserOpen(url string) error {
	quietPkgBrowser.Do(func() {
		pkgbrowser.Stdout = nil
		pkgbrowser.Stderr = nil
	})
	return pkgbrowser.OpenURL(url)
}

// programName is a command's base name, lower-cased, without ".exe".
func programName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		path = path[i+1:]
	}
	return strings.TrimSuffix(strings.ToLower(path), ".exe")
}

// isTextBrowser reports browsers that run in the terminal, where they would
// fight the TUI. www-browser is Debian's alternative for a text browser.
func isTextBrowser(name string) bool {
	switch name {
	case "lynx", "links", "links2", "elinks", "w3m", "browsh", "carbonyl", "www-browser", "edbrowse", "netrik", "retawq", "cha":
		return true
	}
	return false
}
