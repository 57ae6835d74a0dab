package server

import (
	"context"
	"time"
)

// initGateway builds the plugin key hot path and, with an upstream, the
// proxy. New calls it last, on a server that has everything else.
func (s *Server) initGateway(st Store) error {
	c := &s.cfg
	if c.KeyCacheTTL <= 0 {
		c.KeyCacheTTL = 30 * time.Second
	}
	if c.UserCheckInterval <= 0 {
		c.UserCheckInterval = time.Minute
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 30 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 60 * time.Second
	}
	paths, err := gatewayPaths(c.Gateway.Paths)
	if err != nil {
		return err
	}
	s.gatewayPaths = paths
	if c.Gateway.Upstream != nil {
		if s.gateway, err = newGateway(c.Gateway, c.WriteTimeout, s.log); err != nil {
			return err
		}
	}
	s.metrics = newMetrics()
	s.keys = newKeyCache(c.KeyCacheTTL)
	s.users = &userStatuses{
		interval: c.UserCheckInterval, ask: s.keycloakUserEnabled, now: s.now, log: s.log,
		checked:   func(result string) { s.metrics.userChecks.WithLabelValues(result).Inc() },
		bySubject: map[string]*userStatus{},
	}
	s.store = invalidatingStore{Store: st, keys: s.keys, users: s.users}
	s.touches = newKeyTouches(st, s.log, s.metrics.touchDrops.Inc)
	s.keyFail = newFailureLimiter(failuresPerKey, failureWindow)
	s.addrFail = newFailureLimiter(failuresPerAddress, failureWindow)
	return nil
}

// startKeyWork starts writing last uses of keys and sweeping the key cache;
// the function it returns stops both, once requests are done, and returns
// when every queued use is written and no Keycloak check is running.
func (s *Server) startKeyWork(ctx context.Context) (stop func()) {
	quit, written := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(written)
		s.touches.run(quit)
	}()
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				s.keys.sweep(s.now().UnixNano())
			}
		}
	}()
	return func() {
		close(quit)
		<-written
		s.users.stop()
	}
}
