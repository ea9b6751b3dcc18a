package render

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mitchellh/go-wordwrap"
	"github.com/zclconf/go-cty/cty"

	"tfconform/config"
	"tfconform/core"
	"tfconform/state"
)

const ruler = "─────────────────────────────────────────────────────────────────────────────"

func wrap(s string, width int) string {
	if width < 10 {
		width = 78
	}
	return wordwrap.WrapString(s, uint(width))
}

func resourceHeader(c *core.Change) (symbol, kind string) {
	kind = "resource"
	if c.Addr.Res.Mode == config.DataMode {
		kind = "data"
	}
	switch c.Action {
	case core.Create:
		return "  +", kind
	case core.Update:
		return "  ~", kind
	case core.Delete:
		return "  -", kind
	case core.DeleteThenCreate:
		return "-/+", kind
	case core.CreateThenDelete:
		return "+/-", kind
	case core.Read:
		return " <=", kind
	}
	return "   ", kind
}

// ResourceChange renders one change block ("  # x will be created" ...).
func ResourceChange(c *core.Change, drift bool) string {
	var b strings.Builder
	addr := c.Addr.String()
	if c.Deposed != "" {
		addr += fmt.Sprintf(" (deposed object %s)", c.Deposed)
	}
	var head string
	switch {
	case drift && c.Action == core.Delete:
		head = addr + " has been deleted"
	case drift:
		head = addr + " has changed"
	case c.Action == core.Create:
		head = addr + " will be created"
	case c.Action == core.Update:
		head = addr + " will be updated in-place"
	case c.Action.IsReplace():
		if c.ActionReason == "replace_because_tainted" {
			head = addr + " is tainted, so must be replaced"
		} else if c.ActionReason == "replace_by_request" {
			head = addr + " will be replaced, as requested"
		} else {
			head = addr + " must be replaced"
		}
	case c.Action == core.Delete:
		head = addr + " will be destroyed"
	case c.Action == core.Read:
		head = addr + " will be read during apply"
	case c.Action == core.NoOp && c.ImportingID != "":
		head = addr + " will be imported"
	default:
		head = addr
	}
	fmt.Fprintf(&b, "  # %s\n", head)
	switch {
	case c.Action == core.Read && c.ActionReason == "read_because_config_unknown":
		b.WriteString("  # (config refers to values not yet known)\n")
	case c.Action == core.Read && c.ActionReason == "read_because_dependency_pending":
		b.WriteString("  # (depends on a resource or a module with changes pending)\n")
	case c.Action == core.Delete && !drift && c.ActionReason == "delete_because_no_resource_config":
		fmt.Fprintf(&b, "  # (because %s is not in configuration)\n", c.Addr.Res.String())
	case c.Action == core.Delete && !drift && c.ActionReason == "delete_because_count_index":
		fmt.Fprintf(&b, "  # (because index %s is out of range for count)\n", state.KeyString(c.Addr.Key))
	case c.Action == core.Delete && !drift && c.ActionReason == "delete_because_each_key":
		fmt.Fprintf(&b, "  # (because key %s is not in for_each map)\n", state.KeyString(c.Addr.Key))
	}
	if c.ImportingID != "" && c.Action != core.NoOp {
		fmt.Fprintf(&b, "  # (imported from %q)\n", c.ImportingID)
	}
	sym, kind := resourceHeader(c)
	if drift {
		sym = "  ~"
		if c.Action == core.Delete {
			sym = "  -"
		}
	}
	fmt.Fprintf(&b, "%s %s %q %q {\n", sym, kind, c.Addr.Res.Type, c.Addr.Res.Name)
	d := &differ{b: &b, replacePaths: c.ReplacePaths}
	before, after := c.Before, c.After
	if c.Action == core.Create || c.Action == core.Read || c.Action == core.Delete {
		d.showAll = true
	}
	if c.Action == core.Delete && drift {
		d.showAll = true
	}
	if c.Schema != nil {
		d.block(c.Schema.Block, before, after, 4, nil)
	}
	if c.ImportingID != "" && c.Action == core.NoOp {
		b.Reset()
		fmt.Fprintf(&b, "  # %s\n", head)
		fmt.Fprintf(&b, "    resource %q %q {\n", c.Addr.Res.Type, c.Addr.Res.Name)
		d2 := &differ{b: &b, showAll: true} // Terraform shows the whole object being imported
		d2.block(c.Schema.Block, before, after, 4, nil)
	}
	b.WriteString("    }\n")
	return b.String()
}

