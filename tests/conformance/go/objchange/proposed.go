// Package objchange holds Terraform's rules for combining and checking object values: the proposed
// new state sent to PlanResourceChange, the validity of a planned state, and the compatibility of an
// applied state with its plan (Terraform internal/plans/objchange; notes/tfplugin6.md 4.2-4.5).
//
// go-cty 1.12 has no unknown-value refinements, so every check that Terraform makes against a
// refinement degenerates to the type check here (documented in README.md).
package objchange

import (
	"github.com/zclconf/go-cty/cty"

	"tfconform/schema"
)

// ProposedNew combines the prior state with the configuration: non-computed attributes take the
// config value (even null), computed attributes with a null config keep the prior value, nested
// blocks are correlated by index / key / non-computed content (notes/tfplugin6.md 4.2).
func ProposedNew(s *schema.Block, prior, config cty.Value) cty.Value {
	if config.IsNull() && prior.IsNull() {
		return prior
	}
	if prior.IsNull() {
		// A create starts from the all-null "empty" object, so computed attributes arrive as null,
		// not unknown (notes 4.2).
		prior = s.EmptyValue()
	}
	return proposedNew(s, prior, config)
}

// PlannedDataResourceObject plans a data source whose config is not wholly known: every computed
// attribute not set in config becomes unknown (notes 4.1; Terraform does it without the provider).
func PlannedDataResourceObject(s *schema.Block, config cty.Value) cty.Value {
	return proposedNew(s, cty.UnknownVal(s.ImpliedType()), config)
}

func proposedNew(s *schema.Block, prior, config cty.Value) cty.Value {
	if config.IsNull() || !config.IsKnown() {
		return prior
	}
	vals := proposedNewAttributes(s.Attributes, prior, config)
	for name, nb := range s.BlockTypes {
		var priorV cty.Value
		if prior.IsKnown() && !prior.IsNull() {
			priorV = prior.GetAttr(name)
		} else if !prior.IsKnown() {
			priorV = cty.UnknownVal(nb.ImpliedType())
		} else {
			priorV = cty.NullVal(nb.ImpliedType())
		}
		vals[name] = proposedNewNestedBlock(nb, priorV, config.GetAttr(name))
	}
	return cty.ObjectVal(vals)
}

func proposedNewNestedBlock(nb *schema.NestedBlock, prior, config cty.Value) cty.Value {
	if !config.IsKnown() {
		return config
	}
	switch nb.Nesting {
	case schema.NestingSingle:
		if config.IsNull() {
			return config
		}
		return ProposedNew(&nb.Block, prior, config)
	case schema.NestingGroup:
		return ProposedNew(&nb.Block, prior, config)
	case schema.NestingList:
		n := 0
		if !config.IsNull() {
			n = config.LengthInt()
		}
		if n == 0 {
			if config.Type().IsTupleType() {
				return cty.EmptyTupleVal
			}
			return cty.ListValEmpty(nb.Block.ImpliedType())
		}
		out := make([]cty.Value, 0, n)
		for it := config.ElementIterator(); it.Next(); {
			idx, cev := it.Element()
			if prior.IsKnown() && (prior.IsNull() || !prior.HasIndex(idx).True()) {
				out = append(out, cev)
				continue
			}
			out = append(out, ProposedNew(&nb.Block, prior.Index(idx), cev))
		}
		if config.Type().IsTupleType() {
			return cty.TupleVal(out)
		}
		return cty.ListVal(out)
	case schema.NestingMap:
		if config.Type().IsObjectType() {
			if config.IsNull() || config.LengthInt() == 0 {
				return cty.EmptyObjectVal
			}
			out := map[string]cty.Value{}
			for name := range config.Type().AttributeTypes() {
				cev := config.GetAttr(name)
				if !prior.IsKnown() || prior.IsNull() || !prior.Type().HasAttribute(name) {
					out[name] = cev
					continue
				}
				out[name] = ProposedNew(&nb.Block, prior.GetAttr(name), cev)
			}
			return cty.ObjectVal(out)
		}
		if config.IsNull() || config.LengthInt() == 0 {
			return cty.MapValEmpty(nb.Block.ImpliedType())
		}
		out := map[string]cty.Value{}
		for it := config.ElementIterator(); it.Next(); {
			idx, cev := it.Element()
			if prior.IsKnown() && (prior.IsNull() || !prior.HasIndex(idx).True()) {
				out[idx.AsString()] = cev
				continue
			}
			out[idx.AsString()] = ProposedNew(&nb.Block, prior.Index(idx), cev)
		}
		return cty.MapVal(out)
	case schema.NestingSet:
		var cmp [][2]cty.Value
		if prior.IsKnown() && !prior.IsNull() {
			cmp = setElementCompareValues(&nb.Block, prior)
		}
		if config.IsNull() || config.LengthInt() == 0 {
			return cty.SetValEmpty(nb.Block.ImpliedType())
		}
		used := make([]bool, len(cmp))
		var out []cty.Value
		for it := config.ElementIterator(); it.Next(); {
			_, cev := it.Element()
			priorEV := cty.NilVal
			for i, c := range cmp {
				if !used[i] && c[1].RawEquals(cev) {
					priorEV = c[0]
					used[i] = true
					break
				}
			}
			if priorEV == cty.NilVal {
				priorEV = cty.NullVal(nb.Block.ImpliedType())
			}
			out = append(out, ProposedNew(&nb.Block, priorEV, cev))
		}
		return cty.SetVal(out)
	}
	return config
}

