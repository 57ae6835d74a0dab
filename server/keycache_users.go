package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
)

// errUncheckable means latchkey cannot ask Keycloak about users (sign-in
// is not configured), so a key's owner counts as enabled.
var errUncheckable = errors.New("keycloak is not configured; users cannot be checked")

// userStatus is what latchkey knows of one key owner's account in Keycloak.
type userStatus struct {
	subject string
	mu      sync.Mutex // held while Keycloak is asked about this user
	enabled atomic.Bool
	refresh atomic.Int64 // Unix ns; from then on, ask again in the background
	expires atomic.Int64 // Unix ns; from then on, ask before answering (0: never asked)
}

// userStatuses decides whether a key's owner is still enabled in Keycloak,
// which is where administrators disable people. An answer is trusted for
// interval: a request whose owner was checked longer ago waits for
// Keycloak; one checked more than half the interval ago is answered at once
// and the check runs in the background. So a disabled (or deleted) user's
// key stops working at most interval after the change, and active users
// never wait for Keycloak. When Keycloak cannot be reached, the last answer
// stands (an owner never checked counts as enabled): an outage of Keycloak
// does not stop inference.
type userStatuses struct {
	interval time.Duration
	ask      func(ctx context.Context, subject string) (bool, error)
	now      func() time.Time
	log      *slog.Logger
	checked  func(result string)

	mu        sync.Mutex
	bySubject map[string]*userStatus
	stopped   bool
	running   sync.WaitGroup // background checks
}

// retryAfterError is how soon a failed check of Keycloak is tried again.
const retryAfterError = 10 * time.Second

// of returns the status of the user with this Keycloak subject.
func (u *userStatuses) of(subject string) *userStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	st := u.bySubject[subject]
	if st == nil {
		st = &userStatus{subject: subject}
		st.enabled.Store(true)
		u.bySubject[subject] = st
	}
	return st
}

// observe records what latchkey learnt of a user elsewhere (a sign-in
// through Keycloak means the account is enabled).
func (u *userStatuses) observe(subject string, enabled bool) {
	u.record(u.of(subject), enabled, u.now().UnixNano())
}

func (u *userStatuses) record(st *userStatus, enabled bool, now int64) {
	st.enabled.Store(enabled)
	st.refresh.Store(now + int64(u.interval/2))
	st.expires.Store(now + int64(u.interval))
}

// allowed reports whether the owner may use their key now.
func (u *userStatuses) allowed(ctx context.Context, st *userStatus) bool {
	now := u.now().UnixNano()
	switch {
	case now >= st.expires.Load():
		st.mu.Lock()
		if now >= st.expires.Load() { // not checked meanwhile by a concurrent request
			u.check(ctx, st)
		}
		st.mu.Unlock()
	case now >= st.refresh.Load() && st.mu.TryLock():
		if !u.startBackground(func() {
			defer st.mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			u.check(ctx, st)
		}) {
			st.mu.Unlock()
		}
	}
	return st.enabled.Load()
}

// check asks Keycloak about st's user. Callers hold st.mu.
func (u *userStatuses) check(ctx context.Context, st *userStatus) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	enabled, err := u.ask(ctx, st.subject)
	now := u.now().UnixNano()
	switch {
	case errors.Is(err, errUncheckable):
		u.checked("unconfigured")
		u.record(st, true, now)
	case err != nil:
		u.checked("error")
		u.log.Warn("check key owner in keycloak; keeping the last answer", "subject", st.subject, "enabled", st.enabled.Load(), "err", err)
		st.refresh.Store(now + int64(min(retryAfterError, u.interval/2)))
		st.expires.Store(now + int64(u.interval))
	default:
		if enabled {
			u.checked("enabled")
		} else {
			u.checked("disabled")
			if st.enabled.Load() {
				u.log.Info("key owner disabled or deleted in keycloak; refusing their plugin key", "subject", st.subject)
			}
		}
		u.record(st, enabled, now)
	}
}

// startBackground runs f unless the server is shutting down.
func (u *userStatuses) startBackground(f func()) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.stopped {
		return false
	}
	u.running.Go(f)
	return true
}

// stop waits for background checks and starts no more.
func (u *userStatuses) stop() {
	u.mu.Lock()
	u.stopped = true
	u.mu.Unlock()
	u.running.Wait()
}

// keycloakUserEnabled asks Keycloak's Admin API whether the user exists and
// is enabled. It is userStatuses.ask.
func (s *Server) keycloakUserEnabled(ctx context.Context, subject string) (bool, error) {
	kc, err := s.keycloak.get(ctx, s.store)
	if errors.Is(err, errNotConfigured) {
		return true, errUncheckable
	}
	if err != nil {
		return true, err
	}
	ku, err := kc.User(ctx, subject)
	if errors.Is(err, auth.ErrUserNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	return ku.Enabled, nil
}
