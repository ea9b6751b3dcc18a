package core

import (
	"fmt"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"tfconform/config"
	"tfconform/diag"
)

// checkRules evaluates preconditions / postconditions (TF evalCheckRules). An unknown result is
// left for the apply during planning; at apply it is an error.
func (w *walker) checkRules(m *config.Module, rules []*config.CheckRule, kd keyData, kind, addr string) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, rule := range rules {
		s := &scope{w: w, mod: m, keys: kd}
		res, ds := s.eval(rule.Condition, cty.Bool)
		if ds.HasErrors() {
			diags = diags.Append(ds)
			continue
		}
		res, _ = res.UnmarkDeep()
		if !res.IsKnown() {
			if w.op == opApply {
				diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid condition result",
					Detail: "The condition expression must produce a known value during apply.", Subject: rule.Condition.Range().Ptr(), Address: addr})
			}
			continue
		}
		if res.IsNull() {
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid condition result",
				Detail: "Condition expression must return either true or false, not null.", Subject: rule.Condition.Range().Ptr(), Address: addr})
			continue
		}
		bv, err := convert.Convert(res, cty.Bool)
		if err != nil {
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid condition result",
				Detail: fmt.Sprintf("Invalid condition result value: %s.", err), Subject: rule.Condition.Range().Ptr(), Address: addr})
			continue
		}
		if bv.True() {
			continue
		}
		msg, ds := s.eval(rule.ErrorMessage, cty.String)
		text := ""
		if !ds.HasErrors() {
			if mv, marks := msg.UnmarkDeep(); len(marks) == 0 && mv.IsKnown() && !mv.IsNull() && mv.Type() == cty.String {
				text = mv.AsString()
			} else if len(marks) > 0 {
				text = "The error message included a sensitive value, so it will not be displayed."
			}
		}
		diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: kind + " failed", Detail: text,
			Subject: rule.Condition.Range().Ptr(), Address: addr})
	}
	return diags
}
