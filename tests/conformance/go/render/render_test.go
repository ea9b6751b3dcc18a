package render

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"tfconform/core"
	"tfconform/schema"
	"tfconform/state"
)

var sch = &schema.Schema{Block: &schema.Block{
	Attributes: map[string]*schema.Attribute{
		"id":     {Type: cty.String, Computed: true},
		"name":   {Type: cty.String, Required: true},
		"value":  {Type: cty.String, Optional: true},
		"other":  {Type: cty.String, Optional: true},
		"secret": {Type: cty.String, Optional: true, Sensitive: true},
		"tags":   {Type: cty.Map(cty.String), Optional: true},
	},
	BlockTypes: map[string]*schema.NestedBlock{"rule": {Nesting: schema.NestingList, Block: schema.Block{
		Attributes: map[string]*schema.Attribute{"port": {Type: cty.Number, Required: true}}}}},
}}

func val(m map[string]cty.Value) cty.Value {
	out := map[string]cty.Value{}
	for n, ty := range sch.Block.ImpliedType().AttributeTypes() {
		if v, ok := m[n]; ok {
			out[n] = v
		} else if n == "rule" {
			out[n] = cty.ListValEmpty(ty.ElementType())
		} else {
			out[n] = cty.NullVal(ty)
		}
	}
	return cty.ObjectVal(out)
}

func addr(s string) core.InstAddr {
	a, err := core.ParseInstAddr(s)
	if err != nil {
		panic(err)
	}
	return a
}

func TestHumanPlan(t *testing.T) {
	prior := val(map[string]cty.Value{"id": cty.StringVal("i-1"), "name": cty.StringVal("n"), "value": cty.StringVal("old"),
		"other": cty.StringVal("same"), "secret": cty.StringVal("s"), "tags": cty.MapVal(map[string]cty.Value{"a": cty.StringVal("1")})})
	after := val(map[string]cty.Value{"id": cty.StringVal("i-1"), "name": cty.StringVal("n"), "value": cty.StringVal("new"),
		"other": cty.StringVal("same"), "secret": cty.StringVal("s2"), "tags": cty.MapVal(map[string]cty.Value{"a": cty.StringVal("1"), "b": cty.StringVal("2")})})
	replaced := val(map[string]cty.Value{"id": cty.UnknownVal(cty.String), "name": cty.StringVal("m")})
	p := &core.Plan{PriorState: state.New(), Changes: []*core.Change{
		{Addr: addr("t.upd"), Action: core.Update, Before: prior, After: after, Schema: sch},
		{Addr: addr("t.rep"), Action: core.DeleteThenCreate, Before: prior, After: replaced, Schema: sch,
			ReplacePaths: []cty.Path{cty.GetAttrPath("name")}},
		{Addr: addr(`t.del["k"]`), Action: core.Delete, Before: prior, After: cty.NullVal(sch.Block.ImpliedType()), Schema: sch},
		{Addr: addr("t.new[0]"), Action: core.Create, Before: cty.NullVal(sch.Block.ImpliedType()),
			After: val(map[string]cty.Value{"id": cty.UnknownVal(cty.String), "name": cty.StringVal("c"),
				"rule": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(443)})})}), Schema: sch},
	}}
	out := HumanPlan(p, 78, "")
	for _, want := range []string{
		"  ~ update in-place\n", "  - destroy\n", "-/+ destroy and then create replacement\n", "  + create\n",
		"  # t.upd will be updated in-place\n  ~ resource \"t\" \"upd\" {\n",
		"        id     = \"i-1\"\n", "        name   = \"n\"\n",
		"      ~ secret = (sensitive value)\n",
		"      ~ tags   = {\n          + \"b\" = \"2\"\n            # (1 unchanged element hidden)\n        }\n",
		"      ~ value  = \"old\" -> \"new\"\n",
		"        # (1 unchanged attribute hidden)\n",
		"  # t.rep must be replaced\n-/+ resource \"t\" \"rep\" {\n",
		"      ~ name   = \"n\" -> \"m\" # forces replacement\n",
		"      ~ id     = \"i-1\" -> (known after apply)\n",
		"  # t.del[\"k\"] will be destroyed\n  - resource \"t\" \"del\" {\n",
		"      - value  = \"old\" -> null\n",
		"  # t.new[0] will be created\n  + resource \"t\" \"new\" {\n      + id   = (known after apply)\n      + name = \"c\"\n\n      + rule {\n          + port = 443\n        }\n    }\n",
		"Plan: 2 to add, 1 to change, 2 to destroy.\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q\n--- output ---\n%s", want, out)
		}
	}
	if strings.Contains(out, `"s2"`) || strings.Contains(out, `"s"`) {
		t.Errorf("sensitive value rendered:\n%s", out)
	}
	none := HumanPlan(&core.Plan{PriorState: state.New()}, 78, "")
	if !strings.Contains(none, "No changes. Your infrastructure matches the configuration.") {
		t.Errorf("empty plan:\n%s", none)
	}
}

func TestJSONPlan(t *testing.T) {
	after := val(map[string]cty.Value{"id": cty.UnknownVal(cty.String), "name": cty.StringVal("c"), "secret": cty.StringVal("x").Mark(schema.Sensitive),
		"tags": cty.MapVal(map[string]cty.Value{"k": cty.UnknownVal(cty.String)})})
	p := &core.Plan{PriorState: state.New(), Changes: []*core.Change{{Addr: addr("t.x"), Action: core.Create,
		Before: cty.NullVal(sch.Block.ImpliedType()), After: after, Schema: sch}}}
	b, err := JSONPlan(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		ResourceChanges []struct {
			Change struct {
				Actions        []string
				After          map[string]interface{}
				AfterUnknown   map[string]interface{} `json:"after_unknown"`
				AfterSensitive map[string]interface{} `json:"after_sensitive"`
			}
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	c := out.ResourceChanges[0].Change
	if c.Actions[0] != "create" || c.AfterUnknown["id"] != true || c.After["id"] != nil || c.AfterSensitive["secret"] != true {
		t.Errorf("%+v", c)
	}
	if tags, ok := c.AfterUnknown["tags"].(map[string]interface{}); !ok || tags["k"] != true {
		t.Errorf("after_unknown nested: %v", c.AfterUnknown)
	}
	if _, present := c.AfterUnknown["name"]; present {
		t.Errorf("known values are omitted from after_unknown: %v", c.AfterUnknown)
	}
}

func TestValueString(t *testing.T) {
	v := cty.ObjectVal(map[string]cty.Value{"list": cty.ListVal([]cty.Value{cty.StringVal("a")}), "n": cty.NumberIntVal(1)})
	got := ValueString(v, 0)
	want := "{\n  \"list\" = [\n    \"a\",\n  ]\n  \"n\"    = 1\n}"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if ValueString(cty.StringVal("x").Mark(schema.Sensitive), 0) != "(sensitive value)" {
		t.Errorf("sensitive")
	}
}
