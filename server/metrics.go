package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series, in a registry of its own (no
// global state): served only on the separate metrics listener.
type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	cacheHits   prometheus.Counter
	cacheMisses prometheus.Counter
	touchDrops  prometheus.Counter
	userChecks  *prometheus.CounterVec
}

// latencyBuckets span a forward-auth check (well under a millisecond) to a
// long streamed completion (minutes).
var latencyBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_http_requests_total",
			Help: "HTTP requests answered, by route pattern and result.",
		}, []string{"route", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "latchkey_http_request_duration_seconds",
			Help:    "Time from request to the end of the answer (a whole stream for proxied streams), by route pattern and result.",
			Buckets: latencyBuckets,
		}, []string{"route", "result"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "latchkey_key_cache_hits_total",
			Help: "Plugin key checks answered from the in-memory cache.",
		}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "latchkey_key_cache_misses_total",
			Help: "Well-formed plugin keys that had to be looked up in the database.",
		}),
		touchDrops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "latchkey_key_last_use_dropped_total",
			Help: "Last-use updates of plugin keys dropped because the write queue was full.",
		}),
		userChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "latchkey_user_checks_total",
			Help: "Checks of a key owner's account in Keycloak, by result (enabled, disabled, error, unconfigured).",
		}, []string{"result"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.cacheHits, m.cacheMisses, m.touchDrops, m.userChecks,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// statusClientClosed is what the log and the metrics record for a request
// whose client went away before the answer (nginx's convention).
const statusClientClosed = 499

// resultOf names the outcome of a request for the metrics.
func resultOf(status int) string {
	switch {
	case status == statusClientClosed:
		return "canceled"
	case status == http.StatusUnauthorized:
		return "unauthorized"
	case status == http.StatusForbidden:
		return "forbidden"
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
		return "upstream_error"
	case status < 400:
		return "ok"
	case status < 500:
		return "client_error"
	}
	return "error"
}

// instrument counts and times every request by the pattern that matched it
// (never by raw path: an attacker must not be able to mint series).
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			result := resultOf(rec.status())
			v := recover()
			if v == http.ErrAbortHandler {
				result = "aborted" // a stream cut off mid-way, by the upstream or the client
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			s.metrics.requests.WithLabelValues(route, result).Inc()
			s.metrics.duration.WithLabelValues(route, result).Observe(time.Since(start).Seconds())
			if v != nil {
				panic(v)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// statusRecorder remembers the status of an answer. It passes flushes and
// deadlines through (Unwrap), which streaming needs.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (rec *statusRecorder) WriteHeader(code int) {
	if rec.code == 0 && code >= 200 {
		rec.code = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *statusRecorder) Write(p []byte) (int, error) {
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return rec.ResponseWriter.Write(p)
}

func (rec *statusRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

func (rec *statusRecorder) status() int {
	if rec.code == 0 {
		return http.StatusOK
	}
	return rec.code
}

// MetricsHandler serves the metrics in Prometheus text format.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	})
}

// ServeMetrics answers GET /metrics on l, a listener of its own so that the
// metrics are never on the public address, until ctx ends.
func (s *Server) ServeMetrics(ctx context.Context, l net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.MetricsHandler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve metrics: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down metrics: %w", err)
	}
	return nil
}
