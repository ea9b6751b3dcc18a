package command

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"tfconform/config"
	"tfconform/core"
	"tfconform/diag"
	"tfconform/render"
	"tfconform/state"
)

// ---------------------------------------------------------------- init

func (m *Meta) initCmd(args []string) int {
	fs := m.flags("init", false)
	var ignoredB bool
	var ignored string
	fs.BoolVar(&ignoredB, "upgrade", false, "")
	fs.BoolVar(&ignoredB, "reconfigure", false, "")
	fs.BoolVar(&ignoredB, "migrate-state", false, "")
	fs.StringVar(&ignored, "backend-config", "", "")
	fs.BoolVar(&ignoredB, "backend", true, "")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	var diags diag.Diagnostics
	diags = diags.Append(m.loadCLIConfig())
	cfg, ds := config.Load(".")
	diags = diags.Append(ds)
	if diags.HasErrors() {
		m.showDiags(diags)
		return 1
	}
	m.out("\n%s\n", m.colorize("Initializing provider plugins...", "\x1b[1m"))
	diags = diags.Append(m.devOverrideWarning(true))
	for _, a := range core.RequiredProviderAddrs(cfg, nil) {
		bin, err := m.binaryFor(a)
		if err != nil {
			diags = diags.Append(diag.Sourceless(diag.Error, "Failed to query available provider packages",
				fmt.Sprintf("Could not retrieve the list of available versions for provider %s: %s", a.ForDisplay(), err)))
			continue
		}
		m.out("- Using %s from the development override in %s\n", a.ForDisplay(), bin)
	}
	m.showDiags(diags)
	if diags.HasErrors() {
		return 1
	}
	m.out("\n%s\n", m.colorize("Terraform has been successfully initialized!", "\x1b[1;32m"))
	return 0
}

// ---------------------------------------------------------------- validate

func (m *Meta) validateCmd(args []string) int {
	fs := m.flags("validate", false)
	jsonOut := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	rc := m.prepare(false)
	diags := rc.diags
	if !diags.HasErrors() {
		diags = diags.Append(rc.core.Validate())
	}
	if *jsonOut {
		nerr, nwarn := 0, 0
		for _, d := range diags {
			if d.Severity == diag.Error {
				nerr++
			} else {
				nwarn++
			}
		}
		b, _ := json.MarshalIndent(map[string]interface{}{"format_version": "1.0", "valid": !diags.HasErrors(),
			"error_count": nerr, "warning_count": nwarn, "diagnostics": diags.JSON()}, "", "  ")
		m.out("%s\n", b)
	} else {
		m.showDiags(diags)
		if !diags.HasErrors() {
			m.out("%s\n", m.colorize("Success! The configuration is valid.", "\x1b[1;32m"))
		}
	}
	if diags.HasErrors() {
		return 1
	}
	return 0
}

// ---------------------------------------------------------------- plan

type planFlags struct {
	out, jsonOut, detailed, refreshOnly, destroy bool
	outFile                                      string
	refresh                                      bool
	replace                                      []string
	autoApprove                                  bool
}

func (m *Meta) planFlags(name string, pf *planFlags) *flag.FlagSet {
	fs := m.flags(name, true)
	fs.StringVar(&pf.outFile, "out", "", "")
	fs.BoolVar(&pf.jsonOut, "json", false, "")
	fs.BoolVar(&pf.detailed, "detailed-exitcode", false, "")
	fs.BoolVar(&pf.refreshOnly, "refresh-only", false, "")
	fs.BoolVar(&pf.destroy, "destroy", false, "")
	fs.BoolVar(&pf.refresh, "refresh", true, "")
	fs.BoolVar(&pf.autoApprove, "auto-approve", false, "")
	fs.Func("replace", "", func(s string) error { pf.replace = append(pf.replace, s); return nil })
	return fs
}

