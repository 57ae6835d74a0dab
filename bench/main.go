// Command bench measures latchkey's plugin-key hot path and gateway on
// loopback, side by side with a bare net/http handler and with requests
// straight to the upstream, and prints requests/s, p50, p99 and the
// ratios the targets are stated in. `make bench` runs it, then the Go
// benchmarks beside it (go test -bench).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"text/tabwriter"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	d      time.Duration
	conns  int
	strict bool
	prof   string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&o.d, "d", 4*time.Second, "how long each run measures")
	fs.IntVar(&o.conns, "conns", 64, "connections for the throughput runs")
	fs.BoolVar(&o.strict, "strict", false, "exit with an error when a target is missed")
	fs.StringVar(&o.prof, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.prof != "" {
		f, err := os.Create(o.prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	dir, err := os.MkdirTemp("", "latchkey-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, key, err := openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bare, bareDone, err := serveHTTP(ctx, bareHandler())
	if err != nil {
		return err
	}
	upstream, upstreamDone, err := serveHTTP(ctx, upstreamHandler())
	if err != nil {
		return err
	}
	srv, err := newLatchkey(st, upstream, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), nil)
	if err != nil {
		return err
	}
	lk, lkDone, err := serveLatchkey(ctx, srv)
	if err != nil {
		return err
	}
	defer func() {
		cancel()
		bareDone()
		upstreamDone()
		lkDone()
	}()

	fmt.Fprintf(stdout, "latchkey bench: loopback, client and servers in one process, GOMAXPROCS=%d, %s per run, %s %s/%s\n\n",
		runtime.GOMAXPROCS(0), o.d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	k := key.Reveal()
	prompt := []byte(`{"model":"bench","prompt":"def fib(n):","max_tokens":16}`)
	chat := []byte(`{"model":"bench","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	// Warm up every path once (connections, caches, the GC's pacing).
	for _, p := range []probe{exchange("GET", bare+"/", "", nil, 200), exchange("GET", lk+"/api/v1/auth/verify", k, nil, 200),
		exchange("POST", lk+"/v1/completions", k, prompt, 200), firstChunk(lk+"/v1/chat/completions", k, chat)} {
		runFor(ctx, newClient(o.conns), o.conns, 300*time.Millisecond, p)
	}
	const rounds = 6
	a, b := measurePair(ctx, o.conns, o.d, rounds,
		named{"(a) bare net/http handler", exchange("GET", bare+"/", "", nil, 200)},
		named{"(b) forward-auth, valid key", exchange("GET", lk+"/api/v1/auth/verify", k, nil, 200)})
	cDirect, cProxy := measurePair(ctx, 1, o.d, rounds,
		named{"(c) completion, direct", exchange("POST", upstream+"/v1/completions", "", prompt, 200)},
		named{"(c) completion, through the gateway", exchange("POST", lk+"/v1/completions", k, prompt, 200)})
	cDirectN, cProxyN := measurePair(ctx, o.conns, o.d, rounds,
		named{"(c) completion, direct", exchange("POST", upstream+"/v1/completions", "", prompt, 200)},
		named{"(c) completion, through the gateway", exchange("POST", lk+"/v1/completions", k, prompt, 200)})
	dDirect, dProxy := measurePair(ctx, 1, o.d, rounds,
		named{"(d) first chunk of a stream, direct", firstChunk(upstream+"/v1/chat/completions", "", chat)},
		named{"(d) first chunk, through the gateway", firstChunk(lk+"/v1/chat/completions", k, chat)})
	if err := ctx.Err(); err != nil {
		return err
	}

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tconns\treq/s\tp50\tp99\terrors\t")
	for _, r := range []result{a, b, cDirect, cProxy, cDirectN, cProxyN, dDirect, dProxy} {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%d\t\n", r.name, r.conns, r.rps(), ms(r.p50), ms(r.p99), r.errs)
	}
	tw.Flush()

	checks := []struct {
		what   string
		figure string
		ok     bool
	}{
		{"(b)/(a) req/s at " + fmt.Sprint(o.conns) + " connections", fmt.Sprintf("%.2f (target >= 0.70; pooled %.2f)", roundRatio(a, b), b.rps()/a.rps()), roundRatio(a, b) >= 0.7},
		{"(c) p50 overhead of the gateway", fmt.Sprintf("%s (target <= 0.300 ms; p99 +%s)", ms(cProxy.p50-cDirect.p50), ms(cProxy.p99-cDirect.p99)), cProxy.p50-cDirect.p50 <= 300*time.Microsecond},
		{"(c) gateway/direct req/s at " + fmt.Sprint(o.conns) + " connections", fmt.Sprintf("%.2f (no target)", roundRatio(cDirectN, cProxyN)), true},
		{"(d) p50 overhead to the first chunk", fmt.Sprintf("%s (target <= 1.000 ms; p99 +%s)", ms(dProxy.p50-dDirect.p50), ms(dProxy.p99-dDirect.p99)), dProxy.p50-dDirect.p50 <= time.Millisecond},
	}
	fmt.Fprintln(stdout)
	missed := 0
	for _, c := range checks {
		verdict := "met"
		if !c.ok {
			verdict, missed = "MISSED", missed+1
		}
		fmt.Fprintf(stdout, "%-48s %s  %s\n", c.what, c.figure, verdict)
	}
	errs := a.errs + b.errs + cDirect.errs + cProxy.errs + cDirectN.errs + cProxyN.errs + dDirect.errs + dProxy.errs
	if errs > 0 {
		return fmt.Errorf("%d requests failed", errs)
	}
	if o.strict && missed > 0 {
		return fmt.Errorf("%d targets missed", missed)
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond)) }
