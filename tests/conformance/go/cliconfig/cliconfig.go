// Package cliconfig reads the parts of Terraform's CLI configuration tfconform needs: the
// provider_installation block's dev_overrides (notes/tfplugin6.md 5.3), and resolves the provider
// executable in an override directory as Terraform does (notes 5.1).
package cliconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"tfconform/provider"
)

// Config is the relevant subset of the CLI configuration.
type Config struct {
	Path         string
	DevOverrides map[provider.Addr]string
	// order problems etc.
	Errors []string
}

// Locate returns the CLI config file: TF_CLI_CONFIG_FILE, else TERRAFORM_CONFIG, else ~/.terraformrc.
func Locate() string {
	if p := os.Getenv("TF_CLI_CONFIG_FILE"); p != "" {
		return p
	}
	if p := os.Getenv("TERRAFORM_CONFIG"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".terraformrc")
}

// Load reads the CLI configuration (a missing file is an empty configuration).
func Load(path string) (*Config, error) {
	c := &Config{Path: path, DevOverrides: map[provider.Addr]string{}}
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	return c, c.parse(stripComments(string(b)))
}

// The CLI configuration is HCL 1 (quoted keys are allowed in dev_overrides), which hcl/v2's native
// syntax cannot parse; this small reader handles the provider_installation subset.
func stripComments(s string) string {
	var b strings.Builder
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
			b.WriteByte(c)
		case c == '#' || (c == '/' && i+1 < len(s) && s[i+1] == '/'):
			for i < len(s) && s[i] != '\n' {
				i++
			}
			b.WriteByte('\n')
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				i = len(s)
			} else {
				i += end + 3
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// block returns the body of the first `name {` (or `name = {`) block in s, and its offset.
func block(s, name string) (string, int, bool) {
	re := regexp.MustCompile(`(?m)(^|[\s{])` + regexp.QuoteMeta(name) + `\s*=?\s*\{`)
	loc := re.FindStringIndex(s)
	if loc == nil {
		return "", -1, false
	}
	start := loc[1]
	depth, inStr := 1, false
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{':
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				return s[start:i], loc[0], true
			}
		}
	}
	return "", -1, false
}

var pairRe = regexp.MustCompile(`(?m)^\s*(?:"([^"]+)"|([A-Za-z0-9_./-]+))\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?\s*$`)

func (c *Config) parse(s string) error {
	pi, _, ok := block(s, "provider_installation")
	if !ok {
		return nil
	}
	dev, at, ok := block(pi, "dev_overrides")
	if !ok {
		return nil
	}
	// "The dev_overrides block ... must appear before all other installation methods".
	for _, other := range []string{"direct", "filesystem_mirror", "network_mirror"} {
		if _, oat, found := block(pi, other); found && oat < at {
			return fmt.Errorf("The dev_overrides block at %s must appear before all other installation methods.", c.Path)
		}
	}
	for _, m := range pairRe.FindAllStringSubmatch(dev, -1) {
		key := m[1]
		if key == "" {
			key = m[2]
		}
		addr, err := provider.ParseAddr(key)
		if err != nil {
			return fmt.Errorf("Invalid provider source address %q in dev_overrides: %s", key, err)
		}
		dir := strings.ReplaceAll(m[3], `\\`, `\`)
		if !filepath.IsAbs(dir) {
			return fmt.Errorf("Invalid dev_overrides path for %s: must be an absolute path, not %q", key, dir)
		}
		c.DevOverrides[addr] = filepath.Clean(dir)
	}
	return nil
}

// Executable finds the provider binary in a directory: the first file in lexical order named
// terraform-provider-TYPE, optionally followed by "_..." or "....", which must be executable
// (TF providercache.CachedProvider.ExecutableFile).
func Executable(dir, typ string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("could not read package directory: %s", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	prefix := "terraform-provider-" + typ
	for _, name := range names {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		rest := name[len(prefix):]
		if len(rest) > 0 && rest[0] != '_' && rest[0] != '.' {
			continue
		}
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
			return "", fmt.Errorf("provider binary %s is not executable", p)
		}
		return p, nil
	}
	return "", fmt.Errorf("could not find executable file starting with %s", prefix)
}
