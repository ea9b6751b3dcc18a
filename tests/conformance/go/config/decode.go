package config

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"tfconform/diag"
)

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "terraform"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "output", LabelNames: []string{"name"}},
		{Type: "provider", LabelNames: []string{"name"}},
		{Type: "resource", LabelNames: []string{"type", "name"}},
		{Type: "data", LabelNames: []string{"type", "name"}},
		{Type: "module", LabelNames: []string{"name"}},
		{Type: "import"},
		{Type: "moved"},
		{Type: "removed"},
		{Type: "check", LabelNames: []string{"name"}},
	},
}

var validIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func badName(kind string, rng hcl.Range) *diag.Diagnostic {
	return &diag.Diagnostic{Severity: diag.Error, Summary: "Invalid " + kind + " name",
		Detail:  "A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.",
		Subject: rng.Ptr()}
}

func decodeFile(mod *Module, f *hcl.File) diag.Diagnostics {
	var diags diag.Diagnostics
	content, hd := f.Body.Content(fileSchema)
	diags = diags.Append(hd)
	if content == nil {
		return diags
	}
	for _, b := range content.Blocks {
		switch b.Type {
		case "terraform":
			diags = diags.Append(decodeTerraformBlock(mod, b))
		case "variable":
			diags = diags.Append(decodeVariable(mod, b))
		case "locals":
			attrs, hd := b.Body.JustAttributes()
			diags = diags.Append(hd)
			for _, name := range sortedKeys(attrs) {
				a := attrs[name]
				if prev, dup := mod.Locals[name]; dup {
					diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Duplicate local value definition",
						Detail:  fmt.Sprintf("A local value named %q was already defined at %s. Local value names must be unique within a module.", name, prev.DeclRange),
						Subject: a.NameRange.Ptr()})
					continue
				}
				mod.Locals[name] = &Local{Name: name, Expr: a.Expr, DeclRange: a.Range}
			}
		case "output":
			diags = diags.Append(decodeOutput(mod, b))
		case "provider":
			diags = diags.Append(decodeProvider(mod, b))
		case "resource", "data":
			diags = diags.Append(decodeResource(mod, b))
		case "module":
			diags = diags.Append(decodeModuleCall(mod, b))
		case "import":
			diags = diags.Append(decodeImport(mod, b))
		case "moved", "removed", "check":
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported block type",
				Detail:  fmt.Sprintf("tfconform does not implement %q blocks.", b.Type),
				Subject: b.DefRange.Ptr()})
		}
	}
	return diags
}

func decodeTerraformBlock(mod *Module, b *hcl.Block) diag.Diagnostics {
	var diags diag.Diagnostics
	content, hd := b.Body.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "required_version"}, {Name: "experiments"}, {Name: "language"}},
		Blocks: []hcl.BlockHeaderSchema{{Type: "required_providers"}, {Type: "backend", LabelNames: []string{"type"}},
			{Type: "cloud"}, {Type: "provider_meta", LabelNames: []string{"provider"}}},
	})
	diags = diags.Append(hd)
	if content == nil {
		return diags
	}
	if a, ok := content.Attributes["required_version"]; ok {
		var s string
		diags = diags.Append(gohcl.DecodeExpression(a.Expr, nil, &s))
		cs, err := ParseVersionConstraints(s)
		if err != nil {
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid required_version constraint",
				Detail: err.Error(), Subject: a.Expr.Range().Ptr()})
		}
		mod.RequiredVersion = append(mod.RequiredVersion, cs...)
	}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "required_providers":
			attrs, hd := blk.Body.JustAttributes()
			diags = diags.Append(hd)
			for _, name := range sortedKeys(attrs) {
				a := attrs[name]
				rp := &RequiredProvider{Name: name, DeclRange: a.Range}
				v, hd := a.Expr.Value(nil)
				diags = diags.Append(hd)
				if hd.HasErrors() {
					continue
				}
				switch {
				case v.Type() == cty.String:
					rp.Version = v.AsString() // legacy version-only form
				case v.Type().IsObjectType():
					if v.Type().HasAttribute("source") {
						if s := v.GetAttr("source"); s.Type() == cty.String && !s.IsNull() {
							rp.Source = s.AsString()
						}
					}
					if v.Type().HasAttribute("version") {
						if s := v.GetAttr("version"); s.Type() == cty.String && !s.IsNull() {
							rp.Version = s.AsString()
						}
					}
				default:
					diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid required_providers object",
						Detail: "required_providers objects can only contain \"version\", \"source\" and \"configuration_aliases\" attributes. To configure a provider, use a \"provider\" block.", Subject: a.Expr.Range().Ptr()})
				}
				mod.RequiredProviders[name] = rp
			}
		case "backend":
			if blk.Labels[0] != "local" {
				diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported backend",
					Detail: fmt.Sprintf("tfconform only uses the local state file; backend %q is not supported.", blk.Labels[0]), Subject: blk.DefRange.Ptr()})
			}
		case "cloud":
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported block type",
				Detail: "tfconform does not implement HCP Terraform (cloud blocks).", Subject: blk.DefRange.Ptr()})
		}
	}
	return diags
}