// Summary counts for "Plan: ..." and "Apply complete!".
type Counts struct{ Import, Add, Change, Destroy int }

func PlanCounts(p *core.Plan) Counts {
	var c Counts
	for _, ch := range p.Changes {
		if ch.ImportingID != "" {
			c.Import++
		}
		switch ch.Action {
		case core.Create:
			c.Add++
		case core.Update:
			c.Change++
		case core.Delete:
			c.Destroy++
		case core.DeleteThenCreate, core.CreateThenDelete:
			c.Add++
			c.Destroy++
		}
	}
	return c
}

func sortedChanges(cs []*core.Change) []*core.Change {
	out := append([]*core.Change(nil), cs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Addr.String() < out[j].Addr.String() })
	return out
}

// relevantDrift keeps drift only for resources that have changes or are referenced by changing
// resources' dependencies — Terraform reports drift only when it may have affected the plan.
func relevantDrift(p *core.Plan) []*core.Change {
	changing := map[string]bool{}
	for _, c := range p.Changes {
		if c.Action != core.NoOp {
			changing[c.Addr.Res.String()] = true
			changing[c.Addr.String()] = true
		}
	}
	var out []*core.Change
	for _, d := range p.Drift {
		if changing[d.Addr.String()] || changing[d.Addr.Res.String()] || p.Mode == core.RefreshOnlyMode {
			out = append(out, d)
			continue
		}
		// drift of a dependency of a changing resource
		for addr := range changing {
			if r := p.PriorState.Resources[addr]; r != nil {
				for _, inst := range r.Instances {
					if inst.Current == nil {
						continue
					}
					for _, dep := range inst.Current.Dependencies {
						if dep == d.Addr.Res.String() {
							out = append(out, d)
						}
					}
				}
			}
		}
	}
	return out
}

