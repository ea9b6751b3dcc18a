package objchange

import (
	"fmt"
	"strconv"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"tfconform/schema"
)

// AssertObjectCompatible checks that actual is a valid completion of planned: every known planned
// value comes back identical, only unknowns may be filled in (Terraform objchange.AssertObjectCompatible,
// notes/tfplugin6.md 4.5).
func AssertObjectCompatible(s *schema.Block, planned, actual cty.Value) []error {
	return assertObjectCompatible(s, planned, actual, nil)
}

func assertObjectCompatible(s *schema.Block, planned, actual cty.Value, path cty.Path) []error {
	var errs []error
	atRoot := ""
	if len(path) == 0 {
		atRoot = "Root object "
	}
	if planned.IsNull() && !actual.IsNull() {
		return append(errs, path.NewErrorf("%swas absent, but now present", atRoot))
	}
	if actual.IsNull() && !planned.IsNull() {
		return append(errs, path.NewErrorf("%swas present, but now absent", atRoot))
	}
	if planned.IsNull() {
		return errs
	}
	for _, name := range schema.SortedKeys(s.Attributes) {
		a := s.Attributes[name]
		plannedV, actualV := planned.GetAttr(name), actual.GetAttr(name)
		path := appendPath(path, cty.GetAttrStep{Name: name})
		ua, ma := actualV.UnmarkDeep()
		up, mp := plannedV.UnmarkDeep()
		_, sa := ma[schema.Sensitive]
		_, sp := mp[schema.Sensitive]
		more := assertValueCompatible(up, ua, path)
		if a.Sensitive || sa || sp {
			if len(more) > 0 {
				errs = append(errs, path.NewErrorf("inconsistent values for sensitive attribute"))
			}
		} else {
			errs = append(errs, more...)
		}
	}
	for _, name := range schema.SortedKeys(s.BlockTypes) {
		nb := s.BlockTypes[name]
		plannedV, _ := planned.GetAttr(name).UnmarkDeep()
		actualV, _ := actual.GetAttr(name).UnmarkDeep()
		path := appendPath(path, cty.GetAttrStep{Name: name})
		switch nb.Nesting {
		case schema.NestingSingle, schema.NestingGroup:
			if !plannedV.IsKnown() && actualV.IsNull() {
				continue
			}
			errs = append(errs, assertObjectCompatible(&nb.Block, plannedV, actualV, path)...)
		case schema.NestingList:
			if !plannedV.IsKnown() || !actualV.IsKnown() || plannedV.IsNull() || actualV.IsNull() {
				continue
			}
			pl, al := plannedV.LengthInt(), actualV.LengthInt()
			if pl != al {
				errs = append(errs, path.NewErrorf("block count changed from %d to %d", pl, al))
				continue
			}
			for it := plannedV.ElementIterator(); it.Next(); {
				idx, pev := it.Element()
				if !actualV.HasIndex(idx).True() {
					continue
				}
				errs = append(errs, assertObjectCompatible(&nb.Block, pev, actualV.Index(idx), appendPath(path, cty.IndexStep{Key: idx}))...)
			}
		case schema.NestingMap:
			if plannedV.Type().IsObjectType() {
				patys, aatys := plannedV.Type().AttributeTypes(), actualV.Type().AttributeTypes()
				for _, k := range schema.SortedKeys(patys) {
					if _, ok := aatys[k]; !ok {
						errs = append(errs, path.NewErrorf("block key %q has vanished", k))
						continue
					}
					errs = append(errs, assertObjectCompatible(&nb.Block, plannedV.GetAttr(k), actualV.GetAttr(k), appendPath(path, cty.GetAttrStep{Name: k}))...)
				}
				if plannedV.IsKnown() {
					for _, k := range schema.SortedKeys(aatys) {
						if _, ok := patys[k]; !ok {
							errs = append(errs, path.NewErrorf("new block key %q has appeared", k))
						}
					}
				}
				continue
			}
			if !plannedV.IsKnown() || plannedV.IsNull() || actualV.IsNull() {
				continue
			}
			pl, al := plannedV.LengthInt(), actualV.LengthInt()
			if pl != al {
				errs = append(errs, path.NewErrorf("block count changed from %d to %d", pl, al))
				continue
			}
			for it := plannedV.ElementIterator(); it.Next(); {
				idx, pev := it.Element()
				if !actualV.HasIndex(idx).True() {
					continue
				}
				errs = append(errs, assertObjectCompatible(&nb.Block, pev, actualV.Index(idx), appendPath(path, cty.IndexStep{Key: idx}))...)
			}
		case schema.NestingSet:
			if !plannedV.IsKnown() || !actualV.IsKnown() || plannedV.IsNull() || actualV.IsNull() {
				continue
			}
			errs = append(errs, assertSetValuesCompatible(plannedV, actualV, path, func(p, a cty.Value) bool {
				return len(assertObjectCompatible(&nb.Block, p, a, appendPath(path, cty.IndexStep{Key: a}))) == 0
			})...)
			if pl, al := plannedV.LengthInt(), actualV.LengthInt(); pl < al {
				errs = append(errs, path.NewErrorf("block set length changed from %d to %d", pl, al))
			}
		}
	}
	return errs
}

