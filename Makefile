# latchkey. `make demo` and `make test` work on a fresh machine: they install
# or download what they use (Debian packages, Go modules, Keycloak via mvn).

GO            ?= go
STATICCHECK   := honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS       := -X main.version=$(VERSION)
TEST_FLAGS    ?= -count=1 -race -timeout 20m

.PHONY: build test lint demo packages clean bench

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/latchkey ./cmd/latchkey

packages:
	./scripts/ensure-packages.sh

# The whole suite, against one real Keycloak started for the run.
test: packages lint
	$(GO) run ./internal/devstack test -- $(GO) test $(TEST_FLAGS) ./...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# The key check and the gateway on loopback, side by side with a bare
# handler and with the upstream straight (requests/s, p50, p99, ratios),
# then the Go benchmarks of the key check. No Keycloak needed; ~1 minute.
bench:
	$(GO) run ./bench
	$(GO) test -run '^$$' -bench . -benchmem ./bench

# Keycloak with a demo realm plus `latchkey serve`; Ctrl-C stops both.
demo: packages
	$(GO) run ./internal/devstack demo

clean:
	rm -rf bin .demo artifacts