// HumanPlan renders a plan as `terraform plan` prints it.
func HumanPlan(p *core.Plan, width int, savedTo string) string {
	var b strings.Builder
	var changes []*core.Change
	for _, c := range sortedChanges(p.Changes) {
		if c.Action != core.NoOp || c.ImportingID != "" {
			changes = append(changes, c)
		}
	}
	drift := relevantDrift(p)
	hasOutputChanges := false
	for _, oc := range p.OutputChanges {
		if oc.Action != core.NoOp {
			hasOutputChanges = true
		}
	}
	if p.Mode == core.RefreshOnlyMode {
		if len(drift) == 0 {
			b.WriteString("\nNo changes. Your infrastructure still matches the configuration.\n\n")
			b.WriteString(wrap("Terraform has checked that the real remote objects still match the result of your most recent changes, and found no differences.", width) + "\n")
			return b.String()
		}
	}
	if len(changes) == 0 && !hasOutputChanges && p.Mode != core.RefreshOnlyMode {
		if p.Mode == core.DestroyMode {
			b.WriteString("\nNo changes. No objects need to be destroyed.\n\n")
			b.WriteString(wrap("Either you have not created any objects yet or the existing objects were already deleted outside of Terraform.", width) + "\n")
			return b.String()
		}
		b.WriteString("\nNo changes. Your infrastructure matches the configuration.\n\n")
		b.WriteString(wrap("Terraform has compared your real infrastructure against your configuration and found no differences, so no changes are needed.", width) + "\n")
		return b.String()
	}
	if len(drift) > 0 {
		b.WriteString("\nNote: Objects have changed outside of Terraform\n\n")
		b.WriteString(wrap("Terraform detected the following changes made outside of Terraform since the last \"terraform apply\" which may have affected this plan:", width) + "\n\n")
		for _, d := range sortedChanges(drift) {
			b.WriteString(ResourceChange(d, true))
			b.WriteString("\n")
		}
		if p.Mode == core.RefreshOnlyMode {
			b.WriteString(wrap("This is a refresh-only plan, so Terraform will not take any actions to undo these. If you were expecting these changes then you can apply this plan to record the updated values in the Terraform state without changing any remote objects.", width) + "\n")
		} else {
			b.WriteString(wrap("Unless you have made equivalent changes to your configuration, or ignored the relevant attributes using ignore_changes, the following plan may include actions to undo or respond to these changes.", width) + "\n")
		}
		b.WriteString("\n" + ruler + "\n")
	}
	if p.Mode == core.RefreshOnlyMode {
		b.WriteString(outputChangesText(p, width))
		return b.String()
	}
	if len(changes) > 0 {
		b.WriteString("\n" + wrap("Terraform used the selected providers to generate the following execution plan. Resource actions are indicated with the following symbols:", width) + "\n")
		present := map[core.Action]bool{}
		for _, c := range changes {
			present[c.Action] = true
		}
		legend := []struct {
			a    core.Action
			text string
		}{
			{core.Create, "  + create"}, {core.Update, "  ~ update in-place"}, {core.Delete, "  - destroy"},
			{core.DeleteThenCreate, "-/+ destroy and then create replacement"},
			{core.CreateThenDelete, "+/- create replacement and then destroy"}, {core.Read, " <= read (data resources)"},
		}
		for _, l := range legend {
			if present[l.a] {
				b.WriteString(l.text + "\n")
			}
		}
		b.WriteString("\nTerraform will perform the following actions:\n\n")
		for _, c := range changes {
			b.WriteString(ResourceChange(c, false))
			b.WriteString("\n")
		}
		n := PlanCounts(p)
		if n.Import > 0 {
			fmt.Fprintf(&b, "Plan: %d to import, %d to add, %d to change, %d to destroy.\n", n.Import, n.Add, n.Change, n.Destroy)
		} else {
			fmt.Fprintf(&b, "Plan: %d to add, %d to change, %d to destroy.\n", n.Add, n.Change, n.Destroy)
		}
		b.WriteString(outputChangesText(p, width))
		return b.String()
	}
	b.WriteString(outputChangesText(p, width))
	b.WriteString("\n" + wrap("You can apply this plan to save these new output values to the Terraform state, without changing any real infrastructure.", width) + "\n")
	return b.String()
}

func outputChangesText(p *core.Plan, width int) string {
	var ocs []*core.OutputChange
	for _, oc := range p.OutputChanges {
		if oc.Action != core.NoOp {
			ocs = append(ocs, oc)
		}
	}
	if len(ocs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nChanges to Outputs:\n")
	w := 0
	for _, oc := range ocs {
		if len(oc.Name) > w {
			w = len(oc.Name)
		}
	}
	d := &differ{b: &strings.Builder{}}
	for _, oc := range ocs {
		var a act
		var text string
		switch oc.Action {
		case core.Create:
			a = aCreate
			text = d.single(markIf(oc.After, oc.Sensitive), 4, aCreate)
		case core.Delete:
			a = aDelete
			text = d.single(markIf(oc.Before, oc.Sensitive), 4, aDelete) + " -> null"
		default:
			a = aUpdate
			text = d.value(markIf(oc.Before, oc.Sensitive), markIf(oc.After, oc.Sensitive), 4, nil, aUpdate)
		}
		fmt.Fprintf(&b, "  %s %-*s = %s\n", sym(a), w, oc.Name, text)
	}
	return b.String()
}

func markIf(v cty.Value, sensitive bool) cty.Value {
	if sensitive {
		return v.Mark(sensitiveMarkKey())
	}
	return v
}

// Outputs renders `terraform output` / the apply epilogue: `name = value`.
func Outputs(outs map[string]*state.OutputValue) string {
	var names []string
	for n := range outs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		o := outs[n]
		if o.Sensitive {
			fmt.Fprintf(&b, "%s = <sensitive>\n", n)
			continue
		}
		v, _ := o.Value.UnmarkDeep()
		fmt.Fprintf(&b, "%s = %s\n", n, ValueString(v, 0))
	}
	return b.String()
}
