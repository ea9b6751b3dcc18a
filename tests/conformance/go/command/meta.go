// Package command is tfconform's CLI: Terraform's commands over the core (init, validate, plan,
// apply, destroy, import, show, state list/show, output, providers schema) plus protocol-test.
package command

import (
	"bufio"
	"os/signal"
	"syscall"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"golang.org/x/term"

	"tfconform/cliconfig"
	"tfconform/config"
	"tfconform/core"
	"tfconform/diag"
	"tfconform/plugin"
	"tfconform/provider"
	"tfconform/schema"
	"tfconform/state"
)

// Meta is shared by all commands.
type Meta struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	color          bool
	width          int
	statePath      string
	vars           []varArg
	parallelism    int

	cliCfg    *cliconfig.Config
	overrides map[provider.Addr]string

	mu        sync.Mutex
	clients   []*plugin.Client
	providers []provider.Interface
}

type varArg struct {
	file  bool
	value string
}

func newMeta() *Meta {
	m := &Meta{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin, color: true, width: 78, parallelism: 10}
	if fd := int(os.Stdout.Fd()); term.IsTerminal(fd) {
		if w, _, err := term.GetSize(fd); err == nil && w > 10 {
			m.width = w
		}
	}
	return m
}

// common flags: -no-color, -state, -var, -var-file, -parallelism, and Terraform's accepted-but-
// irrelevant -input, -lock, -lock-timeout, -compact-warnings.
func (m *Meta) flags(name string, withVars bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Var(&boolValue{set: func(b bool) { m.color = !b }}, "no-color", "disable color")
	fs.StringVar(&m.statePath, "state", m.statePath, "state file")
	fs.IntVar(&m.parallelism, "parallelism", 10, "")
	var ignored string
	var ignoredB bool
	fs.BoolVar(&ignoredB, "input", true, "")
	fs.BoolVar(&ignoredB, "lock", true, "")
	fs.StringVar(&ignored, "lock-timeout", "0s", "")
	fs.BoolVar(&ignoredB, "compact-warnings", false, "")
	if withVars {
		fs.Func("var", "k=v", func(s string) error { m.vars = append(m.vars, varArg{false, s}); return nil })
		fs.Func("var-file", "file", func(s string) error { m.vars = append(m.vars, varArg{true, s}); return nil })
	}
	return fs
}

type boolValue struct {
	v   bool
	set func(bool)
}

func (b *boolValue) String() string     { return fmt.Sprint(b.v) }
func (b *boolValue) IsBoolFlag() bool   { return true }
func (b *boolValue) Set(s string) error {
	switch s {
	case "true", "1", "":
		b.v = true
	case "false", "0":
		b.v = false
	default:
		return fmt.Errorf("invalid boolean %q", s)
	}
	b.set(b.v)
	return nil
}

func (m *Meta) statePathOrDefault() string {
	if m.statePath != "" {
		return m.statePath
	}
	if p := os.Getenv("TFCONFORM_STATE"); p != "" {
		return p
	}
	return "terraform.tfstate"
}

// ---------------------------------------------------------------- output

func (m *Meta) out(format string, args ...interface{}) {
	fmt.Fprintf(m.Stdout, format, args...)
}

func (m *Meta) colorize(s, code string) string {
	if !m.color {
		return s
	}
	return code + s + "\x1b[0m"
}

// showDiags prints warnings to stdout and errors to stderr, as Terraform's views do.
func (m *Meta) showDiags(ds diag.Diagnostics) {
	ds = ds.Dedup()
	ds.Sort()
	for _, d := range ds {
		text := diag.Format(d, m.color, m.width)
		if d.Severity == diag.Error {
			fmt.Fprint(m.Stderr, text)
		} else {
			fmt.Fprint(m.Stdout, text)
		}
	}
}

// ---------------------------------------------------------------- providers

func (m *Meta) loadCLIConfig() diag.Diagnostics {
	var diags diag.Diagnostics
	if m.cliCfg != nil {
		return nil
	}
	cfg, err := cliconfig.Load(cliconfig.Locate())
	if err != nil {
		diags = diags.Append(diag.Sourceless(diag.Error, "Invalid provider_installation method", err.Error()))
		cfg = &cliconfig.Config{DevOverrides: map[provider.Addr]string{}}
	}
	m.cliCfg = cfg
	m.overrides = map[provider.Addr]string{}
	for a, d := range cfg.DevOverrides {
		m.overrides[a] = d
	}
	return diags
}

