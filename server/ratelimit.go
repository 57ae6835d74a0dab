package server

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// failureLimiter counts failures per client in a sliding window: after max
// failures within window, the client is refused until the oldest failure
// leaves the window.
type failureLimiter struct {
	max    int
	window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time // oldest first, at most max entries
}

func newFailureLimiter(max int, window time.Duration) *failureLimiter {
	return &failureLimiter{max: max, window: window, failures: map[string][]time.Time{}}
}

// retryAfter reports how long client must wait; zero means go ahead.
func (l *failureLimiter) retryAfter(client string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.recent(client, now)
	if len(recent) < l.max {
		return 0
	}
	return recent[0].Add(l.window).Sub(now)
}

// fail records a failure of client at now.
func (l *failureLimiter) fail(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := append(l.recent(client, now), now)
	if len(recent) > l.max {
		recent = recent[len(recent)-l.max:]
	}
	l.failures[client] = recent
	if len(l.failures) > 10_000 {
		l.prune(now)
	}
}

// recent drops client's failures that left the window. Callers hold mu.
func (l *failureLimiter) recent(client string, now time.Time) []time.Time {
	times := l.failures[client]
	for len(times) > 0 && !now.Before(times[0].Add(l.window)) {
		times = times[1:]
	}
	if len(times) == 0 {
		delete(l.failures, client)
		return nil
	}
	l.failures[client] = times
	return times
}

// prune forgets clients without recent failures, bounding memory under a
// spray of addresses. Callers hold mu.
func (l *failureLimiter) prune(now time.Time) {
	for client := range l.failures {
		l.recent(client, now)
	}
}

// clientAddr is the rate-limit key of a request: the peer's IP address.
// Forwarded headers are not trusted, since any client can set them.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