func decodeVariable(mod *Module, b *hcl.Block) diag.Diagnostics {
	var diags diag.Diagnostics
	name := b.Labels[0]
	v := &Variable{Name: name, Type: cty.DynamicPseudoType, Nullable: true, DeclRange: b.DefRange}
	if !validIdent.MatchString(name) {
		diags = diags.Append(badName("variable", b.LabelRanges[0]))
	}
	switch name {
	case "source", "version", "providers", "count", "for_each", "lifecycle", "depends_on", "locals":
		diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid variable name",
			Detail: fmt.Sprintf("The variable name %q is reserved due to its special meaning inside module blocks.", name), Subject: b.LabelRanges[0].Ptr()})
	}
	content, hd := b.Body.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "description"}, {Name: "default"}, {Name: "type"}, {Name: "sensitive"},
			{Name: "nullable"}, {Name: "ephemeral"}},
		Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
	})
	diags = diags.Append(hd)
	if content == nil {
		return diags
	}
	if a, ok := content.Attributes["description"]; ok {
		diags = diags.Append(gohcl.DecodeExpression(a.Expr, nil, &v.Description))
	}
	if a, ok := content.Attributes["type"]; ok {
		ty, defaults, hd := typeexpr.TypeConstraintWithDefaults(a.Expr)
		diags = diags.Append(hd)
		v.Type, v.Defaults, v.TypeSet = ty, defaults, true
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		diags = diags.Append(gohcl.DecodeExpression(a.Expr, nil, &v.Sensitive))
	}
	if a, ok := content.Attributes["nullable"]; ok {
		diags = diags.Append(gohcl.DecodeExpression(a.Expr, nil, &v.Nullable))
	}
	if a, ok := content.Attributes["default"]; ok {
		val, hd := a.Expr.Value(nil)
		diags = diags.Append(hd)
		if !hd.HasErrors() {
			if v.Defaults != nil {
				val = v.Defaults.Apply(val)
			}
			conv, err := convert.Convert(val, v.Type)
			if err != nil {
				diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid default value for variable",
					Detail: fmt.Sprintf("This default value is not compatible with the variable's type constraint: %s.", err), Subject: a.Expr.Range().Ptr()})
				conv = cty.DynamicVal
			}
			if conv.IsNull() && !v.Nullable {
				diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid default value for variable",
					Detail: "A null default value is not valid when nullable=false.", Subject: a.Expr.Range().Ptr()})
			}
			v.Default = conv
		}
	}
	for _, vb := range content.Blocks {
		vc, hd := vb.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "condition", Required: true}, {Name: "error_message", Required: true}}})
		diags = diags.Append(hd)
		if vc == nil || hd.HasErrors() {
			continue
		}
		v.Validations = append(v.Validations, &CheckRule{Condition: vc.Attributes["condition"].Expr,
			ErrorMessage: vc.Attributes["error_message"].Expr, DeclRange: vb.DefRange})
	}
	if prev, dup := mod.Variables[name]; dup {
		return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Duplicate variable declaration",
			Detail:  fmt.Sprintf("A variable named %q was already declared at %s. Variable names must be unique within a module.", name, prev.DeclRange),
			Subject: b.DefRange.Ptr()})
	}
	mod.Variables[name] = v
	return diags
}

