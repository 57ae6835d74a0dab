package tui

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// msgPump plays the Bubble Tea runtime for a model test: it runs the
// commands that update returns, each in its own goroutine (a wait for the
// browser, network calls and cursor blinks block), and hands their messages
// to update one at a time, on the test's goroutine, until what the test
// waits for holds.
type msgPump struct {
	t      *testing.T
	update func(tea.Msg) tea.Cmd
	view   func() string // the screen as text
	msgs   chan tea.Msg
	done   chan struct{}
	seen   []tea.Msg // every message handed to update
}

func newMsgPump(t *testing.T, update func(tea.Msg) tea.Cmd, view func() string) *msgPump {
	p := &msgPump{t: t, update: update, view: view, msgs: make(chan tea.Msg, 256), done: make(chan struct{})}
	t.Cleanup(func() { close(p.done) })
	return p
}

// screenModel is a screen's model as the root model drives it.
type screenModel[M any] interface {
	Init() tea.Cmd
	Update(tea.Msg) (M, tea.Cmd)
	View(styles, int) string
}

// pumpScreen pumps the messages of the screen *m alone, drawn width cells
// wide on a dark background.
func pumpScreen[M screenModel[M]](t *testing.T, m *M, width int) *msgPump {
	st := newStyles(true)
	return newMsgPump(t,
		func(msg tea.Msg) tea.Cmd {
			var cmd tea.Cmd
			*m, cmd = (*m).Update(msg)
			return cmd
		},
		func() string { return ansi.Strip((*m).View(st, width)) })
}

// runScreen starts the screen *m alone at width×height.
func runScreen[M screenModel[M]](t *testing.T, m *M, width, height int) *msgPump {
	p := pumpScreen(t, m, width)
	p.send(tea.WindowSizeMsg{Width: width, Height: height})
	p.run((*m).Init())
	return p
}

func (p *msgPump) run(cmd tea.Cmd) {
	if cmd != nil {
		go func() { p.deliver(cmd()) }()
	}
}

// deliver queues msg; the commands of a batch run concurrently, those of a
// sequence in order.
func (p *msgPump) deliver(msg tea.Msg) {
	if batch, ok := msg.(tea.BatchMsg); ok {
		for _, c := range batch {
			p.run(c)
		}
		return
	}
	if v := reflect.ValueOf(msg); v.IsValid() && v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		for i := range v.Len() { // tea.Sequence
			if c := v.Index(i).Interface().(tea.Cmd); c != nil {
				p.deliver(c())
			}
		}
		return
	}
	if msg == nil {
		return
	}
	select {
	case p.msgs <- msg:
	case <-p.done:
	}
}

// send hands msg to the model now and runs what it returns.
func (p *msgPump) send(msg tea.Msg) {
	p.seen = append(p.seen, msg)
	p.run(p.update(msg))
}

// keys presses keys: names such as "enter", "shift+tab" or "ctrl+u", or
// text typed one character at a time.
func (p *msgPump) keys(keys ...string) {
	for _, k := range keys {
		if msg, ok := namedKey(k); ok {
			p.send(msg)
			continue
		}
		for _, r := range k {
			p.send(tea.KeyPressMsg{Code: r, Text: string(r)})
		}
	}
}

// key presses k and delivers messages until done holds.
func (p *msgPump) key(k, what string, done func() bool) {
	p.t.Helper()
	p.send(pressed(k))
	p.until(nil, what, done)
}

// until runs cmd and delivers messages until done holds (checked before
// each message too).
func (p *msgPump) until(cmd tea.Cmd, what string, done func() bool) {
	p.t.Helper()
	p.run(cmd)
	p.waitUntil(what, func(string) bool { return done() })
}

// waitFor delivers messages until the view contains every one of want,
// line breaks and runs of spaces aside, and returns the view.
func (p *msgPump) waitFor(want ...string) string {
	p.t.Helper()
	return p.waitUntil(fmt.Sprintf("%q", want), func(v string) bool {
		v = flatView(v)
		for _, w := range want {
			if !strings.Contains(v, flatView(w)) {
				return false
			}
		}
		return true
	})
}