// AssertValueCompatible is AssertObjectCompatible for a single value.
func AssertValueCompatible(planned, actual cty.Value) []error {
	planned, _ = planned.UnmarkDeep()
	actual, _ = actual.UnmarkDeep()
	return assertValueCompatible(planned, actual, nil)
}

func assertValueCompatible(planned, actual cty.Value, path cty.Path) []error {
	var errs []error
	if planned.Type() == cty.DynamicPseudoType {
		return errs
	}
	if problems := actual.Type().TestConformance(planned.Type()); len(problems) > 0 {
		return append(errs, path.NewErrorf("wrong final value type: %s", convert.MismatchMessage(actual.Type(), planned.Type())))
	}
	if !planned.IsKnown() {
		// Terraform also checks the placeholder's refinements here; cty 1.12 has none.
		return errs
	}
	if actual.IsNull() {
		if planned.IsNull() {
			return nil
		}
		return append(errs, path.NewErrorf("was %#v, but now null", planned))
	}
	if planned.IsNull() {
		return append(errs, path.NewErrorf("was null, but now %#v", actual))
	}
	ty := planned.Type()
	switch {
	case !actual.IsKnown():
		errs = append(errs, path.NewErrorf("was known, but now unknown"))
	case ty.IsPrimitiveType():
		if !actual.Equals(planned).True() {
			errs = append(errs, path.NewErrorf("was %#v, but now %#v", planned, actual))
		}
	case ty.IsListType() || ty.IsMapType() || ty.IsTupleType():
		for it := planned.ElementIterator(); it.Next(); {
			k, pv := it.Element()
			if !actual.HasIndex(k).True() {
				errs = append(errs, path.NewErrorf("element %s has vanished", indexStrForErrors(k)))
				continue
			}
			errs = append(errs, assertValueCompatible(pv, actual.Index(k), appendPath(path, cty.IndexStep{Key: k}))...)
		}
		for it := actual.ElementIterator(); it.Next(); {
			k, _ := it.Element()
			if !planned.HasIndex(k).True() {
				errs = append(errs, path.NewErrorf("new element %s has appeared", indexStrForErrors(k)))
			}
		}
	case ty.IsObjectType():
		for _, name := range schema.SortedKeys(ty.AttributeTypes()) {
			errs = append(errs, assertValueCompatible(planned.GetAttr(name), actual.GetAttr(name), appendPath(path, cty.GetAttrStep{Name: name}))...)
		}
	case ty.IsSetType():
		errs = append(errs, assertSetValuesCompatible(planned, actual, path, func(p, a cty.Value) bool {
			return len(assertValueCompatible(p, a, appendPath(path, cty.IndexStep{Key: a}))) == 0
		})...)
		if pl, al := planned.LengthInt(), actual.LengthInt(); pl < al {
			errs = append(errs, path.NewErrorf("length changed from %d to %d", pl, al))
		}
	}
	return errs
}

func indexStrForErrors(v cty.Value) string {
	switch v.Type() {
	case cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case cty.String:
		return strconv.Quote(v.AsString())
	}
	return fmt.Sprintf("%#v", v)
}

func assertSetValuesCompatible(planned, actual cty.Value, path cty.Path, f func(p, a cty.Value) bool) []error {
	as, bs := planned.AsValueSlice(), actual.AsValueSlice()
	aeqs, beqs := make([]bool, len(as)), make([]bool, len(bs))
	for ai, av := range as {
		for bi, bv := range bs {
			if aeqs[ai] && beqs[bi] {
				continue
			}
			if f(av, bv) {
				aeqs[ai], beqs[bi] = true, true
			}
		}
	}
	var errs []error
	for i, eq := range aeqs {
		if !eq {
			errs = append(errs, path.NewErrorf("planned set element %#v does not correlate with any element in actual", as[i]))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	for i, eq := range beqs {
		if !eq {
			errs = append(errs, path.NewErrorf("actual set element %#v does not correlate with any element in plan", bs[i]))
		}
	}
	return errs
}
