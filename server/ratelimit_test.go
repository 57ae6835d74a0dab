package server

import (
	"testing"
	"time"
)

func TestFailureLimiter(t *testing.T) {
	l := newFailureLimiter(5, time.Minute)
	t0 := time.Unix(1_000_000, 0)
	for i := range 4 {
		l.fail("a", t0.Add(time.Duration(i)*time.Second))
	}
	if d := l.retryAfter("a", t0.Add(5*time.Second)); d != 0 {
		t.Fatalf("after 4 failures: retry after %v, want 0", d)
	}
	l.fail("a", t0.Add(5*time.Second))
	tests := []struct {
		client string
		at     time.Duration
		want   time.Duration
	}{
		{"a", 6 * time.Second, 54 * time.Second}, // oldest failure at t0 leaves at t0+60s
		{"a", 59 * time.Second, time.Second},
		{"a", 60 * time.Second, 0}, // first failure has left the window
		{"b", 6 * time.Second, 0},  // other clients are not affected
	}
	for _, tt := range tests {
		if got := l.retryAfter(tt.client, t0.Add(tt.at)); got != tt.want {
			t.Errorf("retryAfter(%q, t0+%v) = %v, want %v", tt.client, tt.at, got, tt.want)
		}
	}
}

func TestFailureLimiterForgetsOldClients(t *testing.T) {
	l := newFailureLimiter(5, time.Minute)
	t0 := time.Unix(1_000_000, 0)
	l.fail("old", t0)
	l.retryAfter("old", t0.Add(2*time.Minute))
	if _, ok := l.failures["old"]; ok {
		t.Error("a client whose failures left the window is still tracked")
	}
}