func decodeOutput(mod *Module, b *hcl.Block) diag.Diagnostics {
	var diags diag.Diagnostics
	name := b.Labels[0]
	o := &Output{Name: name, DeclRange: b.DefRange}
	if !validIdent.MatchString(name) {
		diags = diags.Append(badName("output", b.LabelRanges[0]))
	}
	content, hd := b.Body.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "description"}, {Name: "value", Required: true}, {Name: "sensitive"},
			{Name: "depends_on"}, {Name: "ephemeral"}},
		Blocks: []hcl.BlockHeaderSchema{{Type: "precondition"}},
	})
	diags = diags.Append(hd)
	if content == nil {
		return diags
	}
	if a, ok := content.Attributes["description"]; ok {
		diags = diags.Append(gohcl.DecodeExpression(a.Expr, nil, &o.Description))
	}
	if a, ok := content.Attributes["value"]; ok {
		o.Expr = a.Expr
	}
	if a, ok := content.Attributes["sensitive"]; ok {
		diags = diags.Append(gohcl.DecodeExpression(a.Expr, nil, &o.Sensitive))
	}
	if a, ok := content.Attributes["depends_on"]; ok {
		deps, hd := decodeDependsOn(a)
		diags = diags.Append(hd)
		o.DependsOn = deps
	}
	for _, pb := range content.Blocks {
		c, hd := pb.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "condition", Required: true}, {Name: "error_message", Required: true}}})
		diags = diags.Append(hd)
		if c != nil && !hd.HasErrors() {
			o.Preconditions = append(o.Preconditions, &CheckRule{Condition: c.Attributes["condition"].Expr,
				ErrorMessage: c.Attributes["error_message"].Expr, DeclRange: pb.DefRange})
		}
	}
	if prev, dup := mod.Outputs[name]; dup {
		return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Duplicate output definition",
			Detail:  fmt.Sprintf("An output named %q was already defined at %s. Output names must be unique within a module.", name, prev.DeclRange),
			Subject: b.DefRange.Ptr()})
	}
	mod.Outputs[name] = o
	return diags
}

func decodeDependsOn(a *hcl.Attribute) ([]hcl.Traversal, diag.Diagnostics) {
	var diags diag.Diagnostics
	var ret []hcl.Traversal
	exprs, hd := hcl.ExprList(a.Expr)
	diags = diags.Append(hd)
	for _, e := range exprs {
		t, hd := hcl.AbsTraversalForExpr(e)
		diags = diags.Append(hd)
		if !hd.HasErrors() {
			ret = append(ret, t)
		}
	}
	return ret, diags
}

func decodeProvider(mod *Module, b *hcl.Block) diag.Diagnostics {
	var diags diag.Diagnostics
	pc := &ProviderConfig{Name: b.Labels[0], DeclRange: b.DefRange}
	content, remain, hd := b.Body.PartialContent(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "alias"}, {Name: "version"}}})
	diags = diags.Append(hd)
	pc.Config = remain
	if content != nil {
		if a, ok := content.Attributes["alias"]; ok {
			diags = diags.Append(gohcl.DecodeExpression(a.Expr, nil, &pc.Alias))
		}
		if a, ok := content.Attributes["version"]; ok {
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Warning, Summary: "Version constraints inside provider configuration blocks are deprecated",
				Detail: "Terraform 0.13 and earlier allowed provider version constraints inside the provider configuration block, but that is now deprecated and will be removed in a future version of Terraform. To silence this warning, move the provider version constraint into the required_providers block.",
				Subject: a.Expr.Range().Ptr()})
		}
	}
	if prev, dup := mod.ProviderConfigs[pc.Key()]; dup {
		return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Duplicate provider configuration",
			Detail:  fmt.Sprintf("A default (non-aliased) provider configuration for %q was already given at %s. If multiple configurations are required, set the \"alias\" argument for alternative configurations.", pc.Name, prev.DeclRange),
			Subject: b.DefRange.Ptr()})
	}
	mod.ProviderConfigs[pc.Key()] = pc
	return diags
}

func decodeProviderRef(expr hcl.Expression) (ProviderRef, diag.Diagnostics) {
	var diags diag.Diagnostics
	t, hd := hcl.AbsTraversalForExpr(expr)
	diags = diags.Append(hd)
	if hd.HasErrors() || len(t) == 0 {
		return ProviderRef{}, diags
	}
	ref := ProviderRef{LocalName: t.RootName()}
	if len(t) == 2 {
		if ta, ok := t[1].(hcl.TraverseAttr); ok {
			ref.Alias = ta.Name
		}
	} else if len(t) > 2 {
		diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid provider configuration reference",
			Detail: "Extraneous extra operators after provider configuration alias.", Subject: expr.Range().Ptr()})
	}
	return ref, diags
}

