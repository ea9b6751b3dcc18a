// Package schema is tfconform's model of a provider schema, the shape Terraform keeps in
// internal/configs/configschema: a Block of attributes and nested block types, attributes that may
// themselves have a nested object type. Everything Terraform derives from a schema (implied cty type,
// the "empty" value, the HCL decoder spec, InternalValidate, sensitive / write-only paths) lives here.
package schema

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/zclconf/go-cty/cty"
)

// NestingMode is configschema.NestingMode (notes/tfplugin6.md 3.1 "Nested blocks").
type NestingMode int

const (
	NestingInvalid NestingMode = iota
	NestingSingle
	NestingGroup
	NestingList
	NestingSet
	NestingMap
)

func (m NestingMode) String() string {
	switch m {
	case NestingSingle:
		return "NestingSingle"
	case NestingGroup:
		return "NestingGroup"
	case NestingList:
		return "NestingList"
	case NestingSet:
		return "NestingSet"
	case NestingMap:
		return "NestingMap"
	}
	return fmt.Sprintf("NestingMode(%d)", int(m))
}

type Block struct {
	Attributes      map[string]*Attribute
	BlockTypes      map[string]*NestedBlock
	Description     string
	DescriptionKind string
	Deprecated      bool
}

type Attribute struct {
	Type            cty.Type // cty.NilType when NestedType is set
	NestedType      *Object
	Description     string
	DescriptionKind string
	Required        bool
	Optional        bool
	Computed        bool
	Sensitive       bool
	Deprecated      bool
	WriteOnly       bool
}

// Object is a nested attribute type (HCL `x = { ... }` / `x = [{ ... }]`).
type Object struct {
	Attributes map[string]*Attribute
	Nesting    NestingMode
}

type NestedBlock struct {
	Block
	Nesting  NestingMode
	MinItems int
	MaxItems int
}

// Schema is one provider / resource / data source schema with its version.
type Schema struct {
	Version int64
	Block   *Block
}

// ---------------------------------------------------------------- implied types

// ImpliedType is the cty object type of values conforming to the block.
func (b *Block) ImpliedType() cty.Type {
	if b == nil {
		return cty.EmptyObject
	}
	atys := make(map[string]cty.Type, len(b.Attributes)+len(b.BlockTypes))
	for name, a := range b.Attributes {
		atys[name] = a.ImpliedType()
	}
	for name, nb := range b.BlockTypes {
		atys[name] = nb.ImpliedType()
	}
	return cty.Object(atys)
}

func (a *Attribute) ImpliedType() cty.Type {
	if a.NestedType != nil {
		return a.NestedType.ImpliedType()
	}
	return a.Type
}

// ImpliedType of a nested attribute object, without optional-attribute markers.
func (o *Object) ImpliedType() cty.Type {
	return o.specType().WithoutOptionalAttributesDeep()
}

// specType is the type used to decode configuration: every attribute that is not required is an
// optional object attribute, so omitting it in HCL yields null (Terraform configschema Object.specType).
func (o *Object) specType() cty.Type {
	if o == nil {
		return cty.EmptyObject
	}
	atys := make(map[string]cty.Type, len(o.Attributes))
	var optional []string
	for name, a := range o.Attributes {
		if a.NestedType != nil {
			atys[name] = a.NestedType.specType()
		} else {
			atys[name] = a.Type
		}
		if a.Optional || a.Computed {
			optional = append(optional, name)
		}
	}
	sort.Strings(optional)
	var ety cty.Type
	if len(optional) > 0 {
		ety = cty.ObjectWithOptionalAttrs(atys, optional)
	} else {
		ety = cty.Object(atys)
	}
	switch o.Nesting {
	case NestingSingle, NestingGroup:
		return ety
	case NestingList:
		if ety.HasDynamicTypes() {
			return cty.DynamicPseudoType
		}
		return cty.List(ety)
	case NestingSet:
		return cty.Set(ety)
	case NestingMap:
		if ety.HasDynamicTypes() {
			return cty.DynamicPseudoType
		}
		return cty.Map(ety)
	}
	return cty.DynamicPseudoType
}

