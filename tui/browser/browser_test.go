package browser

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testURL has the characters a launcher or shell would mangle.
const testURL = `https://sso.example.com/oauth/authorize?client_id=latchkey-cli&redirect_uri=http%3A%2F%2F127.0.0.1%3A4242%2Fcb&state=a%26b`

type call struct {
	Name string
	Args []string
}

func TestOpen(t *testing.T) {
	const (
		wsl2Version  = "Linux version 5.15.167.4-microsoft-standard-WSL2 (root@1c602f52c2e4) (gcc (GCC) 11.2.0) #1 SMP"
		debianVesion = "Linux version 6.12.38+deb13-amd64 (debian-kernel@lists.debian.org) (x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0) #1 SMP"
	)
	tests := []struct {
		name      string
		goos      string
		env       map[string]string
		installed []string
		version   string // /proc/version; "" = unreadable
		want      Result
		wantCalls []call
	}{
		{
			name:      "LATCHKEY_BROWSER without %s gets the URL appended",
			env:       map[string]string{"LATCHKEY_BROWSER": "drive-chromium --headless"},
			want:      Result{Opened: true, How: "LATCHKEY_BROWSER"},
			wantCalls: []call{{"drive-chromium", []string{"--headless", testURL}}},
		},
		{
			name:      "LATCHKEY_BROWSER with %s inside an argument",
			env:       map[string]string{"LATCHKEY_BROWSER": `'/opt/My Browser/run' --url=%s --new-tab`},
			want:      Result{Opened: true, How: "LATCHKEY_BROWSER"},
			wantCalls: []call{{"/opt/My Browser/run", []string{"--url=" + testURL, "--new-tab"}}},
		},
		{
			name:      "LATCHKEY_BROWSER over SSH without a display",
			env:       map[string]string{"LATCHKEY_BROWSER": "drive %s", "SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22", "SSH_TTY": "/dev/pts/1"},
			want:      Result{Opened: true, How: "LATCHKEY_BROWSER"},
			wantCalls: []call{{"drive", []string{testURL}}},
		},
		{
			name:      "LATCHKEY_BROWSER wins over BROWSER",
			env:       map[string]string{"LATCHKEY_BROWSER": "drive", "BROWSER": "firefox", "DISPLAY": ":0"},
			installed: []string{"firefox", "xdg-open"},
			want:      Result{Opened: true, How: "LATCHKEY_BROWSER"},
			wantCalls: []call{{"drive", []string{testURL}}},
		},
		{
			name:      "BROWSER list with a text browser first",
			env:       map[string]string{"BROWSER": "lynx:firefox --new-window", "DISPLAY": ":0"},
			installed: []string{"lynx", "firefox", "xdg-open"},
			want:      Result{Opened: true, How: "BROWSER"},
			wantCalls: []call{{"firefox", []string{"--new-window", testURL}}},
		},
		{
			name:      "BROWSER entry that is not installed is passed over",
			env:       map[string]string{"BROWSER": "google-chrome:/usr/bin/chromium %s", "WAYLAND_DISPLAY": "wayland-0"},
			installed: []string{"/usr/bin/chromium"},
			want:      Result{Opened: true, How: "BROWSER"},
			wantCalls: []call{{"/usr/bin/chromium", []string{testURL}}},
		},
		{
			name:      "BROWSER names only text browsers, no display",
			env:       map[string]string{"BROWSER": "/usr/bin/W3M:www-browser"},
			installed: []string{"/usr/bin/W3M", "www-browser", "xdg-open"},
			want:      Result{Reason: "BROWSER names a text browser (w3m); BROWSER names a text browser (www-browser); no display (DISPLAY and WAYLAND_DISPLAY are unset)"},
		},
		{
			name:      "BROWSER names a text browser, the desktop opens instead",
			env:       map[string]string{"BROWSER": "elinks", "DISPLAY": ":1"},
			installed: []string{"elinks", "xdg-open"},
			want:      Result{Opened: true, How: "xdg-open"},
			wantCalls: []call{{"xdg-open", []string{testURL}}},
		},
		{
			name:      "SSH without LATCHKEY_BROWSER",
			env:       map[string]string{"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22", "DISPLAY": "localhost:10.0", "BROWSER": "firefox"},
			installed: []string{"firefox", "xdg-open"},
			want:      Result{Reason: "over SSH: open the URL on your own machine"},
		},
		{
			name:      "SSH_CLIENT alone is SSH",
			env:       map[string]string{"SSH_CLIENT": "10.0.0.1 5000 22", "DISPLAY": ":0"},
			installed: []string{"xdg-open"},
			want:      Result{Reason: "over SSH: open the URL on your own machine"},
		},
		{
			name: "SSH_TTY alone is SSH, even on macOS",
			goos: "darwin",
			env:  map[string]string{"SSH_TTY": "/dev/ttys003"},
			want: Result{Reason: "over SSH: open the URL on your own machine"},
		},
		{
			name:      "Linux without a display",
			installed: []string{"xdg-open"},
			version:   debianVesion,
			want:      Result{Reason: "no display (DISPLAY and WAYLAND_DISPLAY are unset)"},
		},
		{
			name:      "Linux with DISPLAY",
			env:       map[string]string{"DISPLAY": ":0"},
			installed: []string{"xdg-open"},
			version:   debianVesion,
			want:      Result{Opened: true, How: "xdg-open"},
			wantCalls: []call{{"xdg-open", []string{testURL}}},
		},
		{
			name: "Linux with a display but no xdg-open",
			env:  map[string]string{"WAYLAND_DISPLAY": "wayland-0"},
			want: Result{Reason: "xdg-open is not installed"},
		},
		{
			name:      "FreeBSD with DISPLAY",
			goos:      "freebsd",
			env:       map[string]string{"DISPLAY": ":0"},
			installed: []string{"xdg-open"},
			want:      Result{Opened: true, How: "xdg-open"},
			wantCalls: []call{{"xdg-open", []string{testURL}}},
		},
		{
			name:      "WSL from WSL_DISTRO_NAME, wslview installed",
			env:       map[string]string{"WSL_DISTRO_NAME": "Debian"},
			installed: []string{"wslview", "rundll32.exe", "xdg-open"},
			want:      Result{Opened: true, How: "wslview"},
			wantCalls: []call{{"wslview", []string{testURL}}},
		},
		{
			name:      "WSL from /proc/version, without wslview, even with WSLg's display",
			env:       map[string]string{"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"},
			installed: []string{"rundll32.exe", "xdg-open"},
			version:   wsl2Version,
			want:      Result{Opened: true, How: "rundll32.exe"},
			wantCalls: []call{{"rundll32.exe", []string{"url.dll,FileProtocolHandler", testURL}}},
		},
		{
			name:    "WSL from WSL_INTEROP with nothing to open Windows' browser",
			env:     map[string]string{"WSL_INTEROP": "/run/WSL/8_interop"},
			version: debianVesion,
			want:    Result{Reason: "WSL without wslview or rundll32.exe on PATH"},
		},
		{
			name:      "macOS",
			goos:      "darwin",
			want:      Result{Opened: true, How: "open"},
			wantCalls: []call{{"open", []string{testURL}}},
		},
		{
			name:      "Windows",
			goos:      "windows",
			want:      Result{Opened: true, How: "ShellExecute"},
			wantCalls: []call{{"rundll32.exe", []string{"url.dll,FileProtocolHandler", testURL}}},
		},
		{
			name:      "Windows BROWSER keeps backslashes and splits at ';'",
			goos:      "windows",
			env:       map[string]string{"BROWSER": `lynx.exe;"C:\Program Files\Mozilla Firefox\firefox.exe" -url %s`},
			installed: []string{`C:\Program Files\Mozilla Firefox\firefox.exe`, "lynx.exe"},
			want:      Result{Opened: true, How: "BROWSER"},
			wantCalls: []call{{`C:\Program Files\Mozilla Firefox\firefox.exe`, []string{"-url", testURL}}},
		},
		{
			name: "Plan 9",
			goos: "plan9",
			want: Result{Reason: "no known way to open a browser on plan9"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []call
			o := fakeOpener(tt.goos, tt.env, tt.installed, tt.version, func(name string, args ...string) error {
				calls = append(calls, call{name, args})
				return nil
			})
			got, err := o.Open(testURL)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
				t.Errorf("launchers started (-want +got):\n%s", diff)
			}
		})
	}
}

