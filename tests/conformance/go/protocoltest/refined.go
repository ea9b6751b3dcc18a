package protocoltest

import (
	"bytes"
	"fmt"

	"github.com/vmihailenco/msgpack"
	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"

	"tfconform/objchange"
	"tfconform/provider"
	"tfconform/schema"
	tfplugin6 "tfconformgen/tfplugin6"
)

// Refined unknown values (notes 3.2): Terraform >= 1.6 sends an unknown that carries refinements as
// msgpack extension type 12 whose payload is a map with int keys (1 nullness, 2 string prefix, 3/4
// number bounds, 5/6 collection length bounds), e.g. for `"https://${timestamp()}"`. go-cty 1.12 (this
// client) never produces one, so the configurations below are assembled by hand: the structure and
// the extensions with the msgpack encoder, the known leaves with cty's msgpack encoding.

// rawMsgpack is an already-encoded msgpack value placed as is into an object being built.
type rawMsgpack []byte

func mpEncode(t *T, f func(e *msgpack.Encoder) error) []byte {
	var buf bytes.Buffer
	if err := f(msgpack.NewEncoder(&buf)); err != nil {
		t.Fatalf("msgpack encoding: %s", err)
	}
	return buf.Bytes()
}

// mpExt is an extension value: header (fixext/ext8 chosen by the encoder), type code, payload.
func mpExt(t *T, typ int8, payload []byte) rawMsgpack {
	return rawMsgpack(append(mpEncode(t, func(e *msgpack.Encoder) error { return e.EncodeExtHeader(typ, len(payload)) }), payload...))
}

// refinement is one key/value of a type-12 payload: 1 bool, 2 string, 3-6 int (notes 3.2).
type refinement struct {
	key int
	val interface{}
}