// runPlan is the common part of plan/apply/destroy: validate walk, then plan walk(s).
func (m *Meta) runPlan(rc *runCtx, pf *planFlags) *core.Plan {
	mode := core.NormalMode
	switch {
	case pf.destroy:
		mode = core.DestroyMode
	case pf.refreshOnly:
		mode = core.RefreshOnlyMode
	}
	if pf.destroy && pf.refreshOnly {
		p := &core.Plan{Mode: mode, Errored: true}
		p.Diagnostics = p.Diagnostics.Append(diag.Sourceless(diag.Error, "Incompatible plan mode options",
			"The -destroy and -refresh-only options are mutually-exclusive."))
		return p
	}
	for _, r := range pf.replace {
		if _, err := core.ParseInstAddr(r); err != nil {
			p := &core.Plan{Mode: mode, Errored: true}
			p.Diagnostics = p.Diagnostics.Append(diag.Sourceless(diag.Error, "Invalid replace address", err.Error()))
			return p
		}
	}
	vd := rc.core.Validate()
	if vd.HasErrors() {
		return &core.Plan{Mode: mode, Errored: true, Diagnostics: vd}
	}
	if len(rc.st.Resources) > 0 && pf.refresh || mode != core.NormalMode {
		// Terraform's "Refreshing state..." lines come from the plan walk itself.
	}
	plan := rc.core.Plan(rc.st, core.PlanOpts{Mode: mode, Refresh: pf.refresh, Variables: rc.vars, Replace: pf.replace})
	plan.Diagnostics = append(vd, plan.Diagnostics...)
	return plan
}

func (m *Meta) planCmd(args []string) int {
	var pf planFlags
	fs := m.planFlags("plan", &pf)
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if pf.jsonOut {
		m.color = false
	}
	rc := m.prepareQuiet(pf.jsonOut)
	if rc.diags.HasErrors() {
		m.emitFailure(rc.diags, pf.jsonOut)
		return 1
	}
	var diags diag.Diagnostics
	if pf.jsonOut {
		diags = rc.diags
	} else {
		m.showDiags(rc.diags) // Terraform shows the dev_overrides warning before the operation
	}
	plan := m.runPlan(rc, &pf)
	diags = append(diags, plan.Diagnostics...)
	if pf.jsonOut {
		b, err := render.JSONPlan(plan, diags)
		if err != nil {
			fmt.Fprintln(m.Stderr, err)
			return 1
		}
		m.Stdout.Write(b)
	} else {
		if !plan.Errored {
			m.out("%s", render.HumanPlan(plan, m.width, pf.outFile))
		}
		m.showDiags(diags)
	}
	if plan.Errored {
		return 1
	}
	if pf.outFile != "" {
		if err := savePlan(pf.outFile, plan, rc); err != nil {
			m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, "Failed to write plan file", err.Error())})
			return 1
		}
		if !pf.jsonOut {
			m.out("\n%s\n\nSaved the plan to: %s\n\nTo perform exactly these actions, run the following command to apply:\n    terraform apply %q\n", rulerLine(), pf.outFile, pf.outFile)
		}
	} else if !pf.jsonOut && plan.HasChanges() {
		m.out("\n%s\n\n%s\n", rulerLine(), wrapText("Note: You didn't use the -out option to save this plan, so Terraform can't guarantee to take exactly these actions if you run \"terraform apply\" now.", m.width))
	}
	if pf.detailed && plan.HasChanges() {
		return 2
	}
	return 0
}

// prepareQuiet is prepare() with progress lines suppressed for -json.
func (m *Meta) prepareQuiet(quiet bool) *runCtx {
	rc := m.prepare(true)
	if quiet && rc.core != nil {
		rc.core.UI = nil
	}
	return rc
}

func (m *Meta) emitFailure(diags diag.Diagnostics, jsonOut bool) {
	if jsonOut {
		b, _ := json.MarshalIndent(map[string]interface{}{"format_version": "1.2", "errored": true,
			"resource_changes": []interface{}{}, "diagnostics": diags.JSON()}, "", "  ")
		m.out("%s\n", b)
		return
	}
	m.showDiags(diags)
}

// ---------------------------------------------------------------- apply / destroy

