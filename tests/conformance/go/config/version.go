package config

import (
	"fmt"
	"strconv"
	"strings"
)

// VersionConstraint is one "op version" term of a version constraint string.
type VersionConstraint struct {
	Op      string
	Version [3]int
	Parts   int
	Raw     string
}

// ParseVersionConstraints parses "~> 1.2, >= 1.0" (hashicorp/go-version syntax subset).
func ParseVersionConstraints(s string) ([]VersionConstraint, error) {
	var ret []VersionConstraint
	for _, term := range strings.Split(s, ",") {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		op := "="
		for _, cand := range []string{">=", "<=", "!=", "~>", ">", "<", "="} {
			if strings.HasPrefix(term, cand) {
				op = cand
				term = strings.TrimSpace(term[len(cand):])
				break
			}
		}
		v, n, err := parseVersion(term)
		if err != nil {
			return nil, fmt.Errorf("Malformed constraint: %s", s)
		}
		ret = append(ret, VersionConstraint{Op: op, Version: v, Parts: n, Raw: term})
	}
	return ret, nil
}

func parseVersion(s string) ([3]int, int, error) {
	var v [3]int
	s = strings.TrimPrefix(s, "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return v, 0, fmt.Errorf("bad version %q", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return v, 0, err
		}
		v[i] = n
	}
	return v, len(parts), nil
}

func cmpVersion(a, b [3]int) int {
	for i := 0; i < 3; i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Check reports whether version satisfies the constraint.
func (c VersionConstraint) Check(version string) bool {
	v, _, err := parseVersion(version)
	if err != nil {
		return false
	}
	d := cmpVersion(v, c.Version)
	switch c.Op {
	case "=":
		return d == 0
	case "!=":
		return d != 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case "~>":
		if d < 0 {
			return false
		}
		// ~> 1.2 allows 1.x >= 1.2; ~> 1.2.3 allows 1.2.x >= 1.2.3
		upper := c.Version
		if c.Parts <= 1 {
			return true
		}
		idx := c.Parts - 2
		upper[idx]++
		for i := idx + 1; i < 3; i++ {
			upper[i] = 0
		}
		return cmpVersion(v, upper) < 0
	}
	return false
}