func decodeResource(mod *Module, b *hcl.Block) diag.Diagnostics {
	var diags diag.Diagnostics
	r := &Resource{Type: b.Labels[0], Name: b.Labels[1], DeclRange: b.DefRange, TypeRange: b.LabelRanges[0]}
	if b.Type == "data" {
		r.Mode = DataMode
	}
	if !validIdent.MatchString(r.Type) {
		diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid resource type name",
			Detail: "A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.", Subject: b.LabelRanges[0].Ptr()})
	}
	if !validIdent.MatchString(r.Name) {
		diags = diags.Append(badName("resource", b.LabelRanges[1]))
	}
	sch := &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "count"}, {Name: "for_each"}, {Name: "provider"}, {Name: "depends_on"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "lifecycle"}, {Type: "connection"}, {Type: "provisioner", LabelNames: []string{"type"}}},
	}
	content, remain, hd := b.Body.PartialContent(sch)
	diags = diags.Append(hd)
	r.Config = remain
	r.Provider = ProviderRef{LocalName: ImpliedProviderLocalName(r.Type)}
	if content == nil {
		return diags
	}
	if a, ok := content.Attributes["count"]; ok {
		r.Count = a.Expr
	}
	if a, ok := content.Attributes["for_each"]; ok {
		r.ForEach = a.Expr
		if r.Count != nil {
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: `Invalid combination of "count" and "for_each"`,
				Detail: `The "count" and "for_each" meta-arguments are mutually-exclusive, only one should be used to be explicit about the number of resources to be created.`,
				Subject: a.NameRange.Ptr()})
		}
	}
	if a, ok := content.Attributes["provider"]; ok {
		ref, hd := decodeProviderRef(a.Expr)
		diags = diags.Append(hd)
		r.Provider = ref
	}
	if a, ok := content.Attributes["depends_on"]; ok {
		deps, hd := decodeDependsOn(a)
		diags = diags.Append(hd)
		r.DependsOn = deps
	}
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "lifecycle":
			diags = diags.Append(decodeLifecycle(r, blk))
		case "connection", "provisioner":
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported block type",
				Detail: fmt.Sprintf("tfconform does not run provisioners (%q block).", blk.Type), Subject: blk.DefRange.Ptr()})
		}
	}
	m := mod.ManagedResources
	kind := "managed"
	if r.Mode == DataMode {
		m, kind = mod.DataResources, "data"
	}
	key := r.Type + "." + r.Name
	if prev, dup := m[key]; dup {
		return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: fmt.Sprintf("Duplicate %s resource %q configuration", kind, r.Type),
			Detail:  fmt.Sprintf("A %s resource named %q was already declared at %s. Resource names must be unique per type in each module.", r.Type, r.Name, prev.DeclRange),
			Subject: b.DefRange.Ptr()})
	}
	m[key] = r
	return diags
}

func decodeLifecycle(r *Resource, blk *hcl.Block) diag.Diagnostics {
	var diags diag.Diagnostics
	lc, hd := blk.Body.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "create_before_destroy"}, {Name: "prevent_destroy"},
			{Name: "ignore_changes"}, {Name: "replace_triggered_by"}},
		Blocks: []hcl.BlockHeaderSchema{{Type: "precondition"}, {Type: "postcondition"}},
	})
	diags = diags.Append(hd)
	if lc == nil {
		return diags
	}
	if r.Mode == DataMode {
		for _, n := range []string{"create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"} {
			if a, ok := lc.Attributes[n]; ok {
				diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported argument",
					Detail: fmt.Sprintf("An argument named %q is not expected here.", n), Subject: a.NameRange.Ptr()})
			}
		}
	}
	if a, ok := lc.Attributes["create_before_destroy"]; ok {
		diags = diags.Append(gohcl.DecodeExpression(a.Expr, nil, &r.CreateBeforeDestroy))
	}
	if a, ok := lc.Attributes["prevent_destroy"]; ok {
		diags = diags.Append(gohcl.DecodeExpression(a.Expr, nil, &r.PreventDestroy))
	}
	if a, ok := lc.Attributes["ignore_changes"]; ok {
		if hcl.ExprAsKeyword(a.Expr) == "all" {
			r.IgnoreAllChanges = true
		} else {
			exprs, hd := hcl.ExprList(a.Expr)
			diags = diags.Append(hd)
			for _, e := range exprs {
				if hcl.ExprAsKeyword(e) == "all" {
					diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid ignore_changes wildcard",
						Detail: "The [\"*\"] form of ignore_changes wildcard is was deprecated and is now invalid. Use \"ignore_changes = all\" to ignore changes to all attributes.", Subject: e.Range().Ptr()})
					continue
				}
				t, hd := hcl.RelTraversalForExpr(e)
				diags = diags.Append(hd)
				if !hd.HasErrors() {
					r.IgnoreChanges = append(r.IgnoreChanges, t)
				}
			}
		}
	}
	if a, ok := lc.Attributes["replace_triggered_by"]; ok {
		diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported argument",
			Detail: "tfconform does not implement replace_triggered_by.", Subject: a.NameRange.Ptr()})
	}
	for _, pb := range lc.Blocks {
		c, hd := pb.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
			{Name: "condition", Required: true}, {Name: "error_message", Required: true}}})
		diags = diags.Append(hd)
		if c == nil || hd.HasErrors() {
			continue
		}
		rule := &CheckRule{Condition: c.Attributes["condition"].Expr, ErrorMessage: c.Attributes["error_message"].Expr, DeclRange: pb.DefRange}
		if pb.Type == "precondition" {
			r.Preconditions = append(r.Preconditions, rule)
		} else {
			r.Postconditions = append(r.Postconditions, rule)
		}
	}
	return diags
}

