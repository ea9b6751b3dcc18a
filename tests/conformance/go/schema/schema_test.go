package schema

import (
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	tfplugin6 "tfconformgen/tfplugin6"
)

func TestInternalValidate(t *testing.T) {
	b := &Block{
		Attributes: map[string]*Attribute{
			"a": {Type: cty.String},
			"b": {Type: cty.String, Optional: true, Required: true},
			"c": {Type: cty.String, Computed: true, Required: true},
			"d": {Optional: true},
			"e": {Optional: true, NestedType: &Object{Nesting: NestingSet, Attributes: map[string]*Attribute{
				"w": {Type: cty.String, Optional: true, WriteOnly: true}}}},
		},
		BlockTypes: map[string]*NestedBlock{
			"Bad":    {Nesting: NestingList},
			"single": {Nesting: NestingSingle, MinItems: 1, MaxItems: 2},
			"grp":    {Nesting: NestingGroup, MaxItems: 1},
			"m":      {Nesting: NestingMap, MinItems: 1},
		},
	}
	var got []string
	for _, e := range b.InternalValidate() {
		got = append(got, e.Error())
	}
	for _, want := range []string{
		"a: must set Optional, Required or Computed",
		"b: cannot set both Optional and Required",
		"c: cannot set both Computed and Required",
		"d: either Type or NestedType must be defined",
		"e: NestingSet attributes may not contain WriteOnly attributes",
		"Bad: name may contain only lowercase letters, digits and underscores",
		"single: MinItems and MaxItems must match in NestingSingle mode",
		"grp: MinItems and MaxItems cannot be used in NestingGroup mode",
		"m: MinItems and MaxItems must both be 0 in NestingMap mode",
	} {
		found := false
		for _, g := range got {
			if g == want {
				found = true
			}
		}
		if !found {
			t.Errorf("missing %q in %q", want, got)
		}
	}
}

func TestFromProtoCrashCases(t *testing.T) {
	if _, err := FromProto(&tfplugin6.Schema{}); err == nil || !strings.Contains(err.Error(), "no block") {
		t.Errorf("a schema without block must be reported (Terraform crashes): %v", err)
	}
	_, err := FromProto(&tfplugin6.Schema{Block: &tfplugin6.Schema_Block{Attributes: []*tfplugin6.Schema_Attribute{
		{Name: "x", Type: []byte(`"strng"`), Optional: true}}}})
	if err == nil || !strings.Contains(err.Error(), "not a valid cty type") {
		t.Errorf("an invalid type must be reported (Terraform panics): %v", err)
	}
}

func TestImpliedTypeAndMarks(t *testing.T) {
	b := &Block{Attributes: map[string]*Attribute{
		"s": {Type: cty.String, Optional: true, Sensitive: true},
		"n": {Optional: true, NestedType: &Object{Nesting: NestingList, Attributes: map[string]*Attribute{
			"x": {Type: cty.String, Optional: true, Sensitive: true}, "y": {Type: cty.Number, Required: true}}}},
		"w": {Type: cty.String, Optional: true, WriteOnly: true},
	}}
	want := cty.Object(map[string]cty.Type{"s": cty.String, "w": cty.String,
		"n": cty.List(cty.Object(map[string]cty.Type{"x": cty.String, "y": cty.Number}))})
	if !b.ImpliedType().Equals(want) {
		t.Fatalf("implied type %#v", b.ImpliedType())
	}
	v := cty.ObjectVal(map[string]cty.Value{"s": cty.StringVal("a"), "w": cty.StringVal("t"),
		"n": cty.ListVal([]cty.Value{cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("q"), "y": cty.NumberIntVal(1)})})})
	marks := b.ValueMarks(v, Sensitive, nil)
	if len(marks) != 2 {
		t.Errorf("sensitive paths: %#v", marks)
	}
	if ps := b.NonNullWriteOnlyPaths(v, nil); len(ps) != 1 {
		t.Errorf("write-only paths: %#v", ps)
	}
	if nv := b.NullWriteOnly(v); !nv.GetAttr("w").IsNull() || nv.GetAttr("s").IsNull() {
		t.Errorf("NullWriteOnly: %#v", nv)
	}
}