func fakeOpener(goos string, env map[string]string, installed []string, version string, start func(string, ...string) error) Opener {
	if goos == "" {
		goos = "linux"
	}
	return Opener{
		Getenv: func(k string) string { return env[k] },
		GOOS:   goos,
		ReadFile: func(name string) ([]byte, error) {
			if name != "/proc/version" || version == "" {
				return nil, errors.New("no such file")
			}
			return []byte(version), nil
		},
		LookPath: func(name string) (string, error) {
			for _, p := range installed {
				if p == name {
					return "/usr/bin/" + name, nil
				}
			}
			return "", errors.New("not found")
		},
		Start: start,
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		start   error
		url     string
		want    Result
		wantErr string
	}{
		{
			name:    "launcher fails to start",
			env:     map[string]string{"LATCHKEY_BROWSER": "missing-browser"},
			start:   errors.New("executable file not found"),
			url:     testURL,
			want:    Result{How: "LATCHKEY_BROWSER"},
			wantErr: "start missing-browser: executable file not found",
		},
		{
			name:    "unreadable LATCHKEY_BROWSER",
			env:     map[string]string{"LATCHKEY_BROWSER": `drive "unterminated`},
			url:     testURL,
			want:    Result{How: "LATCHKEY_BROWSER"},
			wantErr: "read LATCHKEY_BROWSER: unterminated quote",
		},
		{
			name:    "empty URL",
			env:     map[string]string{"LATCHKEY_BROWSER": "drive"},
			wantErr: "open the browser: empty url",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			o := fakeOpener("linux", tt.env, nil, "", func(string, ...string) error { calls++; return tt.start })
			got, err := o.Open(tt.url)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Open error = %v, want %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if wantCalls := map[bool]int{true: 1, false: 0}[tt.start != nil]; calls != wantCalls {
				t.Errorf("%d launcher starts, want %d", calls, wantCalls)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	const u = "http://h/?a=1&b=%41"
	tests := []struct {
		entry      string
		backslash  bool
		want       []string
		wantErrSub string
	}{
		{entry: "firefox", backslash: true, want: []string{"firefox", u}},
		{entry: "  firefox   -P  work ", backslash: true, want: []string{"firefox", "-P", "work", u}},
		{entry: "open -a Safari %s", backslash: true, want: []string{"open", "-a", "Safari", u}},
		{entry: "x --url=%s --also=%s", backslash: true, want: []string{"x", "--url=" + u, "--also=" + u}},
		{entry: "x 100%% %%s", backslash: true, want: []string{"x", "100%", "%s", u}},
		{entry: "x 50% %", backslash: true, want: []string{"x", "50%", "%", u}},
		{entry: `"/opt/a b/c" 'd e' f\ g "h\"i"`, backslash: true, want: []string{"/opt/a b/c", "d e", "f g", `h"i`, u}},
		{entry: `'it''s' ""`, backslash: true, want: []string{"its", "", u}},
		{entry: `C:\Tools\b.exe %s`, want: []string{`C:\Tools\b.exe`, u}},
		{entry: `x "open`, backslash: true, wantErrSub: "unterminated quote"},
		{entry: `x \`, backslash: true, wantErrSub: "trailing backslash"},
		{entry: "   ", backslash: true, wantErrSub: "no command"},
	}
	for _, tt := range tests {
		got, err := command(tt.entry, u, tt.backslash)
		if tt.wantErrSub != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErrSub) {
				t.Errorf("command(%q) = %q, %v; want error %q", tt.entry, got, err, tt.wantErrSub)
			}
			continue
		}
		if err != nil {
			t.Errorf("command(%q): %v", tt.entry, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("command(%q) (-want +got):\n%s", tt.entry, diff)
		}
	}
}
