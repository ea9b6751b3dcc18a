package schema

import (
	"encoding/json"
	"fmt"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	tfplugin6 "tfconformgen/tfplugin6"
)

// NilType is cty.NilType (named for readability in comparisons).
func NilType() cty.Type { return cty.NilType }

// FromProto converts a tfplugin6.Schema the way Terraform's convert.ProtoToProviderSchema does.
// Where Terraform would crash (nil block: a nil dereference; undecodable attribute type: a
// panic(err), notes/tfplugin6.md 1.4) we return an error that says so.
func FromProto(s *tfplugin6.Schema) (*Schema, error) {
	if s == nil {
		return nil, fmt.Errorf("schema is nil")
	}
	if s.Block == nil {
		return nil, fmt.Errorf("schema has no block (Terraform dereferences it and crashes)")
	}
	b, err := blockFromProto(s.Block, "")
	if err != nil {
		return nil, err
	}
	return &Schema{Version: s.Version, Block: b}, nil
}

func descKind(k tfplugin6.StringKind) string {
	if k == tfplugin6.StringKind_MARKDOWN {
		return "markdown"
	}
	return "plain"
}

func blockFromProto(pb *tfplugin6.Schema_Block, prefix string) (*Block, error) {
	b := &Block{
		Attributes:      map[string]*Attribute{},
		BlockTypes:      map[string]*NestedBlock{},
		Description:     pb.Description,
		DescriptionKind: descKind(pb.DescriptionKind),
		Deprecated:      pb.Deprecated,
	}
	for _, pa := range pb.Attributes {
		if _, dup := b.Attributes[pa.Name]; dup {
			return nil, fmt.Errorf("%s%s: attribute declared twice", prefix, pa.Name)
		}
		a, err := attrFromProto(pa, prefix)
		if err != nil {
			return nil, err
		}
		b.Attributes[pa.Name] = a
	}
	for _, pnb := range pb.BlockTypes {
		if pnb.Block == nil {
			return nil, fmt.Errorf("%s%s: nested block type has no block (Terraform dereferences it and crashes)", prefix, pnb.TypeName)
		}
		inner, err := blockFromProto(pnb.Block, prefix+pnb.TypeName+".")
		if err != nil {
			return nil, err
		}
		nb := &NestedBlock{Block: *inner, MinItems: int(pnb.MinItems), MaxItems: int(pnb.MaxItems)}
		switch pnb.Nesting {
		case tfplugin6.Schema_NestedBlock_SINGLE:
			nb.Nesting = NestingSingle
		case tfplugin6.Schema_NestedBlock_LIST:
			nb.Nesting = NestingList
		case tfplugin6.Schema_NestedBlock_SET:
			nb.Nesting = NestingSet
		case tfplugin6.Schema_NestedBlock_MAP:
			nb.Nesting = NestingMap
		case tfplugin6.Schema_NestedBlock_GROUP:
			nb.Nesting = NestingGroup
		default:
			nb.Nesting = NestingInvalid
		}
		if _, dup := b.BlockTypes[pnb.TypeName]; dup {
			return nil, fmt.Errorf("%s%s: block type declared twice", prefix, pnb.TypeName)
		}
		b.BlockTypes[pnb.TypeName] = nb
	}
	return b, nil
}

func attrFromProto(pa *tfplugin6.Schema_Attribute, prefix string) (*Attribute, error) {
	a := &Attribute{
		Description:     pa.Description,
		DescriptionKind: descKind(pa.DescriptionKind),
		Required:        pa.Required,
		Optional:        pa.Optional,
		Computed:        pa.Computed,
		Sensitive:       pa.Sensitive,
		Deprecated:      pa.Deprecated,
		WriteOnly:       pa.WriteOnly,
	}
	if len(pa.Type) > 0 {
		ty, err := ctyjson.UnmarshalType(pa.Type)
		if err != nil {
			return nil, fmt.Errorf("%s%s: attribute type %q is not a valid cty type (Terraform panics here): %s", prefix, pa.Name, pa.Type, err)
		}
		a.Type = ty
	}
	if pa.NestedType != nil {
		o := &Object{Attributes: map[string]*Attribute{}}
		switch pa.NestedType.Nesting {
		case tfplugin6.Schema_Object_SINGLE:
			o.Nesting = NestingSingle
		case tfplugin6.Schema_Object_LIST:
			o.Nesting = NestingList
		case tfplugin6.Schema_Object_SET:
			o.Nesting = NestingSet
		case tfplugin6.Schema_Object_MAP:
			o.Nesting = NestingMap
		default:
			o.Nesting = NestingInvalid
		}
		for _, na := range pa.NestedType.Attributes {
			inner, err := attrFromProto(na, prefix+pa.Name+".")
			if err != nil {
				return nil, err
			}
			o.Attributes[na.Name] = inner
		}
		a.NestedType = o
	}
	return a, nil
}

// ---------------------------------------------------------------- `providers schema -json`

// JSON renders a block the way `terraform providers schema -json` does (command/jsonprovider).
func (b *Block) JSON() map[string]interface{} {
	ret := map[string]interface{}{}
	if len(b.Attributes) > 0 {
		attrs := map[string]interface{}{}
		for name, a := range b.Attributes {
			attrs[name] = a.JSON()
		}
		ret["attributes"] = attrs
	}
	if len(b.BlockTypes) > 0 {
		bts := map[string]interface{}{}
		for name, nb := range b.BlockTypes {
			m := map[string]interface{}{
				"nesting_mode": nestingJSON(nb.Nesting),
				"block":        nb.Block.JSON(),
			}
			if nb.MinItems > 0 {
				m["min_items"] = nb.MinItems
			}
			if nb.MaxItems > 0 {
				m["max_items"] = nb.MaxItems
			}
			bts[name] = m
		}
		ret["block_types"] = bts
	}
	if b.Description != "" {
		ret["description"] = b.Description
	}
	ret["description_kind"] = orPlain(b.DescriptionKind)
	if b.Deprecated {
		ret["deprecated"] = true
	}
	return ret
}

func (a *Attribute) JSON() map[string]interface{} {
	ret := map[string]interface{}{}
	if a.NestedType != nil {
		attrs := map[string]interface{}{}
		for name, na := range a.NestedType.Attributes {
			attrs[name] = na.JSON()
		}
		ret["nested_type"] = map[string]interface{}{
			"attributes":   attrs,
			"nesting_mode": nestingJSON(a.NestedType.Nesting),
		}
	} else {
		raw, _ := a.Type.MarshalJSON()
		ret["type"] = json.RawMessage(raw)
	}
	if a.Description != "" {
		ret["description"] = a.Description
	}
	ret["description_kind"] = orPlain(a.DescriptionKind)
	for k, v := range map[string]bool{"required": a.Required, "optional": a.Optional, "computed": a.Computed,
		"sensitive": a.Sensitive, "deprecated": a.Deprecated, "write_only": a.WriteOnly} {
		if v {
			ret[k] = true
		}
	}
	return ret
}

func orPlain(s string) string {
	if s == "" {
		return "plain"
	}
	return s
}

func nestingJSON(m NestingMode) string {
	switch m {
	case NestingSingle:
		return "single"
	case NestingGroup:
		return "group"
	case NestingList:
		return "list"
	case NestingSet:
		return "set"
	case NestingMap:
		return "map"
	}
	return "invalid"
}
