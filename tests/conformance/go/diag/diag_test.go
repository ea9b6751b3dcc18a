package diag

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestFormatHelpers(t *testing.T) {
	p := cty.Path{}.GetAttr("models").Index(cty.NumberIntVal(0)).GetAttr("name").Index(cty.StringVal("k"))
	if got := FormatCtyPath(p); got != `.models[0].name["k"]` {
		t.Errorf("FormatCtyPath: %s", got)
	}
	err := p.NewErrorf("bad")
	if got := FormatErrorPrefixed(err, "x.y"); got != `x.y.models[0].name["k"]: bad` {
		t.Errorf("FormatErrorPrefixed: %s", got)
	}
}

func TestInConfigBodyAndRender(t *testing.T) {
	src := "resource \"t\" \"x\" {\n  name = \"n\"\n  nested {\n    port = 1\n  }\n}\n"
	f, hd := hclsyntax.ParseConfig([]byte(src), "main.tf", hcl.Pos{Line: 1, Column: 1})
	if hd.HasErrors() {
		t.Fatal(hd)
	}
	Sources.Add("main.tf", f)
	blocks := f.Body.(*hclsyntax.Body).Blocks
	body := blocks[0].Body
	ds := Diagnostics{
		FromProvider(Error, "Bad name", "Name is wrong.", cty.Path{}.GetAttr("name")),
		FromProvider(Error, "Bad port", "Port is wrong.", cty.Path{}.GetAttr("nested").Index(cty.NumberIntVal(0)).GetAttr("port")),
		FromProvider(Warning, "Whole", "Whole resource.", nil),
	}.InConfigBody(body, "t.x")
	if ds[0].Subject.Start.Line != 2 || ds[1].Subject.Start.Line != 4 || ds[2].Subject.Start.Line != 1 {
		t.Errorf("subjects: %v %v %v", ds[0].Subject, ds[1].Subject, ds[2].Subject)
	}
	plain := Format(ds[0], false, 78)
	for _, want := range []string{"\nError: Bad name\n\n", "  with t.x,\n", "  on main.tf line 2, in resource \"t\" \"x\":\n", "   2:   name = \"n\"\n", "\nName is wrong.\n"} {
		if !strings.Contains(plain, want) {
			t.Errorf("plain rendering lacks %q:\n%s", want, plain)
		}
	}
	boxed := Format(ds[2], true, 78)
	if !strings.Contains(boxed, "╷") || !strings.Contains(boxed, "Warning: ") || !strings.Contains(boxed, "╵") {
		t.Errorf("boxed rendering:\n%s", boxed)
	}
}