// mpRefined is ext type 12 with the map {key: val, ...} in the order given (cty writes them in key
// order; the order does not matter to a decoder).
func mpRefined(t *T, refs ...refinement) rawMsgpack {
	payload := mpEncode(t, func(e *msgpack.Encoder) error {
		if err := e.EncodeMapLen(len(refs)); err != nil {
			return err
		}
		for _, r := range refs {
			if err := e.EncodeInt(int64(r.key)); err != nil {
				return err
			}
			var err error
			switch v := r.val.(type) {
			case bool:
				err = e.EncodeBool(v)
			case string:
				err = e.EncodeString(v)
			case int:
				err = e.EncodeInt(int64(v))
			default:
				err = fmt.Errorf("refinement value %T", v)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return mpExt(t, 12, payload)
}

// mpObject encodes an object of type ty: each attribute from vals (a cty.Value, marshalled with the
// attribute's type, or rawMsgpack), else from base (e.g. the schema's empty value: null attributes,
// empty nested block collections).
func mpObject(t *T, ty cty.Type, base cty.Value, vals map[string]interface{}) rawMsgpack {
	for name := range vals {
		if !ty.HasAttribute(name) {
			t.Fatalf("building a config: no attribute %q in %s", name, ty.FriendlyName())
		}
	}
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	atys := ty.AttributeTypes()
	if err := enc.EncodeMapLen(len(atys)); err != nil {
		t.Fatalf("%s", err)
	}
	for name, aty := range atys {
		if err := enc.EncodeString(name); err != nil {
			t.Fatalf("%s", err)
		}
		v, ok := vals[name]
		if !ok {
			if base.IsNull() {
				v = cty.NullVal(aty)
			} else {
				v = base.GetAttr(name)
			}
		}
		switch v := v.(type) {
		case rawMsgpack:
			buf.Write(v)
		case cty.Value:
			b, err := ctymsgpack.Marshal(v, aty)
			if err != nil {
				t.Fatalf("encoding attribute %q: %s", name, err)
			}
			buf.Write(b)
		default:
			t.Fatalf("attribute %q: unsupported %T", name, v)
		}
	}
	return rawMsgpack(buf.Bytes())
}

// mpList encodes a list (or set) from already-encoded elements.
func mpList(t *T, elems ...rawMsgpack) rawMsgpack {
	b := mpEncode(t, func(e *msgpack.Encoder) error { return e.EncodeArrayLen(len(elems)) })
	for _, el := range elems {
		b = append(b, el...)
	}
	return rawMsgpack(b)
}

// unknowns supplies the unknown placeholders of one variant of the test.
type unknowns struct {
	name      string
	prefixStr func(t *T) rawMsgpack // a URL string (e.g. non-null, prefix "https://")
	notNull   func(t *T) rawMsgpack // a string inside a list element (e.g. non-null)
	mapLen    func(t *T) rawMsgpack // a map (e.g. 1 to 3 elements)
}

var unknownVariants = []unknowns{
	{
		name:      "refined (ext type 12)",
		prefixStr: func(t *T) rawMsgpack { return mpRefined(t, refinement{1, false}, refinement{2, "https://"}) },
		notNull:   func(t *T) rawMsgpack { return mpRefined(t, refinement{1, false}) },
		mapLen:    func(t *T) rawMsgpack { return mpRefined(t, refinement{5, 1}, refinement{6, 3}) },
	},
	{
		// Same refinements with payloads of 16, 8 and 4 bytes: an encoder picks fixext16/8/4 then
		// (d8/d7/d6), as cty's does for e.g. a prefix "https://abc" or a length bound of 200.
		name:      "refined (ext type 12, fixext framing)",
		prefixStr: func(t *T) rawMsgpack { return mpRefined(t, refinement{1, false}, refinement{2, "https://abc"}) },
		notNull:   func(t *T) rawMsgpack { return mpRefined(t, refinement{2, "gpt-4"}) },
		mapLen:    func(t *T) rawMsgpack { return mpRefined(t, refinement{6, 200}) },
	},
	{
		// cty's decoder: any extension of length <= 1 is an unknown, whatever its type code (notes 3.2).
		name:      "fixext1 with a nonzero type code",
		prefixStr: func(t *T) rawMsgpack { return mpExt(t, 0x2a, []byte{0}) },
		notNull:   func(t *T) rawMsgpack { return mpExt(t, 12, []byte{0}) }, // type 12, 1-byte payload: not a map, still unknown
		mapLen:    func(t *T) rawMsgpack { return mpExt(t, -1, []byte{7}) },
	},
}

// refinedCase describes, for one resource type, a create configuration holding unknowns in a
// top-level string, an attribute of a nested list element and a map, and what the plan must show.
type refinedCase struct {
	typeName string
	config   func(t *T, ty cty.Type, empty cty.Value, u unknowns) rawMsgpack
	// paths that must be unknown in the planned state, as in the config
	unknownPaths []cty.Path
	check        func(t *T, where string, planned cty.Value)
}

var refinedCases = []refinedCase{
	{
		typeName: "foundry_gateway_connection",
		config: func(t *T, ty cty.Type, empty cty.Value, u unknowns) rawMsgpack {
			mty := ty.AttributeType("models").ElementType()
			model := mpObject(t, mty, cty.NullVal(mty), map[string]interface{}{
				"name":         cty.StringVal("gpt-4o"),
				"model_name":   u.notNull(t),
				"model_format": cty.StringVal("OpenAI"),
			})
			return mpObject(t, ty, empty, map[string]interface{}{
				"parent_id":      cty.StringVal(refinedParent),
				"name":           cty.StringVal("refined-conn"),
				"category":       cty.StringVal("ModelGateway"),
				"target":         u.prefixStr(t),
				"auth_type":      cty.StringVal("ApiKey"),
				"api_key":        cty.StringVal("refined-test-key"),
				"models":         mpList(t, model),
				"extra_metadata": u.mapLen(t),
			})
		},
		unknownPaths: []cty.Path{
			cty.GetAttrPath("target"),
			cty.GetAttrPath("models").IndexInt(0).GetAttr("model_name"),
			cty.GetAttrPath("extra_metadata"),
		},
		check: func(t *T, where string, planned cty.Value) {
			// id is {parent_id}/connections/{name}, documented as known at plan time: both are known.
			want := refinedParent + "/connections/refined-conn"
			if id := planned.GetAttr("id"); !id.IsKnown() || id.IsNull() || id.AsString() != want {
				t.Errorf("%s: planned id is %#v, want %q (parent_id and name are known)", where, id, want)
			}
			// metadata is what will be sent to ARM; it includes models and extra_metadata, which are
			// not known yet, so a known value would be contradicted at apply.
			if md := planned.GetAttr("metadata"); md.IsKnown() {
				t.Errorf("%s: planned metadata is known although models[0].model_name and extra_metadata are unknown", where)
			}
		},
	},
	{
		// tfconform's own test provider (selftest runs the suite against it).
		typeName: "fake_thing",
		config: func(t *T, ty cty.Type, empty cty.Value, u unknowns) rawMsgpack {
			ity := ty.AttributeType("items").ElementType()
			item := mpObject(t, ity, cty.NullVal(ity), map[string]interface{}{"key": u.notNull(t)})
			return mpObject(t, ty, empty, map[string]interface{}{
				"name":  cty.StringVal("refined"),
				"value": u.prefixStr(t),
				"items": mpList(t, item),
				"tags":  u.mapLen(t),
			})
		},
		unknownPaths: []cty.Path{
			cty.GetAttrPath("value"),
			cty.GetAttrPath("items").IndexInt(0).GetAttr("key"),
			cty.GetAttrPath("tags"),
		},
		check: func(t *T, where string, planned cty.Value) {},
	},
}

const refinedParent = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-refined/providers/Microsoft.CognitiveServices/accounts/acct/projects/proj"

func errorDiags(ds []*tfplugin6.Diagnostic) []string {
	var out []string
	for _, d := range ds {
		if d.Severity == tfplugin6.Diagnostic_ERROR {
			out = append(out, fmt.Sprintf("%q: %s", d.Summary, d.Detail))
		}
	}
	return out
}

// testRefinedUnknowns sends configurations with refined unknowns (and extensions of length 1 with a
// nonzero type code) to ValidateResourceConfig and to PlanResourceChange for a create: a provider
// must treat any extension as an unknown and may drop refinements (notes 3.2), unknown values are not
// judged by validation, and the plan must decode and satisfy Terraform's AssertPlanValid (notes 4.3).
func testRefinedUnknowns(t *T) {
	p := t.launch(launchOpts{})
	c := t.provider(p)
	resp := t.schema(c)
	ran := 0
	if resp.Provider != nil {
		ctx, cancel := rpcCtx()
		cr, err := c.ConfigureProvider(ctx, &tfplugin6.ConfigureProvider_Request{TerraformVersion: "1.15.9",
			Config: emptyConfig(t, resp.Provider), ClientCapabilities: provider.ClientCapabilities})
		cancel()
		if err != nil {
			t.Fatalf("ConfigureProvider: gRPC error %s", err)
		}
		checkDiags(t, "ConfigureProvider", cr.Diagnostics)
	}
	for _, rc := range refinedCases {
		ps, ok := resp.ResourceSchemas[rc.typeName]
		if !ok {
			continue
		}
		ran++
		s, err := schema.FromProto(ps)
		if err != nil {
			t.Fatalf("%s schema: %s", rc.typeName, err)
		}
		ty := s.Block.ImpliedType()
		for _, u := range unknownVariants {
			where := fmt.Sprintf("%s, %s unknowns", rc.typeName, u.name)
			cfg := &tfplugin6.DynamicValue{Msgpack: rc.config(t, ty, s.Block.EmptyValue(), u)}
			// What Terraform's side of the config is (refinements dropped: cty 1.12 here).
			cfgVal, err := provider.Decode(cfg, ty)
			if err != nil {
				t.Fatalf("%s: the hand-built config does not decode: %s", where, err)
			}

			ctx, cancel := rpcCtx()
			vr, err := c.ValidateResourceConfig(ctx, &tfplugin6.ValidateResourceConfig_Request{TypeName: rc.typeName,
				Config: cfg, ClientCapabilities: provider.ClientCapabilities})
			cancel()
			if err != nil {
				t.Errorf("%s: ValidateResourceConfig: gRPC error %s", where, err)
			} else {
				checkDiags(t, "ValidateResourceConfig", vr.Diagnostics)
				for _, e := range errorDiags(vr.Diagnostics) {
					t.Errorf("%s: ValidateResourceConfig returned an error (unknown values must not be judged): %s", where, e)
				}
			}

			// A create: prior null, proposed = config (computed attributes null in both).
			ctx, cancel = rpcCtx()
			pr, err := c.PlanResourceChange(ctx, &tfplugin6.PlanResourceChange_Request{TypeName: rc.typeName,
				PriorState: &tfplugin6.DynamicValue{Msgpack: []byte{0xc0}}, ProposedNewState: cfg, Config: cfg,
				ClientCapabilities: provider.ClientCapabilities})
			cancel()
			if err != nil {
				t.Errorf("%s: PlanResourceChange: gRPC error %s", where, err)
				continue
			}
			checkDiags(t, "PlanResourceChange", pr.Diagnostics)
			if errs := errorDiags(pr.Diagnostics); len(errs) > 0 {
				for _, e := range errs {
					t.Errorf("%s: PlanResourceChange returned an error: %s", where, e)
				}
				continue
			}
			planned, err := provider.Decode(pr.PlannedState, ty)
			if err != nil {
				t.Errorf("%s: planned_state does not decode: %s", where, err)
				continue
			}
			if planned.IsNull() || !planned.IsKnown() {
				t.Errorf("%s: planned_state is %#v, want an object for a create", where, planned)
				continue
			}
			for _, e := range objchange.AssertPlanValid(s.Block, cty.NullVal(ty), cfgVal, planned) {
				t.Errorf("%s: Provider produced invalid plan: %s", where, e)
			}
			for _, path := range rc.unknownPaths {
				v, err := path.Apply(planned)
				if err != nil {
					t.Errorf("%s: planned_state: %s: %s", where, fmtPath(path), err)
				} else if v.IsKnown() {
					t.Errorf("%s: planned %s is %#v; the config has it unknown, so the plan must too", where, fmtPath(path), v)
				}
			}
			rc.check(t, where, planned)
		}
	}
	if ran == 0 {
		t.Errorf("the provider declares none of the resource types this test knows (%s)", refinedTypeNames())
	}
	if err := p.shutdown(); err != nil {
		t.Errorf("%s", err)
	}
}

func refinedTypeNames() string {
	var s string
	for i, rc := range refinedCases {
		if i > 0 {
			s += ", "
		}
		s += rc.typeName
	}
	return s
}

func fmtPath(p cty.Path) string {
	var s string
	for _, st := range p {
		switch st := st.(type) {
		case cty.GetAttrStep:
			if s != "" {
				s += "."
			}
			s += st.Name
		case cty.IndexStep:
			if st.Key.Type() == cty.Number {
				s += fmt.Sprintf("[%s]", st.Key.AsBigFloat().Text('f', -1))
			} else {
				s += fmt.Sprintf("[%q]", st.Key.AsString())
			}
		}
	}
	return s
}
