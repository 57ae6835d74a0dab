package auth

// Status is the outcome of one check.
type Status string

const (
	StatusOK      Status = "ok"
	StatusWarn    Status = "warn"
	StatusFail    Status = "fail"
	StatusSkipped Status = "skipped" // a check it builds on did not pass
)

// Finding is one check of a Keycloak configuration: what was tried, what
// Keycloak answered, and, unless it passed, what is wrong and how to fix it
// in the Keycloak admin console. It never holds a secret or a token.
type Finding struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Status  Status `json:"status"`
	Tried   string `json:"tried"`
	Answer  string `json:"answer,omitempty"`
	Problem string `json:"problem,omitempty"` // set for warn and fail
	Fix     string `json:"fix,omitempty"`     // set for warn and fail
}

// Report is the result of checking one configuration, one finding per entry
// of Checks, in that order.
type Report struct {
	Findings []Finding `json:"findings"`
}

// OK reports whether no check failed (warnings allowed).
func (r Report) OK() bool {
	for _, f := range r.Findings {
		if f.Status == StatusFail || f.Status == StatusSkipped {
			return false
		}
	}
	return true
}

// Status is the report's overall outcome: fail when a check failed, else
// warn when one warned, else ok.
func (r Report) Status() Status {
	worst := StatusOK
	for _, f := range r.Findings {
		switch f.Status {
		case StatusFail, StatusSkipped:
			return StatusFail
		case StatusWarn:
			worst = StatusWarn
		}
	}
	return worst
}

// Finding returns the finding with the given ID.
func (r Report) Finding(id string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.ID == id {
			return f, true
		}
	}
	return Finding{}, false
}