func (m *Meta) applyCmd(args []string, destroy bool) int {
	var pf planFlags
	name := "apply"
	if destroy {
		name = "destroy"
	}
	fs := m.planFlags(name, &pf)
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if destroy {
		pf.destroy = true
	}
	if pf.jsonOut {
		m.color = false
	}
	planFile := ""
	if fs.NArg() > 0 {
		planFile = fs.Arg(0)
	}
	if planFile != "" && (destroy || len(m.vars) > 0) {
		m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, "Can't set variables for the apply phase",
			"Input variables and the -destroy option must be set when creating the plan with \"terraform plan\"; they cannot be overridden when applying a saved plan.")})
		return 1
	}
	rc := m.prepareQuiet(pf.jsonOut)
	if rc.diags.HasErrors() {
		m.emitFailure(rc.diags, pf.jsonOut)
		return 1
	}
	var plan *core.Plan
	var diags diag.Diagnostics
	if pf.jsonOut {
		diags = rc.diags
	} else {
		m.showDiags(rc.diags)
	}
	if planFile != "" {
		p, ds := loadPlan(planFile, rc)
		diags = diags.Append(ds)
		if ds.HasErrors() {
			m.emitFailure(diags, pf.jsonOut)
			return 1
		}
		plan = p
	} else {
		plan = m.runPlan(rc, &pf)
		diags = append(diags, plan.Diagnostics...)
		if plan.Errored {
			if pf.jsonOut {
				b, _ := render.JSONPlan(plan, diags)
				m.Stdout.Write(b)
			} else {
				m.showDiags(diags)
			}
			return 1
		}
		if !pf.jsonOut {
			m.out("%s", render.HumanPlan(plan, m.width, ""))
		}
		if !pf.autoApprove && plan.HasChanges() {
			m.showDiags(diags)
			diags = nil
			query, desc := "Do you want to perform these actions?", "Terraform will perform the actions described above.\nOnly 'yes' will be accepted to approve."
			if destroy {
				query, desc = "Do you really want to destroy all resources?", "Terraform will destroy all your managed infrastructure, as shown above.\nThere is no undo. Only 'yes' will be accepted to confirm."
			}
			if !m.askApproval(query, desc) {
				msg := "Apply cancelled."
				if destroy {
					msg = "Destroy cancelled."
				}
				fmt.Fprintf(m.Stderr, "\n%s\n", msg)
				return 1
			}
		}
	}
	if !pf.jsonOut {
		m.out("\n")
	}
	res := rc.core.Apply(plan)
	diags = diags.Append(res.Diagnostics)
	// A failed apply still saves what the provider returned (notes 4.5).
	if err := rc.mgr.Write(res.State); err != nil {
		diags = diags.Append(diag.Sourceless(diag.Error, "Failed to save state", err.Error()))
	}
	if pf.jsonOut {
		out := map[string]interface{}{"format_version": "1.2", "errored": diags.HasErrors(), "diagnostics": diags.JSON(),
			"counts": map[string]int{"import": res.Counts.Imported(), "add": res.Counts.Added(), "change": res.Counts.Changed(), "remove": res.Counts.Destroyed()}}
		outs := map[string]interface{}{}
		for n, o := range res.State.Outputs {
			uv, _ := o.Value.UnmarkDeep()
			vb, _ := ctyjson.Marshal(uv, uv.Type())
			tb, _ := uv.Type().MarshalJSON()
			outs[n] = map[string]interface{}{"sensitive": o.Sensitive, "value": json.RawMessage(vb), "type": json.RawMessage(tb)}
		}
		out["outputs"] = outs
		b, _ := json.MarshalIndent(out, "", "  ")
		m.out("%s\n", b)
		if diags.HasErrors() {
			return 1
		}
		return 0
	}
	m.showDiags(diags)
	if diags.HasErrors() {
		return 1
	}
	c := res.Counts
	m.out("\n")
	if plan.Mode == core.DestroyMode {
		m.out("%s\n", m.colorize(fmt.Sprintf("Destroy complete! Resources: %d destroyed.", c.Destroyed()), "\x1b[1;32m"))
	} else if c.Imported() > 0 {
		m.out("%s\n", m.colorize(fmt.Sprintf("Apply complete! Resources: %d imported, %d added, %d changed, %d destroyed.", c.Imported(), c.Added(), c.Changed(), c.Destroyed()), "\x1b[1;32m"))
	} else {
		m.out("%s\n", m.colorize(fmt.Sprintf("Apply complete! Resources: %d added, %d changed, %d destroyed.", c.Added(), c.Changed(), c.Destroyed()), "\x1b[1;32m"))
	}
	if plan.Mode != core.DestroyMode && len(res.State.Outputs) > 0 {
		m.out("\n%s\n\n%s", m.colorize("Outputs:", "\x1b[1;32m"), render.Outputs(res.State.Outputs))
	}
	return 0
}

// ---------------------------------------------------------------- import

func (m *Meta) importCmd(args []string) int {
	fs := m.flags("import", true)
	var ignored string
	fs.StringVar(&ignored, "config", "", "")
	fs.StringVar(&ignored, "provider", "", "")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(m.Stderr, "The import command expects two arguments.\nUsage: tfconform import [options] ADDR ID")
		return 1
	}
	addr, err := core.ParseInstAddr(fs.Arg(0))
	if err != nil {
		m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, "Invalid address", err.Error())})
		return 1
	}
	rc := m.prepare(true)
	if rc.diags.HasErrors() {
		m.showDiags(rc.diags)
		return 1
	}
	newState, diags := rc.core.Import(rc.st, addr, fs.Arg(1), rc.vars)
	diags = append(rc.diags, diags...)
	if diags.HasErrors() {
		m.showDiags(diags)
		return 1
	}
	if err := rc.mgr.Write(newState); err != nil {
		m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, "Failed to save state", err.Error())})
		return 1
	}
	m.showDiags(diags)
	m.out("\n%s\n\n%s\n\n", m.colorize("Import successful!", "\x1b[1;32m"),
		wrapText("The resources that were imported are shown above. These resources are now in your Terraform state and will henceforth be managed by Terraform.", m.width))
	return 0
}

