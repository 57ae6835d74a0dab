package server_test

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
)

func TestMetrics(t *testing.T) {
	up := newTestUpstream(t)
	e := newGatewayEnv(t, up.URL)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.ServeMetrics(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("metrics shutdown: %v", err)
		}
	})

	do(t, http.MethodGet, e.URL+"/api/v1/auth/verify", e.Key, "", nil)                  // miss
	do(t, http.MethodGet, e.URL+"/api/v1/auth/verify", e.Key, "", nil)                  // hit
	do(t, http.MethodGet, e.URL+"/api/v1/auth/verify", auth.NewPluginKey(), "", nil)    // miss, refused
	do(t, http.MethodPost, e.URL+"/v1/completions", e.Key, `{"model":"m"}`, nil)        // hit, proxied
	do(t, http.MethodGet, e.URL+"/no/such/page?secret="+e.Key.Reveal(), e.Key, "", nil) // never a series of its own

	resp, body := do(t, http.MethodGet, "http://"+l.Addr().String()+"/metrics", "", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	series := regexp.MustCompile(`(?m)^(latchkey_http_requests_total|latchkey_http_request_duration_seconds_count|latchkey_key_cache_\w+)(\{[^}]*\})? (\S+)$`)
	got := map[string]string{}
	for _, m := range series.FindAllStringSubmatch(body, -1) {
		got[m[1]+m[2]] = m[3]
	}
	want := map[string]string{
		`latchkey_http_requests_total{result="ok",route="GET /api/v1/auth/verify"}`:                           "2",
		`latchkey_http_requests_total{result="unauthorized",route="GET /api/v1/auth/verify"}`:                 "1",
		`latchkey_http_requests_total{result="ok",route="/v1/"}`:                                              "1",
		`latchkey_http_requests_total{result="client_error",route="unmatched"}`:                               "1",
		`latchkey_http_request_duration_seconds_count{result="ok",route="GET /api/v1/auth/verify"}`:           "2",
		`latchkey_http_request_duration_seconds_count{result="unauthorized",route="GET /api/v1/auth/verify"}`: "1",
		`latchkey_http_request_duration_seconds_count{result="ok",route="/v1/"}`:                              "1",
		`latchkey_http_request_duration_seconds_count{result="client_error",route="unmatched"}`:               "1",
		`latchkey_key_cache_hits_total`:   "2",
		`latchkey_key_cache_misses_total`: "2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	if regexp.MustCompile(`lk_[0-9A-Za-z]{38}`).MatchString(body) {
		t.Error("a plugin key appears in the metrics")
	}

	// Never on the public listener.
	if resp, _ := do(t, http.MethodGet, e.URL+"/metrics", "", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the public address: %d; want 404", resp.StatusCode)
	}
}