// devOverrideWarning is Terraform's "Provider development overrides are in effect"
// (TF meta_providers.go providerDevOverrideRuntimeWarnings / InitWarnings).
func (m *Meta) devOverrideWarning(forInit bool) diag.Diagnostics {
	if len(m.overrides) == 0 && os.Getenv("TFCONFORM_PROVIDER_BINARY") == "" {
		return nil
	}
	var lines []string
	for a, d := range m.overrides {
		lines = append(lines, fmt.Sprintf(" - %s in %s", a.ForDisplay(), d))
	}
	if bin := os.Getenv("TFCONFORM_PROVIDER_BINARY"); bin != "" {
		lines = append(lines, fmt.Sprintf(" - (every provider) in %s (TFCONFORM_PROVIDER_BINARY)", bin))
	}
	sort.Strings(lines)
	detail := "The following provider development overrides are set in the CLI configuration:\n" + strings.Join(lines, "\n") + "\n\n"
	if forInit {
		detail += "Skip terraform init when using provider development overrides. It is not necessary and may error unexpectedly."
	} else {
		detail += "The behavior may therefore not match any released version of the provider and applying changes may cause the state to become incompatible with published releases."
	}
	return diag.Diagnostics{diag.Sourceless(diag.Warning, "Provider development overrides are in effect", detail)}
}

// binaryFor resolves a provider's executable from TFCONFORM_PROVIDER_BINARY or dev_overrides.
func (m *Meta) binaryFor(a provider.Addr) (string, error) {
	if bin := os.Getenv("TFCONFORM_PROVIDER_BINARY"); bin != "" {
		return bin, nil
	}
	dir, ok := m.overrides[a]
	if !ok {
		return "", fmt.Errorf("provider %s has no dev_overrides entry in the CLI configuration (%s); tfconform cannot install providers", a, m.cliCfg.Path)
	}
	return cliconfig.Executable(dir, a.Type)
}

// factories builds a Factory per provider the run needs: each call starts a new process (or
// reattaches with TF_REATTACH_PROVIDERS), as Terraform does per walk.
func (m *Meta) factories(addrs []provider.Addr) map[provider.Addr]core.Factory {
	fs := map[provider.Addr]core.Factory{}
	for _, a := range addrs {
		fs[a] = func(addr provider.Addr) (provider.Interface, error) {
			ra, err := plugin.ParseReattach(os.Getenv("TF_REATTACH_PROVIDERS"), addr.String(), addr.ForDisplay())
			if err != nil {
				return nil, err
			}
			cfg := plugin.Config{Reattach: ra}
			if ra == nil {
				bin, err := m.binaryFor(addr)
				if err != nil {
					return nil, err
				}
				cfg.Path = bin
				cfg.NoTLS = os.Getenv("TF_DISABLE_PLUGIN_TLS") != ""
			}
			c, err := plugin.Start(cfg)
			if err != nil {
				return nil, err
			}
			gp := provider.NewGRPC(addr, c)
			m.mu.Lock()
			m.clients = append(m.clients, c)
			m.providers = append(m.providers, gp)
			m.mu.Unlock()
			return gp, nil
		}
	}
	return fs
}

// handleInterrupts mirrors Terraform on Ctrl-C: the first interrupt calls StopProvider on every
// live provider (advisory, notes 2.5) and lets the operation finish; the second exits at once.
func (m *Meta) handleInterrupts() {
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ch
		fmt.Fprintln(m.Stderr, "\nInterrupt received.\nPlease wait for Terraform to exit or data loss may occur.\nGracefully shutting down...")
		m.mu.Lock()
		ps := append([]provider.Interface(nil), m.providers...)
		m.mu.Unlock()
		for _, p := range ps {
			go p.StopProvider()
		}
		<-ch
		fmt.Fprintln(m.Stderr, "\nTwo interrupts received. Exiting immediately. Note that data loss may have occurred.")
		os.Exit(1)
	}()
}

// finish prints plugin crash output and, in strict mode, the strict findings; returns the exit
// code adjusted for them.
func (m *Meta) finish(code int) int {
	m.mu.Lock()
	clients := m.clients
	m.mu.Unlock()
	for _, c := range clients {
		c.Close()
		if lines := c.CrashOutput(); len(lines) > 0 {
			fmt.Fprintf(m.Stderr, "Stack trace from the %s plugin:\n\n%s\n\n", c.Name, strings.Join(lines, "\n"))
			m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, fmt.Sprintf("The %s plugin crashed!", c.Name),
				"This is always indicative of a bug within the plugin. It would be immensely helpful if you could report the crash with the plugin's maintainers so that it can be fixed. The output above should help diagnose the issue.")})
			code = 1
		}
	}
	if plugin.Strict() {
		if vs := plugin.Violations(); len(vs) > 0 {
			var ds diag.Diagnostics
			for _, v := range vs {
				ds = ds.Append(diag.Sourceless(diag.Error, "tfconform strict check failed", v))
			}
			m.showDiags(ds)
			code = 1
		}
	}
	return code
}

// ---------------------------------------------------------------- config, state, variables

type runCtx struct {
	cfg   *config.Module
	st    *state.State
	mgr   *state.Manager
	core  *core.Context
	vars  map[string]cty.Value
	diags diag.Diagnostics
}

