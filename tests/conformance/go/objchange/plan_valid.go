package objchange

import (
	"github.com/zclconf/go-cty/cty"

	"tfconform/schema"
)

// AssertPlanValid checks a planned new state from PlanResourceChange against prior state and config
// (Terraform objchange.AssertPlanValid; notes/tfplugin6.md 4.3). Each error is a cty.PathError whose
// text is Terraform's.
func AssertPlanValid(s *schema.Block, prior, config, planned cty.Value) []error {
	return assertPlanValid(s, prior, config, planned, nil)
}

func assertPlanValid(s *schema.Block, prior, config, planned cty.Value, path cty.Path) []error {
	var errs []error
	if planned.IsNull() && !config.IsNull() {
		return append(errs, path.NewErrorf("planned for absence but config wants existence"))
	}
	if config.IsNull() && !planned.IsNull() {
		return append(errs, path.NewErrorf("planned for existence but config wants absence"))
	}
	if planned.IsNull() {
		return errs
	}
	impTy := s.ImpliedType()
	errs = append(errs, assertPlannedAttrsValid(s.Attributes, prior, config, planned, path)...)

	for _, name := range schema.SortedKeys(s.BlockTypes) {
		nb := s.BlockTypes[name]
		path := appendPath(path, cty.GetAttrStep{Name: name})
		plannedV := planned.GetAttr(name)
		configV := config.GetAttr(name)
		priorV := cty.NullVal(impTy.AttributeType(name))
		if !prior.IsNull() {
			priorV = prior.GetAttr(name)
		}
		if nb.Nesting != schema.NestingSingle && plannedV.IsNull() {
			mode := map[schema.NestingMode]string{schema.NestingList: "list", schema.NestingMap: "map",
				schema.NestingSet: "set", schema.NestingGroup: "group"}[nb.Nesting]
			errs = append(errs, path.NewErrorf("attribute representing a %s of nested blocks must be empty to indicate no blocks, not null", mode))
			continue
		}
		if plannedV.RawEquals(configV) {
			continue
		}
		if !configV.IsKnown() {
			errs = append(errs, path.NewErrorf("planned value %#v for unknown dynamic block", plannedV))
			continue
		}
		if !plannedV.IsKnown() {
			errs = append(errs, path.NewErrorf("planned unknown value for non-computed block"))
			continue
		}
		switch nb.Nesting {
		case schema.NestingSingle, schema.NestingGroup:
			errs = append(errs, assertPlanValid(&nb.Block, priorV, configV, plannedV, path)...)
		case schema.NestingList:
			if configV.IsNull() {
				configV = cty.ListValEmpty(nb.Block.ImpliedType())
			}
			plannedL, configL := plannedV.LengthInt(), configV.LengthInt()
			if plannedL != configL {
				errs = append(errs, path.NewErrorf("block count in plan (%d) disagrees with count in config (%d)", plannedL, configL))
				continue
			}
			for it := plannedV.ElementIterator(); it.Next(); {
				idx, pev := it.Element()
				path := appendPath(path, cty.IndexStep{Key: idx})
				if !pev.IsKnown() {
					errs = append(errs, path.NewErrorf("element representing nested block must not be unknown itself; set nested attribute values to unknown instead"))
					continue
				}
				if !configV.HasIndex(idx).True() {
					continue
				}
				priorEV := cty.NullVal(nb.Block.ImpliedType())
				if !priorV.IsNull() && priorV.HasIndex(idx).True() {
					priorEV = priorV.Index(idx)
				}
				errs = append(errs, assertPlanValid(&nb.Block, priorEV, configV.Index(idx), pev, path)...)
			}
		case schema.NestingMap:
			if plannedV.Type().IsObjectType() {
				patys, catys := plannedV.Type().AttributeTypes(), configV.Type().AttributeTypes()
				for k := range patys {
					if _, ok := catys[k]; !ok {
						errs = append(errs, path.NewErrorf("block key %q from plan is not present in config", k))
						continue
					}
					path := appendPath(path, cty.GetAttrStep{Name: k})
					pev := plannedV.GetAttr(k)
					if !pev.IsKnown() {
						errs = append(errs, path.NewErrorf("element representing nested block must not be unknown itself; set nested attribute values to unknown instead"))
						continue
					}
					priorEV := cty.NullVal(nb.Block.ImpliedType())
					if !priorV.IsNull() && priorV.Type().HasAttribute(k) {
						priorEV = priorV.GetAttr(k)
					}
					errs = append(errs, assertPlanValid(&nb.Block, priorEV, configV.GetAttr(k), pev, path)...)
				}
				for k := range catys {
					if _, ok := patys[k]; !ok {
						errs = append(errs, path.NewErrorf("block key %q from config is not present in plan", k))
					}
				}
				continue
			}
			plannedL, configL := plannedV.LengthInt(), configV.LengthInt()
			if plannedL != configL {
				errs = append(errs, path.NewErrorf("block count in plan (%d) disagrees with count in config (%d)", plannedL, configL))
				continue
			}
			for it := plannedV.ElementIterator(); it.Next(); {
				idx, pev := it.Element()
				path := appendPath(path, cty.IndexStep{Key: idx})
				if !pev.IsKnown() {
					errs = append(errs, path.NewErrorf("element representing nested block must not be unknown itself; set nested attribute values to unknown instead"))
					continue
				}
				k := idx.AsString()
				if !configV.HasIndex(idx).True() {
					errs = append(errs, path.NewErrorf("block key %q from plan is not present in config", k))
					continue
				}
				priorEV := cty.NullVal(nb.Block.ImpliedType())
				if !priorV.IsNull() && priorV.HasIndex(idx).True() {
					priorEV = priorV.Index(idx)
				}
				errs = append(errs, assertPlanValid(&nb.Block, priorEV, configV.Index(idx), pev, path)...)
			}
			for it := configV.ElementIterator(); it.Next(); {
				idx, _ := it.Element()
				if !plannedV.HasIndex(idx).True() {
					errs = append(errs, path.NewErrorf("block key %q from config is not present in plan", idx.AsString()))
				}
			}
		case schema.NestingSet:
			// Set elements cannot be correlated; Terraform only checks that none is unknown itself.
			for it := plannedV.ElementIterator(); it.Next(); {
				idx, pev := it.Element()
				if !pev.IsKnown() {
					errs = append(errs, appendPath(path, cty.IndexStep{Key: idx}).NewErrorf("element representing nested block must not be unknown itself; set nested attribute values to unknown instead"))
				}
			}
		}
	}
	return errs
}

