package render

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"tfconform/schema"
	"tfconform/state"
)

// StateShow renders one instance as `terraform state show` does: "# addr:" then the resource
// block with its non-null attributes, sensitive ones as "(sensitive value)".
func StateShow(r *state.Resource, inst *state.Instance, sch *schema.Schema) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s:\n", r.InstanceAddr(inst.Key))
	kind := "resource"
	if r.Mode == "data" {
		kind = "data"
	}
	fmt.Fprintf(&b, "%s %q %q {\n", kind, r.Type, r.Name)
	o := inst.Current
	if o == nil || sch == nil {
		b.WriteString("}")
		return b.String()
	}
	v := o.Value
	if v == cty.NilVal {
		var err error
		if v, err = o.Decode(sch.Block.ImpliedType()); err != nil {
			b.WriteString("}")
			return b.String()
		}
	}
	v = v.MarkWithPaths(sch.Block.ValueMarks(v, schema.Sensitive, nil))
	writeBlock(&b, sch.Block, v, 4)
	b.WriteString("}")
	return b.String()
}

func writeBlock(b *strings.Builder, s *schema.Block, v cty.Value, indent int) {
	pad := strings.Repeat(" ", indent)
	uv, _ := v.Unmark()
	if uv.IsNull() || !uv.IsKnown() {
		return
	}
	width := 0
	var names []string
	for _, n := range schema.SortedKeys(s.Attributes) {
		av := uv.GetAttr(n)
		if u, _ := av.UnmarkDeep(); u.IsNull() {
			continue
		}
		names = append(names, n)
		if len(n) > width {
			width = len(n)
		}
	}
	for _, n := range names {
		fmt.Fprintf(b, "%s%-*s = %s\n", pad, width, n, indentString(ValueString(uv.GetAttr(n), 0), pad))
	}
	for _, n := range schema.SortedKeys(s.BlockTypes) {
		nb := s.BlockTypes[n]
		bv, _ := uv.GetAttr(n).Unmark()
		if bv.IsNull() || !bv.IsKnown() {
			continue
		}
		switch nb.Nesting {
		case schema.NestingSingle, schema.NestingGroup:
			fmt.Fprintf(b, "\n%s%s {\n", pad, n)
			writeBlock(b, &nb.Block, bv, indent+4)
			fmt.Fprintf(b, "%s}\n", pad)
		default:
			for it := bv.ElementIterator(); it.Next(); {
				k, ev := it.Element()
				label := ""
				if nb.Nesting == schema.NestingMap {
					label = fmt.Sprintf(" %q", k.AsString())
				}
				fmt.Fprintf(b, "\n%s%s%s {\n", pad, n, label)
				writeBlock(b, &nb.Block, ev, indent+4)
				fmt.Fprintf(b, "%s}\n", pad)
			}
		}
	}
}

func indentString(s, pad string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pad)
}