func proposedNewAttributes(attrs map[string]*schema.Attribute, prior, config cty.Value) map[string]cty.Value {
	out := make(map[string]cty.Value, len(attrs))
	for name, a := range attrs {
		var priorV cty.Value
		switch {
		case !prior.IsKnown():
			priorV = cty.UnknownVal(a.ImpliedType())
		case prior.IsNull():
			priorV = cty.NullVal(a.ImpliedType())
		default:
			priorV = prior.GetAttr(name)
		}
		configV := config.GetAttr(name)
		switch {
		case a.Computed && configV.IsNull():
			out[name] = priorV
		case a.NestedType != nil:
			if !configV.IsKnown() {
				out[name] = configV
			} else {
				out[name] = proposedNewNestedType(a.NestedType, priorV, configV)
			}
		default:
			out[name] = configV
		}
	}
	return out
}

func proposedNewNestedType(o *schema.Object, prior, config cty.Value) cty.Value {
	if config.IsNull() {
		return config
	}
	switch o.Nesting {
	case schema.NestingSingle, schema.NestingGroup:
		return cty.ObjectVal(proposedNewAttributes(o.Attributes, prior, config))
	case schema.NestingList:
		if config.LengthInt() == 0 {
			return config
		}
		out := make([]cty.Value, 0, config.LengthInt())
		for it := config.ElementIterator(); it.Next(); {
			idx, cev := it.Element()
			if prior.IsKnown() && (prior.IsNull() || !prior.HasIndex(idx).True()) {
				out = append(out, cev)
				continue
			}
			out = append(out, cty.ObjectVal(proposedNewAttributes(o.Attributes, prior.Index(idx), cev)))
		}
		if config.Type().IsTupleType() {
			return cty.TupleVal(out)
		}
		return cty.ListVal(out)
	case schema.NestingMap:
		if config.LengthInt() == 0 {
			return config
		}
		out := map[string]cty.Value{}
		if config.Type().IsObjectType() {
			for name := range config.Type().AttributeTypes() {
				cev := config.GetAttr(name)
				if !prior.IsKnown() || prior.IsNull() || !prior.Type().HasAttribute(name) {
					out[name] = cev
					continue
				}
				out[name] = cty.ObjectVal(proposedNewAttributes(o.Attributes, prior.GetAttr(name), cev))
			}
			return cty.ObjectVal(out)
		}
		for it := config.ElementIterator(); it.Next(); {
			idx, cev := it.Element()
			if prior.IsKnown() && (prior.IsNull() || !prior.HasIndex(idx).True()) {
				out[idx.AsString()] = cev
				continue
			}
			out[idx.AsString()] = cty.ObjectVal(proposedNewAttributes(o.Attributes, prior.Index(idx), cev))
		}
		return cty.MapVal(out)
	case schema.NestingSet:
		if config.LengthInt() == 0 {
			return config
		}
		var cmp [][2]cty.Value
		if prior.IsKnown() && !prior.IsNull() {
			cmp = setElementCompareValuesObj(o, prior)
		}
		used := make([]bool, len(cmp))
		var out []cty.Value
		for it := config.ElementIterator(); it.Next(); {
			_, cev := it.Element()
			priorEV := cty.NilVal
			for i, c := range cmp {
				if !used[i] && c[1].RawEquals(cev) {
					priorEV = c[0]
					used[i] = true
					break
				}
			}
			if priorEV == cty.NilVal {
				out = append(out, cev)
			} else {
				out = append(out, cty.ObjectVal(proposedNewAttributes(o.Attributes, priorEV, cev)))
			}
		}
		return cty.SetVal(out)
	}
	return config
}