func assertPlannedAttrsValid(attrs map[string]*schema.Attribute, prior, config, planned cty.Value, path cty.Path) []error {
	var errs []error
	for _, name := range schema.SortedKeys(attrs) {
		errs = append(errs, assertPlannedAttrValid(name, attrs[name], prior, config, planned, path)...)
	}
	return errs
}

func assertPlannedAttrValid(name string, a *schema.Attribute, prior, config, planned cty.Value, path cty.Path) []error {
	ty := a.ImpliedType()
	plannedV, configV, priorV := cty.NullVal(ty), cty.NullVal(ty), cty.NullVal(ty)
	if !config.IsNull() {
		configV = config.GetAttr(name)
	}
	if !prior.IsNull() {
		priorV = prior.GetAttr(name)
	}
	if !planned.IsNull() {
		plannedV = planned.GetAttr(name)
	}
	return assertPlannedValueValid(a, priorV, configV, plannedV, appendPath(path, cty.GetAttrStep{Name: name}))
}

func assertPlannedValueValid(a *schema.Attribute, priorV, configV, plannedV cty.Value, path cty.Path) []error {
	var errs []error
	// cty 1.12 values carry no refinements, so RawEquals is Terraform's unrefinedValue comparison:
	// an unknown config value must stay unknown (notes 4.3).
	if plannedV.RawEquals(configV) {
		return errs
	}
	if plannedV.RawEquals(priorV) && !priorV.IsNull() && !configV.IsNull() {
		return errs
	}
	if a.WriteOnly {
		if !plannedV.IsNull() {
			errs = append(errs, path.NewErrorf("planned value for write-only attribute is not null"))
		}
		return errs
	}
	switch {
	case a.Computed && !a.Optional:
		return errs
	case configV.IsNull() && a.Computed:
		return errs
	case configV.IsNull() && !plannedV.IsNull():
		if a.Sensitive {
			errs = append(errs, path.NewErrorf("sensitive planned value for a non-computed attribute"))
		} else {
			errs = append(errs, path.NewErrorf("planned value %#v for a non-computed attribute", plannedV))
		}
		return errs
	}
	if a.NestedType != nil {
		return assertPlannedObjectValid(a.NestedType, priorV, configV, plannedV, path)
	}
	if priorV.IsNull() {
		if a.Sensitive {
			errs = append(errs, path.NewErrorf("sensitive planned value does not match config value"))
		} else {
			errs = append(errs, path.NewErrorf("planned value %#v does not match config value %#v", plannedV, configV))
		}
		return errs
	}
	if a.Sensitive {
		errs = append(errs, path.NewErrorf("sensitive planned value does not match config value nor prior value"))
	} else {
		errs = append(errs, path.NewErrorf("planned value %#v does not match config value %#v nor prior value %#v", plannedV, configV, priorV))
	}
	return errs
}