func (nb *NestedBlock) ImpliedType() cty.Type {
	ety := nb.Block.ImpliedType()
	switch nb.Nesting {
	case NestingSingle, NestingGroup:
		return ety
	case NestingList:
		if ety.HasDynamicTypes() {
			return cty.DynamicPseudoType
		}
		return cty.List(ety)
	case NestingSet:
		return cty.Set(ety)
	case NestingMap:
		if ety.HasDynamicTypes() {
			return cty.DynamicPseudoType
		}
		return cty.Map(ety)
	}
	return cty.DynamicPseudoType
}

// EmptyValue is the value of an empty configuration block: attributes null, LIST/SET/MAP blocks
// empty, SINGLE null, GROUP an object of nulls (configschema empty_value.go).
func (b *Block) EmptyValue() cty.Value {
	vals := make(map[string]cty.Value, len(b.Attributes)+len(b.BlockTypes))
	for name, a := range b.Attributes {
		vals[name] = cty.NullVal(a.ImpliedType())
	}
	for name, nb := range b.BlockTypes {
		vals[name] = nb.EmptyValue()
	}
	return cty.ObjectVal(vals)
}

func (nb *NestedBlock) EmptyValue() cty.Value {
	switch nb.Nesting {
	case NestingSingle:
		return cty.NullVal(nb.Block.ImpliedType())
	case NestingGroup:
		return nb.Block.EmptyValue()
	case NestingList:
		if ty := nb.Block.ImpliedType(); ty.HasDynamicTypes() {
			return cty.EmptyTupleVal
		} else {
			return cty.ListValEmpty(ty)
		}
	case NestingMap:
		if ty := nb.Block.ImpliedType(); ty.HasDynamicTypes() {
			return cty.EmptyObjectVal
		} else {
			return cty.MapValEmpty(ty)
		}
	case NestingSet:
		return cty.SetValEmpty(nb.Block.ImpliedType())
	}
	return cty.NullVal(cty.DynamicPseudoType)
}

// ---------------------------------------------------------------- decoding config

// DecoderSpec is the hcldec spec Terraform uses to decode a configuration body against the schema
// (configschema decoder_spec.go): HCL itself then reports "Missing required argument",
// "Unsupported argument", "Unsupported block type" and type-conversion errors.
func (b *Block) DecoderSpec() hcldec.Spec {
	ret := hcldec.ObjectSpec{}
	if b == nil {
		return ret
	}
	for name, a := range b.Attributes {
		spec := &hcldec.AttrSpec{Name: name, Required: a.Required}
		if a.NestedType != nil {
			spec.Type = a.NestedType.specType()
		} else {
			spec.Type = a.Type
		}
		ret[name] = spec
	}
	for name, nb := range b.BlockTypes {
		child := nb.Block.DecoderSpec()
		dyn := nb.Block.ImpliedType().HasDynamicTypes()
		switch nb.Nesting {
		case NestingSingle:
			ret[name] = &hcldec.BlockSpec{TypeName: name, Nested: child, Required: nb.MinItems == 1}
		case NestingGroup:
			ret[name] = &hcldec.DefaultSpec{
				Primary: &hcldec.BlockSpec{TypeName: name, Nested: child},
				Default: &hcldec.LiteralSpec{Value: nb.Block.EmptyValue()},
			}
		case NestingList:
			if dyn {
				ret[name] = &hcldec.BlockTupleSpec{TypeName: name, Nested: child, MinItems: nb.MinItems, MaxItems: nb.MaxItems}
			} else {
				ret[name] = &hcldec.BlockListSpec{TypeName: name, Nested: child, MinItems: nb.MinItems, MaxItems: nb.MaxItems}
			}
		case NestingSet:
			ret[name] = &hcldec.BlockSetSpec{TypeName: name, Nested: child, MinItems: nb.MinItems, MaxItems: nb.MaxItems}
		case NestingMap:
			if dyn {
				ret[name] = &hcldec.BlockObjectSpec{TypeName: name, Nested: child, LabelNames: []string{"key"}}
			} else {
				ret[name] = &hcldec.BlockMapSpec{TypeName: name, Nested: child, LabelNames: []string{"key"}}
			}
		}
	}
	return ret
}

// ---------------------------------------------------------------- paths

// AttributeByPath finds the attribute a value path leads to (index steps of nested collections are
// skipped), or nil (configschema path.go AttributeByPath).
func (b *Block) AttributeByPath(path cty.Path) *Attribute {
	block := b
	for i, step := range path {
		ga, ok := step.(cty.GetAttrStep)
		if !ok {
			continue
		}
		if a := block.Attributes[ga.Name]; a != nil {
			if a.NestedType != nil && i < len(path)-1 {
				return a.NestedType.attributeByPath(path[i+1:])
			}
			if i == len(path)-1 {
				return a
			}
			return nil
		}
		nb := block.BlockTypes[ga.Name]
		if nb == nil {
			return nil
		}
		block = &nb.Block
	}
	return nil
}

