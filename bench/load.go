package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// result is one measured run.
type result struct {
	name     string
	conns    int
	n        int
	errs     int
	elapsed  time.Duration
	p50, p99 time.Duration
	perRound []float64 // req/s of each round of a pair
}

func (r result) rps() float64 { return float64(r.n) / r.elapsed.Seconds() }

// probe sends one request on c and returns how long the part that is
// measured took (the whole exchange, or up to the first chunk).
type probe func(ctx context.Context, c *http.Client) (time.Duration, error)

// newClient is a keep-alive client that opens at most conns connections.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		IdleConnTimeout: time.Minute, DisableCompression: true,
	}}
}

// measurePair measures x and y side by side: alternating rounds, each
// after a short warm-up, so that a slow moment of the machine (another
// process, the GC, the CPU clock) weighs on both alike.
func measurePair(ctx context.Context, conns int, d time.Duration, rounds int, x, y named) (result, result) {
	rx, ry := result{name: x.name, conns: conns}, result{name: y.name, conns: conns}
	var lx, ly []time.Duration
	cx, cy := newClient(conns), newClient(conns)
	defer cx.CloseIdleConnections()
	defer cy.CloseIdleConnections()
	warm := min(d/time.Duration(5*rounds), 200*time.Millisecond)
	for range rounds {
		for _, side := range []struct {
			c   *http.Client
			p   probe
			r   *result
			lat *[]time.Duration
		}{{cx, x.p, &rx, &lx}, {cy, y.p, &ry, &ly}} {
			runFor(ctx, side.c, conns, warm, side.p)
			lat, errs, elapsed := runFor(ctx, side.c, conns, d/time.Duration(rounds), side.p)
			*side.lat = append(*side.lat, lat...)
			side.r.errs += errs
			side.r.elapsed += elapsed
			side.r.perRound = append(side.r.perRound, float64(len(lat))/elapsed.Seconds())
		}
	}
	rx.summarize(lx)
	ry.summarize(ly)
	return rx, ry
}

// roundRatio is the median over rounds of y's req/s over x's, a ratio
// that one slow round cannot move much.
func roundRatio(x, y result) float64 {
	ratios := make([]float64, len(x.perRound))
	for i := range ratios {
		ratios[i] = y.perRound[i] / x.perRound[i]
	}
	slices.Sort(ratios)
	if n := len(ratios); n%2 == 0 {
		return (ratios[n/2-1] + ratios[n/2]) / 2
	}
	return ratios[len(ratios)/2]
}

// named is a probe with the name of its run.
type named struct {
	name string
	p    probe
}

func (r *result) summarize(lat []time.Duration) {
	slices.Sort(lat)
	r.n = len(lat)
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)*50/100], lat[min(len(lat)-1, len(lat)*99/100)]
	}
}

func runFor(ctx context.Context, c *http.Client, conns int, d time.Duration, p probe) ([]time.Duration, int, time.Duration) {
	var (
		mu   sync.Mutex
		all  []time.Duration
		errs int
		wg   sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range conns {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1<<14)
			bad := 0
			for time.Now().Before(deadline) && ctx.Err() == nil {
				took, err := p(ctx, c)
				if err != nil {
					bad++
					continue
				}
				lat = append(lat, took)
			}
			mu.Lock()
			all, errs = append(all, lat...), errs+bad
			mu.Unlock()
		})
	}
	wg.Wait()
	return all, errs, time.Since(start)
}

// newRequest builds a probe's request, with key as bearer when given.
func newRequest(ctx context.Context, method, url, key string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err == nil && key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	return req, err
}

// exchange times a whole request and its answer, which must be want.
func exchange(method, url, key string, body []byte, want int) probe {
	return func(ctx context.Context, c *http.Client) (time.Duration, error) {
		req, err := newRequest(ctx, method, url, key, body)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if err == nil && resp.StatusCode != want {
			err = fmt.Errorf("%s %s: status %d", method, url, resp.StatusCode)
		}
		return took, err
	}
}

// firstChunk times a streamed request up to its first chunk of body.
func firstChunk(url, key string, body []byte) probe {
	return func(ctx context.Context, c *http.Client) (time.Duration, error) {
		req, err := newRequest(ctx, http.MethodPost, url, key, body)
		if err != nil {
			return 0, err
		}
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		buf := make([]byte, 512)
		n, err := resp.Body.Read(buf)
		took := time.Since(start)
		if n == 0 {
			return 0, fmt.Errorf("no first chunk: %w", err)
		}
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("stream: status %d", resp.StatusCode)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		return took, err
	}
}