// setElementCompareValues pairs each prior set element with a copy whose computed attributes are
// null, so config elements can be matched to the prior element they came from.
func setElementCompareValues(b *schema.Block, set cty.Value) [][2]cty.Value {
	var ret [][2]cty.Value
	for it := set.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		ret = append(ret, [2]cty.Value{ev, setElementCompareValue(b, ev)})
	}
	return ret
}

func setElementCompareValue(b *schema.Block, v cty.Value) cty.Value {
	if v.IsNull() || !v.IsKnown() {
		return v
	}
	vals := map[string]cty.Value{}
	for name, a := range b.Attributes {
		av := v.GetAttr(name)
		switch {
		case a.Computed && !a.Optional:
			vals[name] = cty.NullVal(a.ImpliedType())
		case a.Computed && a.Optional:
			// an optional+computed value can only be matched if set in config: treat as config
			vals[name] = av
		default:
			vals[name] = av
		}
	}
	for name, nb := range b.BlockTypes {
		bv := v.GetAttr(name)
		switch nb.Nesting {
		case schema.NestingSingle, schema.NestingGroup:
			vals[name] = setElementCompareValue(&nb.Block, bv)
		case schema.NestingList, schema.NestingMap, schema.NestingSet:
			if bv.IsNull() || !bv.IsKnown() || bv.LengthInt() == 0 {
				vals[name] = bv
				continue
			}
			switch {
			case bv.Type().IsListType():
				var es []cty.Value
				for it := bv.ElementIterator(); it.Next(); {
					_, e := it.Element()
					es = append(es, setElementCompareValue(&nb.Block, e))
				}
				vals[name] = cty.ListVal(es)
			case bv.Type().IsMapType():
				es := map[string]cty.Value{}
				for it := bv.ElementIterator(); it.Next(); {
					k, e := it.Element()
					es[k.AsString()] = setElementCompareValue(&nb.Block, e)
				}
				vals[name] = cty.MapVal(es)
			case bv.Type().IsSetType():
				var es []cty.Value
				for it := bv.ElementIterator(); it.Next(); {
					_, e := it.Element()
					es = append(es, setElementCompareValue(&nb.Block, e))
				}
				vals[name] = cty.SetVal(es)
			default:
				vals[name] = bv
			}
		}
	}
	return cty.ObjectVal(vals)
}

func setElementCompareValuesObj(o *schema.Object, set cty.Value) [][2]cty.Value {
	var ret [][2]cty.Value
	for it := set.ElementIterator(); it.Next(); {
		_, ev := it.Element()
		cmp := ev
		if !ev.IsNull() && ev.IsKnown() {
			vals := map[string]cty.Value{}
			for name, a := range o.Attributes {
				if a.Computed && !a.Optional {
					vals[name] = cty.NullVal(a.ImpliedType())
				} else {
					vals[name] = ev.GetAttr(name)
				}
			}
			cmp = cty.ObjectVal(vals)
		}
		ret = append(ret, [2]cty.Value{ev, cmp})
	}
	return ret
}