// prepare loads configuration and state, the CLI config, builds the core context and loads the
// provider schemas (a process of its own).
func (m *Meta) prepare(loadVars bool) *runCtx {
	rc := &runCtx{}
	rc.diags = rc.diags.Append(m.loadCLIConfig())
	cfg, ds := config.Load(".")
	rc.diags = rc.diags.Append(ds)
	rc.cfg = cfg
	if rc.diags.HasErrors() {
		return rc
	}
	rc.mgr = state.NewManager(m.statePathOrDefault())
	st, err := rc.mgr.Read()
	if err != nil {
		rc.diags = rc.diags.Append(diag.Sourceless(diag.Error, "Failed to load state", err.Error()))
		return rc
	}
	rc.st = st
	rc.diags = rc.diags.Append(m.devOverrideWarning(false))
	addrs := core.RequiredProviderAddrs(cfg, st)
	rc.core = &core.Context{Config: cfg, Factories: m.factories(addrs), Parallelism: m.parallelism,
		TerraformVersion: state.TerraformVersion, UI: func(line string) { m.out("%s\n", line) }}
	rc.diags = rc.diags.Append(rc.core.LoadSchemas(addrs))
	if rc.diags.HasErrors() {
		return rc
	}
	if loadVars {
		vars, ds := m.collectVars(cfg)
		rc.diags = rc.diags.Append(ds)
		rc.vars = vars
	}
	return rc
}

// collectVars gathers root variable values in Terraform's precedence order: TF_VAR_*, then
// terraform.tfvars(.json), *.auto.tfvars(.json), then -var / -var-file in command-line order.
func (m *Meta) collectVars(cfg *config.Module) (map[string]cty.Value, diag.Diagnostics) {
	var diags diag.Diagnostics
	raw := map[string]*core.RawVariable{}
	core.ReadVarsFromEnv(raw)
	var files []string
	for _, f := range []string{"terraform.tfvars", "terraform.tfvars.json"} {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	autos, _ := filepath.Glob("*.auto.tfvars")
	autosJSON, _ := filepath.Glob("*.auto.tfvars.json")
	autos = append(autos, autosJSON...)
	sort.Strings(autos)
	files = append(files, autos...)
	for _, f := range files {
		diags = diags.Append(readVarFile(f, raw))
	}
	for _, va := range m.vars {
		if va.file {
			diags = diags.Append(readVarFile(va.value, raw))
			continue
		}
		eq := strings.Index(va.value, "=")
		if eq <= 0 {
			diags = diags.Append(diag.Sourceless(diag.Error, "Invalid -var option",
				fmt.Sprintf("The given -var option %q is not correctly specified. It must be a variable name and value separated an equals sign, like -var=\"key=value\".", va.value)))
			continue
		}
		raw[strings.TrimSpace(va.value[:eq])] = &core.RawVariable{Str: va.value[eq+1:], IsStr: true, Source: "-var"}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	vals, ds := core.PrepareVariables(cfg, raw)
	return vals, diags.Append(ds)
}

func readVarFile(path string, raw map[string]*core.RawVariable) diag.Diagnostics {
	var diags diag.Diagnostics
	src, err := os.ReadFile(path)
	if err != nil {
		return diags.Append(diag.Sourceless(diag.Error, "Failed to read variables file",
			fmt.Sprintf("Given variables file %s does not exist.", path)))
	}
	p := hclparse.NewParser()
	var f *hcl.File
	var hd hcl.Diagnostics
	if strings.HasSuffix(path, ".json") {
		f, hd = p.ParseJSON(src, path)
	} else {
		f, hd = p.ParseHCL(src, path)
	}
	diags = diags.Append(hd)
	if f == nil {
		return diags
	}
	diag.Sources.Add(path, f)
	attrs, hd := f.Body.JustAttributes()
	diags = diags.Append(hd)
	for name, a := range attrs {
		raw[name] = &core.RawVariable{Expr: a.Expr, Source: path}
	}
	return diags
}

// typeSchemaFunc finds the schema of a state resource.
func (rc *runCtx) typeSchemaFunc() func(*state.Resource) *schema.Schema {
	return func(r *state.Resource) *schema.Schema {
		for a, s := range rc.core.Schemas {
			if !strings.Contains(r.Provider, `"`+a.String()+`"`) {
				continue
			}
			if r.Mode == "data" {
				return s.DataSources[r.Type]
			}
			return s.ResourceTypes[r.Type]
		}
		return nil
	}
}

// askApproval is Terraform's confirmation prompt; only "yes" approves.
func (m *Meta) askApproval(query, description string) bool {
	m.out("\n%s\n", m.colorize(query, "\x1b[1m"))
	m.out("  %s\n", strings.ReplaceAll(description, "\n", "\n  "))
	m.out("\n  %s", m.colorize("Enter a value: ", "\x1b[1m"))
	line, _ := bufio.NewReader(m.Stdin).ReadString('\n')
	m.out("\n")
	return strings.TrimSpace(line) == "yes"
}
