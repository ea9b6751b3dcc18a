// Package render prints plans, states and outputs the way Terraform's CLI does (human form after
// Terraform's jsonformat renderer; JSON form a subset of its JSON plan/state formats).
package render

import (
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"tfconform/schema"
)

const (
	unknownText   = "(known after apply)"
	sensitiveText = "(sensitive value)"
)

func isSensitive(v cty.Value) bool { return v.HasMark(schema.Sensitive) }

// primitive renders a known, non-null, unmarked primitive as HCL.
func primitive(v cty.Value) string {
	switch v.Type() {
	case cty.String:
		s := v.AsString()
		if strings.Contains(s, "\n") {
			return heredoc(s)
		}
		return strconv.Quote(s)
	case cty.Number:
		return numberString(v.AsBigFloat())
	case cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	}
	return fmt.Sprintf("%#v", v)
}

func numberString(f *big.Float) string {
	if f.IsInt() {
		i, _ := f.Int(nil)
		return i.String()
	}
	return f.Text('f', -1)
}

func heredoc(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return "<<-EOT\n" + strings.Join(lines, "\n") + "\nEOT"
}

// ValueString renders a (possibly marked, unknown) value on one or more lines, indented for
// outputs and `state show` (Terraform's format of values in outputs).
func ValueString(v cty.Value, indent int) string {
	if isSensitive(v) {
		return sensitiveText
	}
	v, _ = v.Unmark()
	switch {
	case !v.IsKnown():
		return unknownText
	case v.IsNull():
		return "null"
	case v.Type().IsPrimitiveType():
		return primitive(v)
	}
	pad := strings.Repeat(" ", indent)
	ty := v.Type()
	var b strings.Builder
	switch {
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		if v.LengthInt() == 0 {
			return "[]"
		}
		b.WriteString("[\n")
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			fmt.Fprintf(&b, "%s  %s,\n", pad, ValueString(ev, indent+2))
		}
		b.WriteString(pad + "]")
	case ty.IsMapType() || ty.IsObjectType():
		if v.LengthInt() == 0 {
			return "{}"
		}
		keys := []string{}
		vals := map[string]cty.Value{}
		for it := v.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			keys = append(keys, k.AsString())
			vals[k.AsString()] = ev
		}
		sort.Strings(keys)
		width := 0
		names := map[string]string{}
		for _, k := range keys {
			// Terraform's value formatting quotes every key, map or object (repl.FormatValue).
			n := strconv.Quote(k)
			names[k] = n
			if len(n) > width {
				width = len(n)
			}
		}
		b.WriteString("{\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "%s  %-*s = %s\n", pad, width, names[k], ValueString(vals[k], indent+2))
		}
		b.WriteString(pad + "}")
	default:
		return fmt.Sprintf("%#v", v)
	}
	return b.String()
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}