func decodeModuleCall(mod *Module, b *hcl.Block) diag.Diagnostics {
	var diags diag.Diagnostics
	mc := &ModuleCall{Name: b.Labels[0], DeclRange: b.DefRange, Providers: map[string]ProviderRef{}}
	if !validIdent.MatchString(mc.Name) {
		diags = diags.Append(badName("module", b.LabelRanges[0]))
	}
	content, remain, hd := b.Body.PartialContent(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "source", Required: true}, {Name: "version"}, {Name: "count"},
			{Name: "for_each"}, {Name: "depends_on"}, {Name: "providers"}},
		Blocks: []hcl.BlockHeaderSchema{{Type: "lifecycle"}},
	})
	diags = diags.Append(hd)
	mc.Config = remain
	if content == nil {
		return diags
	}
	if a, ok := content.Attributes["source"]; ok {
		diags = diags.Append(gohcl.DecodeExpression(a.Expr, nil, &mc.SourceAddr))
	}
	for _, n := range []string{"count", "for_each"} {
		if a, ok := content.Attributes[n]; ok {
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported argument",
				Detail: fmt.Sprintf("tfconform does not implement %q on module calls.", n), Subject: a.NameRange.Ptr()})
		}
	}
	if a, ok := content.Attributes["depends_on"]; ok {
		deps, hd := decodeDependsOn(a)
		diags = diags.Append(hd)
		mc.DependsOn = deps
	}
	if a, ok := content.Attributes["providers"]; ok {
		pairs, hd := hcl.ExprMap(a.Expr)
		diags = diags.Append(hd)
		for _, kv := range pairs {
			k, hd := decodeProviderRef(kv.Key)
			diags = diags.Append(hd)
			v, hd := decodeProviderRef(kv.Value)
			diags = diags.Append(hd)
			mc.Providers[k.String()] = v
		}
	}
	if prev, dup := mod.ModuleCalls[mc.Name]; dup {
		return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Duplicate module call",
			Detail:  fmt.Sprintf("A module call named %q was already defined at %s. Module calls must have unique names within a module.", mc.Name, prev.DeclRange),
			Subject: b.DefRange.Ptr()})
	}
	mod.ModuleCalls[mc.Name] = mc
	return diags
}

func decodeImport(mod *Module, b *hcl.Block) diag.Diagnostics {
	var diags diag.Diagnostics
	im := &Import{DeclRange: b.DefRange}
	content, hd := b.Body.Content(&hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "to", Required: true}, {Name: "id"}, {Name: "provider"},
			{Name: "for_each"}, {Name: "identity"}},
	})
	diags = diags.Append(hd)
	if content == nil {
		return diags
	}
	if mod.Parent != nil {
		return diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid import configuration",
			Detail: "An import block was detected in a child module. Import blocks are only allowed in the root module.", Subject: b.DefRange.Ptr()})
	}
	if a, ok := content.Attributes["to"]; ok {
		im.ToExpr = a.Expr
		t, hd := hcl.AbsTraversalForExpr(a.Expr)
		diags = diags.Append(hd)
		im.To = t
	}
	if a, ok := content.Attributes["id"]; ok {
		im.ID = a.Expr
	} else {
		diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Invalid import block",
			Detail: "At least one of 'id' or 'identity' must be specified.", Subject: b.DefRange.Ptr()})
	}
	if a, ok := content.Attributes["provider"]; ok {
		ref, hd := decodeProviderRef(a.Expr)
		diags = diags.Append(hd)
		im.Provider = &ref
	}
	for _, n := range []string{"for_each", "identity"} {
		if a, ok := content.Attributes[n]; ok {
			diags = diags.Append(&diag.Diagnostic{Severity: diag.Error, Summary: "Unsupported argument",
				Detail: fmt.Sprintf("tfconform does not implement %q in import blocks.", n), Subject: a.NameRange.Ptr()})
		}
	}
	mod.Imports = append(mod.Imports, im)
	return diags
}
