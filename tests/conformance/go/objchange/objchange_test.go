package objchange

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"tfconform/diag"
	"tfconform/schema"
)

var testBlock = &schema.Block{
	Attributes: map[string]*schema.Attribute{
		"id":       {Type: cty.String, Computed: true},
		"name":     {Type: cty.String, Required: true},
		"opt":      {Type: cty.String, Optional: true},
		"optcomp":  {Type: cty.String, Optional: true, Computed: true},
		"secret":   {Type: cty.String, Optional: true, Sensitive: true},
		"token_wo": {Type: cty.String, Optional: true, WriteOnly: true},
		"items": {Optional: true, NestedType: &schema.Object{Nesting: schema.NestingList, Attributes: map[string]*schema.Attribute{
			"k": {Type: cty.String, Required: true},
			"v": {Type: cty.String, Optional: true, Computed: true},
		}}},
	},
	BlockTypes: map[string]*schema.NestedBlock{
		"rule": {Nesting: schema.NestingList, Block: schema.Block{Attributes: map[string]*schema.Attribute{
			"port": {Type: cty.Number, Required: true},
		}}},
	},
}

func obj(vals map[string]cty.Value) cty.Value {
	ty := testBlock.ImpliedType()
	out := map[string]cty.Value{}
	for name, aty := range ty.AttributeTypes() {
		if v, ok := vals[name]; ok {
			out[name] = v
		} else if name == "rule" {
			out[name] = cty.ListValEmpty(aty.ElementType())
		} else {
			out[name] = cty.NullVal(aty)
		}
	}
	return cty.ObjectVal(out)
}

func msgs(errs []error) string {
	var s []string
	for _, e := range errs {
		s = append(s, diag.FormatError(e))
	}
	return strings.Join(s, "\n")
}

func TestProposedNew(t *testing.T) {
	ty := testBlock.ImpliedType()
	// Create: computed attributes arrive null (not unknown) — notes 4.2.
	cfg := obj(map[string]cty.Value{"name": cty.StringVal("n")})
	p := ProposedNew(testBlock, cty.NullVal(ty), cfg)
	if !p.GetAttr("id").IsNull() || !p.GetAttr("optcomp").IsNull() || p.GetAttr("name").AsString() != "n" {
		t.Errorf("create proposal: %#v", p)
	}
	// Update: computed (and optional+computed with null config) take the prior value; a
	// non-computed attribute takes the config value even when null.
	prior := obj(map[string]cty.Value{"id": cty.StringVal("i"), "name": cty.StringVal("n"), "opt": cty.StringVal("old"), "optcomp": cty.StringVal("pc")})
	p = ProposedNew(testBlock, prior, cfg)
	if p.GetAttr("id").AsString() != "i" || p.GetAttr("optcomp").AsString() != "pc" || !p.GetAttr("opt").IsNull() {
		t.Errorf("update proposal: %#v", p)
	}
	// Nested attribute objects merge per element.
	prior = obj(map[string]cty.Value{"name": cty.StringVal("n"), "items": cty.ListVal([]cty.Value{
		cty.ObjectVal(map[string]cty.Value{"k": cty.StringVal("a"), "v": cty.StringVal("computed")})})})
	cfg = obj(map[string]cty.Value{"name": cty.StringVal("n"), "items": cty.ListVal([]cty.Value{
		cty.ObjectVal(map[string]cty.Value{"k": cty.StringVal("a"), "v": cty.NullVal(cty.String)})})})
	p = ProposedNew(testBlock, prior, cfg)
	if got := p.GetAttr("items").Index(cty.NumberIntVal(0)).GetAttr("v"); got.AsString() != "computed" {
		t.Errorf("nested optional+computed should keep the prior value, got %#v", got)
	}
	// Data sources: computed attributes unknown.
	d := PlannedDataResourceObject(testBlock, obj(map[string]cty.Value{"name": cty.StringVal("n")}))
	if d.GetAttr("id").IsKnown() || d.GetAttr("name").AsString() != "n" {
		t.Errorf("planned data object: %#v", d)
	}
}