func (o *Object) attributeByPath(path cty.Path) *Attribute {
	for i, step := range path {
		ga, ok := step.(cty.GetAttrStep)
		if !ok {
			continue
		}
		a := o.Attributes[ga.Name]
		if a == nil {
			return nil
		}
		if i == len(path)-1 {
			return a
		}
		if a.NestedType == nil {
			return nil
		}
		return a.NestedType.attributeByPath(path[i+1:])
	}
	return nil
}

// ValueMarks returns the paths of attributes the schema declares sensitive in val, for marking
// (Terraform marks references to sensitive attributes and shows them as "(sensitive value)").
func (b *Block) ValueMarks(val cty.Value, mark interface{}, path cty.Path) []cty.PathValueMarks {
	var ret []cty.PathValueMarks
	if val.IsNull() || !val.IsKnown() {
		return ret
	}
	for name, a := range b.Attributes {
		p := copyPath(path, cty.GetAttrStep{Name: name})
		if a.Sensitive {
			ret = append(ret, cty.PathValueMarks{Path: p, Marks: cty.NewValueMarks(mark)})
			continue
		}
		if a.NestedType == nil {
			continue
		}
		av := val.GetAttr(name)
		ret = append(ret, a.NestedType.valueMarks(av, mark, p)...)
	}
	for name, nb := range b.BlockTypes {
		bv := val.GetAttr(name)
		if bv.IsNull() || !bv.IsKnown() {
			continue
		}
		p := copyPath(path, cty.GetAttrStep{Name: name})
		switch nb.Nesting {
		case NestingSingle, NestingGroup:
			ret = append(ret, nb.Block.ValueMarks(bv, mark, p)...)
		case NestingList, NestingMap, NestingSet:
			if nb.Nesting == NestingSet {
				// marks on set elements hoist to the set itself
				if nb.Block.hasSensitive() {
					ret = append(ret, cty.PathValueMarks{Path: p, Marks: cty.NewValueMarks(mark)})
				}
				continue
			}
			for it := bv.ElementIterator(); it.Next(); {
				k, ev := it.Element()
				ret = append(ret, nb.Block.ValueMarks(ev, mark, copyPath(p, cty.IndexStep{Key: k}))...)
			}
		}
	}
	return ret
}

func (b *Block) hasSensitive() bool {
	for _, a := range b.Attributes {
		if a.Sensitive || (a.NestedType != nil && a.NestedType.hasSensitive()) {
			return true
		}
	}
	for _, nb := range b.BlockTypes {
		if nb.Block.hasSensitive() {
			return true
		}
	}
	return false
}

func (o *Object) hasSensitive() bool {
	for _, a := range o.Attributes {
		if a.Sensitive || (a.NestedType != nil && a.NestedType.hasSensitive()) {
			return true
		}
	}
	return false
}

func (o *Object) valueMarks(val cty.Value, mark interface{}, path cty.Path) []cty.PathValueMarks {
	var ret []cty.PathValueMarks
	if val.IsNull() || !val.IsKnown() {
		return ret
	}
	inner := func(ev cty.Value, p cty.Path) {
		if ev.IsNull() || !ev.IsKnown() {
			return
		}
		for name, a := range o.Attributes {
			ap := copyPath(p, cty.GetAttrStep{Name: name})
			if a.Sensitive {
				ret = append(ret, cty.PathValueMarks{Path: ap, Marks: cty.NewValueMarks(mark)})
				continue
			}
			if a.NestedType != nil {
				ret = append(ret, a.NestedType.valueMarks(ev.GetAttr(name), mark, ap)...)
			}
		}
	}
	switch o.Nesting {
	case NestingSingle, NestingGroup:
		inner(val, path)
	case NestingSet:
		if o.hasSensitive() {
			ret = append(ret, cty.PathValueMarks{Path: path, Marks: cty.NewValueMarks(mark)})
		}
	default:
		for it := val.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			inner(ev, copyPath(path, cty.IndexStep{Key: k}))
		}
	}
	return ret
}

