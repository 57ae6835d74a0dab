package browser

import (
	"errors"
	"strings"
)

// command turns a LATCHKEY_BROWSER or BROWSER entry into an argument vector
// for url. The entry is split into words like a shell would (single and
// double quotes; backslash escapes where backslashes are not path separators)
// but nothing is ever run through a shell. In every word "%s" becomes the URL
// and "%%" a single "%"; without any "%s" the URL is appended as the last
// argument. The URL is inserted after splitting, so its '&', '%', quotes or
// spaces reach the program intact.
func command(entry, url string, backslashEscapes bool) ([]string, error) {
	words, err := splitWords(entry, backslashEscapes)
	if err != nil {
		return nil, err
	}
	if len(words) == 0 {
		return nil, errors.New("no command")
	}
	substituted := false
	argv := make([]string, 0, len(words)+1)
	for _, w := range words {
		var b strings.Builder
		for i := 0; i < len(w); i++ {
			if w[i] == '%' && i+1 < len(w) {
				switch w[i+1] {
				case 's':
					b.WriteString(url)
					substituted = true
					i++
					continue
				case '%':
					b.WriteByte('%')
					i++
					continue
				}
			}
			b.WriteByte(w[i])
		}
		argv = append(argv, b.String())
	}
	if !substituted {
		argv = append(argv, url)
	}
	return argv, nil
}

// splitWords splits s at unquoted white space.
func splitWords(s string, backslashEscapes bool) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		quote   byte // 0, '\'' or '"'
		escaped bool
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			cur.WriteByte(c)
			escaped = false
		case backslashEscapes && c == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if escaped {
		return nil, errors.New("trailing backslash")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