// ---------------------------------------------------------------- show / state / output

func (m *Meta) showCmd(args []string) int {
	fs := m.flags("show", false)
	jsonOut := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	rc := m.prepareState()
	if rc.diags.HasErrors() {
		m.showDiags(rc.diags)
		return 1
	}
	if fs.NArg() > 0 && isPlanFile(fs.Arg(0)) {
		plan, ds := loadPlan(fs.Arg(0), rc)
		if ds.HasErrors() {
			m.showDiags(ds)
			return 1
		}
		if *jsonOut {
			b, _ := render.JSONPlan(plan, nil)
			m.Stdout.Write(b)
		} else {
			m.out("%s", render.HumanPlan(plan, m.width, ""))
		}
		return 0
	}
	st := rc.st
	if fs.NArg() > 0 {
		b, err := os.ReadFile(fs.Arg(0))
		if err == nil {
			st, err = state.Unmarshal(b)
		}
		if err != nil {
			m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, "Failed to read the given file as a state or plan file", err.Error())})
			return 1
		}
	}
	if *jsonOut {
		b, err := render.JSONState(st, rc.typeSchemaFunc())
		if err != nil {
			fmt.Fprintln(m.Stderr, err)
			return 1
		}
		m.Stdout.Write(b)
		return 0
	}
	if st.Empty() {
		m.out("No state.\n")
		return 0
	}
	for _, r := range st.SortedResources() {
		for _, inst := range r.SortedInstances() {
			m.out("%s\n", render.StateShow(r, inst, rc.typeSchemaFunc()(r)))
		}
	}
	if len(st.Outputs) > 0 {
		m.out("\nOutputs:\n\n%s", render.Outputs(st.Outputs))
	}
	return 0
}

// prepareState loads the CLI config, configuration and state and the schemas, without variables.
func (m *Meta) prepareState() *runCtx {
	return m.prepare(false)
}

func (m *Meta) stateCmd(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(m.Stderr, "Usage: tfconform state <list|show> [options] [args]")
		return 1
	}
	sub := args[0]
	fs := m.flags("state "+sub, false)
	if err := fs.Parse(args[1:]); err != nil {
		return 1
	}
	mgr := state.NewManager(m.statePathOrDefault())
	st, err := mgr.Read()
	if err != nil {
		m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, "Failed to load state", err.Error())})
		return 1
	}
	switch sub {
	case "list":
		filter := fs.Args()
		for _, r := range st.SortedResources() {
			for _, inst := range r.SortedInstances() {
				a := r.InstanceAddr(inst.Key)
				if len(filter) > 0 {
					ok := false
					for _, f := range filter {
						if a == f || strings.HasPrefix(a, f+".") || strings.HasPrefix(a, f+"[") || r.Addr() == f {
							ok = true
						}
					}
					if !ok {
						continue
					}
				}
				m.out("%s\n", a)
			}
		}
		return 0
	case "show":
		if fs.NArg() != 1 {
			fmt.Fprintln(m.Stderr, "Exactly one argument expected.\nUsage: tfconform state show [options] ADDRESS")
			return 1
		}
		addr, err := core.ParseInstAddr(fs.Arg(0))
		if err != nil {
			m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, "Error parsing instance address", err.Error())})
			return 1
		}
		r := st.Resources[state.ResourceKey(addr.Res.Module, addr.Res.ModeString(), addr.Res.Type, addr.Res.Name)]
		var inst *state.Instance
		if r != nil {
			inst = r.Instances[state.KeyString(addr.Key)]
		}
		if inst == nil || inst.Current == nil {
			fmt.Fprintf(m.Stderr, "No instance found for the given address!\n\nThis command requires that the address references one specific instance.\nTo view the available instances, use \"terraform state list\". Please modify\nthe address to reference a specific instance.\n")
			return 1
		}
		rc := m.prepareState()
		if rc.diags.HasErrors() {
			m.showDiags(rc.diags)
			return 1
		}
		m.out("%s\n", render.StateShow(r, inst, rc.typeSchemaFunc()(r)))
		return 0
	}
	fmt.Fprintf(m.Stderr, "tfconform: unsupported state subcommand %q (list, show)\n", sub)
	return 1
}

