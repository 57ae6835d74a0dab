package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/store"
)

func TestKeyCacheInvalidation(t *testing.T) {
	const ttl = int64(30 * time.Second)
	entry := func(userID int64) *keyEntry { return &keyEntry{user: store.User{ID: userID}} }
	tests := []struct {
		name string
		run  func(c *keyCache, h keyHash) (cached bool)
		// fresh is whether a lookup at now finds a fresh entry afterwards.
		now   int64
		fresh bool
	}{
		{"filled", func(c *keyCache, h keyHash) bool {
			_, _, gen := c.get(h, 0)
			return c.put(h, entry(1), gen, 0)
		}, ttl - 1, true},
		{"expired after the TTL", func(c *keyCache, h keyHash) bool {
			_, _, gen := c.get(h, 0)
			return c.put(h, entry(1), gen, 0)
		}, ttl, false},
		{"invalidated owner", func(c *keyCache, h keyHash) bool {
			_, _, gen := c.get(h, 0)
			c.put(h, entry(1), gen, 0)
			c.invalidateUser(1)
			return true
		}, 1, false},
		{"other user invalidated", func(c *keyCache, h keyHash) bool {
			_, _, gen := c.get(h, 0)
			c.put(h, entry(1), gen, 0)
			c.invalidateUser(2)
			return true
		}, 1, true},
		{"lookup raced with a revocation", func(c *keyCache, h keyHash) bool {
			_, _, gen := c.get(h, 0) // the lookup starts, reads the key as valid…
			c.invalidateUser(1)      // …while the key is revoked and the cache told
			return c.put(h, entry(1), gen, 0)
		}, 1, false},
		{"forgotten", func(c *keyCache, h keyHash) bool {
			_, _, gen := c.get(h, 0)
			c.put(h, entry(1), gen, 0)
			c.forget(h)
			return true
		}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newKeyCache(time.Duration(ttl))
			h := keyHash{1}
			cached := tt.run(c, h)
			_, fresh, _ := c.get(h, tt.now)
			if fresh != tt.fresh {
				t.Errorf("fresh = %t; want %t (cached %t)", fresh, tt.fresh, cached)
			}
		})
	}
}

func TestKeyCacheKeepsLastUseAcrossRefills(t *testing.T) {
	c := newKeyCache(30 * time.Second)
	h := keyHash{7}
	first := &keyEntry{user: store.User{ID: 1}}
	_, _, gen := c.get(h, 0)
	c.put(h, first, gen, 0)
	if !first.dueForTouch(int64(time.Hour)) {
		t.Fatal("a key never used is not due for a write")
	}
	// Refilled after expiry from a database that does not have the write yet.
	refill := &keyEntry{user: store.User{ID: 1}}
	_, _, gen = c.get(h, int64(time.Hour+time.Minute))
	c.put(h, refill, gen, int64(time.Hour+time.Minute))
	if refill.dueForTouch(int64(time.Hour + 2*time.Minute)) {
		t.Error("due again two minutes after the last write")
	}
	if !refill.dueForTouch(int64(time.Hour + touchEvery)) {
		t.Error("not due five minutes after the last write")
	}
	c.sweep(int64(time.Hour + touchEvery + 31*time.Second))
	if len(c.entries) != 1 {
		t.Error("swept an entry whose last use is recent")
	}
	c.sweep(int64(2 * time.Hour))
	if len(c.entries) != 0 {
		t.Error("an entry long expired was not swept")
	}
}

// fakeKeycloak answers userStatuses' questions and counts them.
type fakeKeycloak struct {
	mu      sync.Mutex
	enabled bool
	err     error
	asked   int
}

func (f *fakeKeycloak) ask(context.Context, string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked++
	return f.enabled, f.err
}

func (f *fakeKeycloak) set(enabled bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.enabled, f.err = enabled, err
}

func TestUserStatuses(t *testing.T) {
	const interval = time.Minute
	kc := &fakeKeycloak{enabled: true}
	now := time.Unix(1_750_000_000, 0)
	u := &userStatuses{
		interval: interval, ask: kc.ask, now: func() time.Time { return now }, log: slog.New(slog.DiscardHandler),
		checked: func(string) {}, bySubject: map[string]*userStatus{},
	}
	st := u.of("sub-1")
	type step struct {
		name     string
		advance  time.Duration
		enabled  bool
		err      error
		allowed  bool
		asked    int // questions to Keycloak so far
		awaitBgr bool
	}
	steps := []step{
		{name: "never asked: asks before answering", enabled: true, allowed: true, asked: 1},
		{name: "fresh: no question", advance: interval / 4, enabled: false, allowed: true, asked: 1},
		{name: "half-way: answers at once, asks in the background", advance: interval / 4, enabled: false, allowed: true, asked: 2, awaitBgr: true},
		{name: "the background answer counts", enabled: false, allowed: false, asked: 2},
		{name: "expired and keycloak down: last answer stands", advance: 2 * interval, err: errors.New("connection refused"), allowed: false, asked: 3},
		{name: "deleted user, interval passed", advance: interval, enabled: false, allowed: false, asked: 4},
		{name: "enabled again, interval passed", advance: interval, enabled: true, allowed: true, asked: 5},
		{name: "keycloak not configured", advance: interval, err: errUncheckable, allowed: true, asked: 6},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		kc.set(s.enabled, s.err)
		got := u.allowed(t.Context(), st)
		if s.awaitBgr {
			u.running.Wait() // the background check is done
		}
		kc.mu.Lock()
		asked := kc.asked
		kc.mu.Unlock()
		if diff := cmp.Diff([2]any{s.allowed, s.asked}, [2]any{got, asked}); diff != "" {
			t.Errorf("%s: (allowed, questions) (-want +got):\n%s", s.name, diff)
		}
	}
	u.stop()
}