// ContainsWriteOnly reports whether any attribute below the block is write-only.
func (b *Block) ContainsWriteOnly() bool {
	for _, a := range b.Attributes {
		if a.WriteOnly || (a.NestedType != nil && a.NestedType.ContainsWriteOnly()) {
			return true
		}
	}
	for _, nb := range b.BlockTypes {
		if nb.Block.ContainsWriteOnly() {
			return true
		}
	}
	return false
}

func (o *Object) ContainsWriteOnly() bool {
	for _, a := range o.Attributes {
		if a.WriteOnly || (a.NestedType != nil && a.NestedType.ContainsWriteOnly()) {
			return true
		}
	}
	return false
}

// NonNullWriteOnlyPaths lists write-only attributes that are not null in val (Terraform's
// ephemeral.NonNullWriteOnlyPaths): providers must never return such values.
func (b *Block) NonNullWriteOnlyPaths(val cty.Value, path cty.Path) []cty.Path {
	var ret []cty.Path
	if b == nil || val.IsNull() || !val.IsKnown() {
		return ret
	}
	for _, name := range sortedKeys(b.Attributes) {
		a := b.Attributes[name]
		p := copyPath(path, cty.GetAttrStep{Name: name})
		av := val.GetAttr(name)
		if a.WriteOnly && !av.IsNull() {
			ret = append(ret, p)
			continue
		}
		if a.NestedType != nil {
			ret = append(ret, a.NestedType.nonNullWriteOnlyPaths(av, p)...)
		}
	}
	for _, name := range sortedKeys(b.BlockTypes) {
		nb := b.BlockTypes[name]
		bv := val.GetAttr(name)
		if bv.IsNull() || !bv.IsKnown() {
			continue
		}
		p := copyPath(path, cty.GetAttrStep{Name: name})
		switch nb.Nesting {
		case NestingSingle, NestingGroup:
			ret = append(ret, nb.Block.NonNullWriteOnlyPaths(bv, p)...)
		default:
			for it := bv.ElementIterator(); it.Next(); {
				k, ev := it.Element()
				ret = append(ret, nb.Block.NonNullWriteOnlyPaths(ev, copyPath(p, cty.IndexStep{Key: k}))...)
			}
		}
	}
	return ret
}

func (o *Object) nonNullWriteOnlyPaths(val cty.Value, path cty.Path) []cty.Path {
	var ret []cty.Path
	if val.IsNull() || !val.IsKnown() {
		return ret
	}
	inner := func(ev cty.Value, p cty.Path) {
		if ev.IsNull() || !ev.IsKnown() {
			return
		}
		for _, name := range sortedKeys(o.Attributes) {
			a := o.Attributes[name]
			ap := copyPath(p, cty.GetAttrStep{Name: name})
			av := ev.GetAttr(name)
			if a.WriteOnly && !av.IsNull() {
				ret = append(ret, ap)
				continue
			}
			if a.NestedType != nil {
				ret = append(ret, a.NestedType.nonNullWriteOnlyPaths(av, ap)...)
			}
		}
	}
	switch o.Nesting {
	case NestingSingle, NestingGroup:
		inner(val, path)
	default:
		for it := val.ElementIterator(); it.Next(); {
			k, ev := it.Element()
			inner(ev, copyPath(path, cty.IndexStep{Key: k}))
		}
	}
	return ret
}

// NullWriteOnly returns val with every write-only attribute set to null: Terraform never stores
// write-only values in plan or state (notes/tfplugin6.md 1.2 "6.8").
func (b *Block) NullWriteOnly(val cty.Value) cty.Value {
	if !b.ContainsWriteOnly() || val.IsNull() || !val.IsKnown() {
		return val
	}
	ret, _ := cty.Transform(val, func(p cty.Path, v cty.Value) (cty.Value, error) {
		if len(p) == 0 {
			return v, nil
		}
		if a := b.AttributeByPath(p); a != nil && a.WriteOnly {
			if _, last := p[len(p)-1].(cty.GetAttrStep); last {
				return cty.NullVal(v.Type()), nil
			}
		}
		return v, nil
	})
	return ret
}

func copyPath(p cty.Path, step cty.PathStep) cty.Path {
	ret := make(cty.Path, len(p), len(p)+1)
	copy(ret, p)
	return append(ret, step)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// SortedKeys is exported for the renderers (stable output order).
func SortedKeys[V any](m map[string]V) []string { return sortedKeys(m) }