func (m *Meta) outputCmd(args []string) int {
	fs := m.flags("output", false)
	jsonOut := fs.Bool("json", false, "")
	raw := fs.Bool("raw", false, "")
	if err := fs.Parse(args); err != nil {
		return 1
	}
	mgr := state.NewManager(m.statePathOrDefault())
	st, err := mgr.Read()
	if err != nil {
		m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, "Failed to load state", err.Error())})
		return 1
	}
	if fs.NArg() == 0 {
		if *jsonOut {
			out := map[string]interface{}{}
			for n, o := range st.Outputs {
				uv, _ := o.Value.UnmarkDeep()
				vb, _ := ctyjson.Marshal(uv, uv.Type())
				tb, _ := uv.Type().MarshalJSON()
				out[n] = map[string]interface{}{"sensitive": o.Sensitive, "type": json.RawMessage(tb), "value": json.RawMessage(vb)}
			}
			b, _ := json.MarshalIndent(out, "", "  ")
			m.out("%s\n", b)
			return 0
		}
		if len(st.Outputs) == 0 {
			m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Warning, "No outputs found",
				"The state file either has no outputs defined, or all the defined outputs are empty. Please define an output in your configuration with the `output` keyword and run `terraform refresh` for it to become available. If you are using interpolation, please verify the interpolated value is not empty. You can use the `terraform console` command to assist.")})
			return 0
		}
		m.out("%s", render.Outputs(st.Outputs))
		return 0
	}
	name := fs.Arg(0)
	o, ok := st.Outputs[name]
	if !ok {
		m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, fmt.Sprintf("Output %q not found", name),
			"The output variable requested could not be found in the state file. If you recently added this to your configuration, be sure to run `terraform apply`, since the state won't be updated with new output variables until that command is run.")})
		return 1
	}
	uv, _ := o.Value.UnmarkDeep()
	switch {
	case *jsonOut:
		vb, _ := ctyjson.Marshal(uv, uv.Type())
		m.out("%s\n", vb)
	case *raw:
		if !uv.Type().IsPrimitiveType() || uv.IsNull() {
			m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, "Unsupported value for raw output",
				fmt.Sprintf("The -raw option only supports strings, numbers, and boolean values, but output value %q is %s.\n\nUse the -json option for machine-readable representations of output values that have complex types.", name, uv.Type().FriendlyName()))})
			return 1
		}
		s, _ := stringOf(uv)
		m.out("%s", s)
	default:
		m.out("%s\n", render.ValueString(uv, 0))
	}
	return 0
}

func stringOf(v cty.Value) (string, error) {
	switch v.Type() {
	case cty.String:
		return v.AsString(), nil
	case cty.Bool:
		if v.True() {
			return "true", nil
		}
		return "false", nil
	}
	return v.AsBigFloat().Text('f', -1), nil
}

func (m *Meta) providersCmd(args []string) int {
	if len(args) == 0 || args[0] != "schema" {
		fmt.Fprintln(m.Stderr, "Usage: tfconform providers schema -json")
		return 1
	}
	fs := m.flags("providers schema", false)
	jsonOut := fs.Bool("json", false, "")
	if err := fs.Parse(args[1:]); err != nil {
		return 1
	}
	if !*jsonOut {
		m.showDiags(diag.Diagnostics{diag.Sourceless(diag.Error, "The -json flag is required",
			"The `terraform providers schema` command requires the `-json` flag.")})
		return 1
	}
	rc := m.prepareState()
	if rc.diags.HasErrors() {
		m.showDiags(rc.diags)
		return 1
	}
	b, err := render.JSONSchemas(rc.core.Schemas)
	if err != nil {
		fmt.Fprintln(m.Stderr, err)
		return 1
	}
	m.Stdout.Write(b)
	return 0
}

func rulerLine() string {
	return "─────────────────────────────────────────────────────────────────────────────"
}

func wrapText(s string, width int) string {
	words := strings.Fields(s)
	var lines []string
	cur := ""
	for _, w := range words {
		if cur != "" && len(cur)+1+len(w) > width {
			lines = append(lines, cur)
			cur = w
			continue
		}
		if cur == "" {
			cur = w
		} else {
			cur += " " + w
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return strings.Join(lines, "\n")
}

var _ = sort.Strings