func assertPlannedObjectValid(o *schema.Object, prior, config, planned cty.Value, path cty.Path) []error {
	var errs []error
	if planned.IsNull() && !config.IsNull() {
		return append(errs, path.NewErrorf("planned for absence but config wants existence"))
	}
	if config.IsNull() && !planned.IsNull() {
		return append(errs, path.NewErrorf("planned for existence but config wants absence"))
	}
	if !config.IsNull() && !planned.IsKnown() {
		return append(errs, path.NewErrorf("planned unknown for configured value"))
	}
	if planned.IsNull() {
		return errs
	}
	switch o.Nesting {
	case schema.NestingSingle, schema.NestingGroup:
		errs = append(errs, assertPlannedAttrsValid(o.Attributes, prior, config, planned, path)...)
	case schema.NestingList:
		plannedL, configL := planned.Length(), config.Length()
		if !plannedL.IsKnown() && !configL.IsKnown() {
			return errs
		}
		eq := plannedL.Equals(configL)
		if !eq.IsKnown() || eq.False() {
			return append(errs, path.NewErrorf("count in plan (%#v) disagrees with count in config (%#v)", plannedL, configL))
		}
		for it := planned.ElementIterator(); it.Next(); {
			idx, pev := it.Element()
			path := appendPath(path, cty.IndexStep{Key: idx})
			if !config.HasIndex(idx).True() {
				continue
			}
			priorEV := cty.NullVal(o.ImpliedType().ElementType())
			if !prior.IsNull() && prior.HasIndex(idx).True() {
				priorEV = prior.Index(idx)
			}
			errs = append(errs, assertPlannedAttrsValid(o.Attributes, priorEV, config.Index(idx), pev, path)...)
		}
	case schema.NestingMap:
		plannedL, configL := planned.Length(), config.Length()
		if !plannedL.IsKnown() && !configL.IsKnown() {
			return errs
		}
		eq := plannedL.Equals(configL)
		if !eq.IsKnown() || eq.False() {
			return append(errs, path.NewErrorf("count in plan (%#v) disagrees with count in config (%#v)", plannedL, configL))
		}
		pm, cm, prm := valueMap(planned), valueMap(config), valueMap(prior)
		for _, k := range schema.SortedKeys(pm) {
			cev, ok := cm[k]
			if !ok {
				errs = append(errs, path.NewErrorf("map key %q from plan is not present in config", k))
				continue
			}
			path := appendPath(path, cty.GetAttrStep{Name: k})
			priorEV, ok := prm[k]
			if !ok {
				priorEV = cty.NullVal(pm[k].Type())
			}
			errs = append(errs, assertPlannedAttrsValid(o.Attributes, priorEV, cev, pm[k], path)...)
		}
		for _, k := range schema.SortedKeys(cm) {
			if _, ok := pm[k]; !ok {
				errs = append(errs, path.NewErrorf("map key %q from config is not present in plan", k))
			}
		}
	case schema.NestingSet:
		plannedL, configL := planned.Length(), config.Length()
		if plannedL.IsKnown() && configL.IsKnown() && !plannedL.RawEquals(configL) {
			errs = append(errs, path.NewErrorf("count in plan (%#v) disagrees with count in config (%#v)", plannedL, configL))
		}
	}
	return errs
}

func valueMap(v cty.Value) map[string]cty.Value {
	if v.IsNull() || !v.IsKnown() || v.LengthInt() == 0 {
		return map[string]cty.Value{}
	}
	return v.AsValueMap()
}

func appendPath(p cty.Path, step cty.PathStep) cty.Path {
	ret := make(cty.Path, len(p), len(p)+1)
	copy(ret, p)
	return append(ret, step)
}