// waitNavigated delivers messages until the model has asked for screen to.
func (p *msgPump) waitNavigated(to screen) {
	p.t.Helper()
	p.waitUntil(fmt.Sprintf("navigation to screen %d", to), func(string) bool { return p.navigatedTo(to) })
}

func (p *msgPump) waitUntil(what string, cond func(view string) bool) string {
	p.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		v := p.view()
		if cond(v) {
			return v
		}
		select {
		case msg := <-p.msgs:
			p.send(msg)
		case <-deadline:
			p.t.Fatalf("waiting for %s: no luck after 10s; messages: %s; the view is:\n%s", what, msgTypeNames(p.seen), v)
		}
	}
}

// got is a condition that holds once a message that matches has been
// handed to the model.
func (p *msgPump) got(match func(tea.Msg) bool) func() bool {
	return func() bool { return slices.ContainsFunc(p.seen, match) }
}

// navigatedTo reports whether the model asked for screen to.
func (p *msgPump) navigatedTo(to screen) bool { return slices.ContainsFunc(p.seen, isNavigateTo(to)) }

func msgTypeNames(msgs []tea.Msg) string {
	var names []string
	for _, m := range msgs {
		names = append(names, fmt.Sprintf("%T", m))
	}
	return strings.Join(names, " ")
}

func isNavigateTo(to screen) func(tea.Msg) bool {
	return func(m tea.Msg) bool { n, ok := m.(navigateMsg); return ok && n.to == to }
}

// clipboardOf returns what a tea.SetClipboard message copies.
func clipboardOf(msg tea.Msg) (string, bool) {
	v := reflect.ValueOf(msg)
	if fmt.Sprintf("%T", msg) != "tea.setClipboardMsg" || v.Kind() != reflect.String {
		return "", false
	}
	return v.String(), true
}

// pressed is the message of one key as the terminal sends it: a name as
// for namedKey, or a character.
func pressed(k string) tea.KeyPressMsg {
	if msg, ok := namedKey(k); ok {
		return msg
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// namedKey is the message of a key with a name: "enter", "esc", "tab",
// "shift+tab", an arrow, "backspace" or "ctrl+" and a letter.
func namedKey(k string) (tea.KeyPressMsg, bool) {
	codes := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "tab": tea.KeyTab, "backspace": tea.KeyBackspace,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	}
	if c, ok := codes[k]; ok {
		return tea.KeyPressMsg{Code: c}, true
	}
	if k == "shift+tab" {
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}, true
	}
	if c, ok := strings.CutPrefix(k, "ctrl+"); ok && len(c) == 1 {
		return tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl}, true
	}
	return tea.KeyPressMsg{}, false
}

// plainView is a view as the person reads it: no colours, no margins.
func plainView(view string) string {
	lines := strings.Split(ansi.Strip(view), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// flatView is the view's text as one line: wrapped sentences read whole.
func flatView(view string) string {
	return strings.Join(strings.Fields(ansi.Strip(view)), " ")
}

// unwrappedView joins the view's lines without their indentation, so that a
// wrapped URL reads as one.
func unwrappedView(view string) string {
	var b strings.Builder
	for _, l := range strings.Split(ansi.Strip(view), "\n") {
		b.WriteString(strings.TrimSpace(l))
	}
	return b.String()
}

// checkFits fails the test when view has a line wider than width cells or,
// when height > 0, more than height lines.
func checkFits(t *testing.T, what, view string, width, height int) {
	t.Helper()
	lines := strings.Split(ansi.Strip(view), "\n")
	if height > 0 && len(lines) > height {
		t.Errorf("%s: %d lines, want at most %d:\n%s", what, len(lines), height, ansi.Strip(view))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("%s: line %d is %d cells wide, want at most %d: %q", what, i+1, w, width, l)
		}
	}
}