func TestAssertPlanValid(t *testing.T) {
	ty := testBlock.ImpliedType()
	null := cty.NullVal(ty)
	cases := []struct {
		name                   string
		prior, config, planned cty.Value
		want                   string
	}{
		{"valid create with unknown computed", null, obj(map[string]cty.Value{"name": cty.StringVal("n")}),
			obj(map[string]cty.Value{"name": cty.StringVal("n"), "id": cty.UnknownVal(cty.String), "optcomp": cty.StringVal("dflt")}), ""},
		{"non-computed set by provider", null, obj(map[string]cty.Value{"name": cty.StringVal("n")}),
			obj(map[string]cty.Value{"name": cty.StringVal("n"), "opt": cty.StringVal("x")}),
			`.opt: planned value cty.StringVal("x") for a non-computed attribute`},
		{"config changed", null, obj(map[string]cty.Value{"name": cty.StringVal("n")}),
			obj(map[string]cty.Value{"name": cty.StringVal("m")}),
			`.name: planned value cty.StringVal("m") does not match config value cty.StringVal("n")`},
		{"config changed with prior", obj(map[string]cty.Value{"name": cty.StringVal("p")}), obj(map[string]cty.Value{"name": cty.StringVal("n")}),
			obj(map[string]cty.Value{"name": cty.StringVal("m")}),
			`.name: planned value cty.StringVal("m") does not match config value cty.StringVal("n") nor prior value cty.StringVal("p")`},
		{"prior value instead of config is allowed", obj(map[string]cty.Value{"name": cty.StringVal("p")}), obj(map[string]cty.Value{"name": cty.StringVal("n")}),
			obj(map[string]cty.Value{"name": cty.StringVal("p")}), ""},
		{"unknown config must stay unknown", null, obj(map[string]cty.Value{"name": cty.UnknownVal(cty.String)}),
			obj(map[string]cty.Value{"name": cty.StringVal("guess")}),
			`.name: planned value cty.StringVal("guess") does not match config value cty.UnknownVal(cty.String)`},
		{"sensitive values are not shown", null, obj(map[string]cty.Value{"name": cty.StringVal("n"), "secret": cty.StringVal("a")}),
			obj(map[string]cty.Value{"name": cty.StringVal("n"), "secret": cty.StringVal("b")}),
			`.secret: sensitive planned value does not match config value`},
		{"write-only must be planned null", null, obj(map[string]cty.Value{"name": cty.StringVal("n"), "token_wo": cty.StringVal("t")}),
			obj(map[string]cty.Value{"name": cty.StringVal("n"), "token_wo": cty.StringVal("t")}), ""},
		{"write-only non-null when config null", null, obj(map[string]cty.Value{"name": cty.StringVal("n")}),
			obj(map[string]cty.Value{"name": cty.StringVal("n"), "token_wo": cty.StringVal("t")}),
			`.token_wo: planned value for write-only attribute is not null`},
		{"block count", null, obj(map[string]cty.Value{"name": cty.StringVal("n")}),
			obj(map[string]cty.Value{"name": cty.StringVal("n"), "rule": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(1)})})}),
			`.rule: block count in plan (1) disagrees with count in config (0)`},
		{"null block list", null, obj(map[string]cty.Value{"name": cty.StringVal("n")}),
			obj(map[string]cty.Value{"name": cty.StringVal("n"), "rule": cty.NullVal(cty.List(cty.Object(map[string]cty.Type{"port": cty.Number})))}),
			`.rule: attribute representing a list of nested blocks must be empty to indicate no blocks, not null`},
		{"planned for absence", null, obj(map[string]cty.Value{"name": cty.StringVal("n")}), null,
			`planned for absence but config wants existence`},
	}
	for _, c := range cases {
		got := msgs(AssertPlanValid(testBlock, c.prior, c.config, c.planned))
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestAssertObjectCompatible(t *testing.T) {
	planned := obj(map[string]cty.Value{"name": cty.StringVal("n"), "id": cty.UnknownVal(cty.String), "opt": cty.StringVal("o"),
		"rule": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(1)})})})
	cases := []struct {
		name   string
		actual cty.Value
		want   string
	}{
		{"unknown filled", obj(map[string]cty.Value{"name": cty.StringVal("n"), "id": cty.StringVal("i"), "opt": cty.StringVal("o"),
			"rule": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(1)})})}), ""},
		{"known value changed", obj(map[string]cty.Value{"name": cty.StringVal("x"), "id": cty.StringVal("i"), "opt": cty.StringVal("o"),
			"rule": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(1)})})}),
			`.name: was cty.StringVal("n"), but now cty.StringVal("x")`},
		{"value became null", obj(map[string]cty.Value{"name": cty.StringVal("n"), "id": cty.StringVal("i"),
			"rule": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(1)})})}),
			`.opt: was cty.StringVal("o"), but now null`},
		{"still unknown", obj(map[string]cty.Value{"name": cty.StringVal("n"), "id": cty.UnknownVal(cty.String), "opt": cty.UnknownVal(cty.String),
			"rule": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(1)})})}),
			`.opt: was known, but now unknown`},
		{"block count changed", obj(map[string]cty.Value{"name": cty.StringVal("n"), "id": cty.StringVal("i"), "opt": cty.StringVal("o")}),
			`.rule: block count changed from 1 to 0`},
		{"root absent", cty.NullVal(testBlock.ImpliedType()), `Root object was present, but now absent`},
	}
	for _, c := range cases {
		got := msgs(AssertObjectCompatible(testBlock, planned, c.actual))
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	// Sensitive attributes: a vague message only.
	p := obj(map[string]cty.Value{"name": cty.StringVal("n"), "secret": cty.StringVal("a")})
	a := obj(map[string]cty.Value{"name": cty.StringVal("n"), "secret": cty.StringVal("b")})
	if got := msgs(AssertObjectCompatible(testBlock, p, a)); got != ".secret: inconsistent values for sensitive attribute" {
		t.Errorf("sensitive: %q", got)
	}
	// Sets: elements must correlate.
	ps := cty.SetVal([]cty.Value{cty.StringVal("a")})
	as := cty.SetVal([]cty.Value{cty.StringVal("b")})
	if got := msgs(AssertValueCompatible(ps, as)); !strings.Contains(got, "planned set element cty.StringVal(\"a\") does not correlate with any element in actual") {
		t.Errorf("set: %q", got)
	}
}
