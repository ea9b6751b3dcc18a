package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	tfplugin6 "tfconformgen/tfplugin6"
)

func TestDecodeUnknownsAndExtensions(t *testing.T) {
	ty := cty.Object(map[string]cty.Type{"a": cty.String, "b": cty.String})
	// {"a": unknown (d4 00 00), "b": nil} with keys in order
	msg := []byte{0x82, 0xa1, 'a', 0xd4, 0x00, 0x00, 0xa1, 'b', 0xc0}
	v, err := Decode(&tfplugin6.DynamicValue{Msgpack: msg}, ty)
	if err != nil || v.GetAttr("a").IsKnown() || !v.GetAttr("b").IsNull() {
		t.Fatalf("%#v %v", v, err)
	}
	// A refined unknown: ext type 12 with a map payload (not-null refinement) is accepted.
	refined := []byte{0x82, 0xa1, 'a', 0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2, 0xa1, 'b', 0xc0}
	if _, err := Decode(&tfplugin6.DynamicValue{Msgpack: refined}, ty); err != nil {
		t.Errorf("refined unknown rejected: %s", err)
	}
	// A longer extension of another type is rejected, as go-cty 1.18 does.
	bad := []byte{0x82, 0xa1, 'a', 0xc7, 0x03, 0x05, 0x81, 0x01, 0xc2, 0xa1, 'b', 0xc0}
	if _, err := Decode(&tfplugin6.DynamicValue{Msgpack: bad}, ty); err == nil || !strings.Contains(err.Error(), "unsupported extension type") {
		t.Errorf("bad extension: %v", err)
	}
	// JSON when msgpack is empty; null when both are.
	v, err = Decode(&tfplugin6.DynamicValue{Json: []byte(`{"a":"x"}`)}, ty)
	if err != nil || v.GetAttr("a").AsString() != "x" || !v.GetAttr("b").IsNull() {
		t.Errorf("json: %#v %v", v, err)
	}
	if v, _ := Decode(&tfplugin6.DynamicValue{}, ty); !v.IsNull() {
		t.Errorf("empty DynamicValue must decode as null")
	}
}

func TestGRPCErrorTexts(t *testing.T) {
	for code, want := range map[codes.Code][2]string{
		codes.Unavailable:   {"Plugin did not respond", "The plugin encountered an error, and failed to respond to the plugin6.(*GRPCProvider).PlanResourceChange call. The plugin logs may contain more details."},
		codes.Unimplemented: {"Unsupported plugin method", "The plugin6.(*GRPCProvider).PlanResourceChange method is not supported by this plugin."},
		codes.Canceled:      {"Request cancelled", "The plugin6.(*GRPCProvider).PlanResourceChange request was cancelled."},
		codes.Internal:      {"Plugin error", "The plugin returned an unexpected error from plugin6.(*GRPCProvider).PlanResourceChange: rpc error: code = Internal desc = boom"},
	} {
		ds := grpcErr("PlanResourceChange", status.Error(code, "boom"))
		if ds[0].Summary != want[0] || ds[0].Detail != want[1] {
			t.Errorf("%s: %q / %q", code, ds[0].Summary, ds[0].Detail)
		}
	}
	if ds := grpcErr("X", errors.New("plain")); ds[0].Summary != "Plugin error" {
		t.Errorf("non-status error: %+v", ds[0])
	}
}

func TestDiagnosticsConversion(t *testing.T) {
	ds := ConvertDiagnostics([]*tfplugin6.Diagnostic{{Severity: tfplugin6.Diagnostic_ERROR, Summary: "s", Detail: "d",
		Attribute: PathToAttributePath(cty.GetAttrPath("models").IndexInt(2).GetAttr("name").Index(cty.StringVal("k")))}})
	if got := AttributePathToPath(PathToAttributePath(ds[0].AttrPath)); !got.Equals(ds[0].AttrPath) || len(got) != 4 {
		t.Errorf("path round trip: %#v", got)
	}
}

func TestParseAddr(t *testing.T) {
	a, err := ParseAddr("foundry-labs/foundry")
	if err != nil || a.String() != "registry.terraform.io/foundry-labs/foundry" || a.ForDisplay() != "foundry-labs/foundry" ||
		a.ConfigString() != `provider["registry.terraform.io/foundry-labs/foundry"]` {
		t.Errorf("%+v %v", a, err)
	}
	if _, err := ParseAddr("a/terraform-provider-x"); err == nil {
		t.Errorf("a type starting with terraform- must be refused")
	}
}
