package server

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkeyhq/latchkey/store"
)

// keyStore is what checking plugin keys needs from persistence.
type keyStore interface {
	PluginKeyCheck(ctx context.Context, hash []byte) (store.KeyCheck, error)
	TouchPluginKey(ctx context.Context, hash []byte, t time.Time) error
}

// touchEvery is how often, at most, a key's last use is written.
const touchEvery = 5 * time.Minute

type keyHash [sha256.Size]byte

// keyEntry is a checked plugin key: its owner as the database had it when
// the entry was filled.
type keyEntry struct {
	user          store.User
	account, team string
	status        *userStatus  // the owner's standing in Keycloak, shared by their keys
	expires       atomic.Int64 // Unix ns; from then on the database is asked again
	touched       atomic.Int64 // Unix ns of the last use written or queued
}

// dueForTouch reports whether this use should be written, claiming the
// write so that concurrent requests do not write it too.
func (e *keyEntry) dueForTouch(now int64) bool {
	last := e.touched.Load()
	return now-last >= int64(touchEvery) && e.touched.CompareAndSwap(last, now)
}

// keyCache maps the SHA-256 of a plugin key to its owner for a short TTL,
// so that a valid key costs no database query on most requests. Every
// change this process makes to keys or owners invalidates it at once
// (invalidatingStore); other replicas see a change within the TTL.
type keyCache struct {
	ttl time.Duration

	mu      sync.RWMutex
	entries map[keyHash]*keyEntry
	gen     uint64 // bumped by every invalidation
}

func newKeyCache(ttl time.Duration) *keyCache {
	return &keyCache{ttl: ttl, entries: map[keyHash]*keyEntry{}}
}

// get returns the entry for h, whether it is still fresh at now (Unix ns),
// and the generation to pass to put after a database lookup.
func (c *keyCache) get(h keyHash, now int64) (e *keyEntry, fresh bool, gen uint64) {
	c.mu.RLock()
	e, gen = c.entries[h], c.gen
	c.mu.RUnlock()
	return e, e != nil && now < e.expires.Load(), gen
}

// put installs e, filled from a lookup that started at generation gen. If
// an invalidation happened since, the lookup may predate a rotation or
// revocation, so e is not cached (the request that made it still uses it:
// it ran concurrently with the change). It reports whether e was cached.
func (c *keyCache) put(h keyHash, e *keyEntry, gen uint64, now int64) bool {
	e.expires.Store(now + int64(c.ttl))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return false
	}
	if old := c.entries[h]; old != nil {
		// The last write of this key's use may still be queued.
		e.touched.Store(max(e.touched.Load(), old.touched.Load()))
	}
	c.entries[h] = e
	return true
}

// forget drops the entry of a key the database no longer knows.
func (c *keyCache) forget(h keyHash) {
	c.mu.Lock()
	delete(c.entries, h)
	c.mu.Unlock()
}

// invalidateUser makes every cached key of the user stale, so that the next
// request asks the database. Entries stay (expired) to remember when their
// use was last written.
func (c *keyCache) invalidateUser(userID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, e := range c.entries {
		if e.user.ID == userID {
			e.expires.Store(0)
		}
	}
}

// sweep drops entries that expired long enough ago that their last use has
// been written; it bounds the cache by the keys in use.
func (c *keyCache) sweep(now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.entries {
		if now-e.expires.Load() > int64(touchEvery) {
			delete(c.entries, h)
		}
	}
}

// keyTouch is one last use to write.
type keyTouch struct {
	hash keyHash
	at   time.Time
}

// keyTouches writes last uses off the request path: requests queue them
// without blocking, one goroutine writes them, and what is queued at
// shutdown is written before Serve returns.
type keyTouches struct {
	queue   chan keyTouch
	store   keyStore
	log     *slog.Logger
	dropped func()
}

func newKeyTouches(st keyStore, log *slog.Logger, dropped func()) *keyTouches {
	return &keyTouches{queue: make(chan keyTouch, 4096), store: st, log: log, dropped: dropped}
}

// enqueue queues a write; it reports false, dropping it, when the queue is full.
func (t *keyTouches) enqueue(h keyHash, at time.Time) bool {
	select {
	case t.queue <- keyTouch{hash: h, at: at}:
		return true
	default:
		t.dropped()
		return false
	}
}

// run writes queued uses until stop is closed, then writes what is left.
func (t *keyTouches) run(stop <-chan struct{}) {
	for {
		select {
		case k := <-t.queue:
			t.write(k)
		case <-stop:
			for {
				select {
				case k := <-t.queue:
					t.write(k)
				default:
					return
				}
			}
		}
	}
}

func (t *keyTouches) write(k keyTouch) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.store.TouchPluginKey(ctx, k.hash[:], k.at); err != nil {
		t.log.Warn("record plugin key use", "err", err)
	}
}
