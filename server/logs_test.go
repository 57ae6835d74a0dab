package server_test

import (
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
)

// logBuffer keeps the server's log lines so tests can check what it said
// (and what it must never say).
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testWriter sends log lines to t.Log, so a failing test shows them.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func decodeJSONBody(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
