package schema

import (
	"fmt"
	"regexp"
)

// Terraform runs InternalValidate on every schema it loads (notes/tfplugin6.md 1.4; rules of
// configschema/internal_validate.go). The texts below are Terraform's.
var validName = regexp.MustCompile(`^[a-z0-9_]+$`)

// InternalValidate returns every problem found (empty: valid).
func (b *Block) InternalValidate() []error {
	if b == nil {
		return []error{fmt.Errorf("top-level block schema is nil")}
	}
	return b.internalValidate("")
}

func (b *Block) internalValidate(prefix string) []error {
	var errs []error
	for _, name := range sortedKeys(b.Attributes) {
		a := b.Attributes[name]
		if a == nil {
			errs = append(errs, fmt.Errorf("%s%s: attribute schema is nil", prefix, name))
			continue
		}
		errs = append(errs, a.internalValidate(name, prefix)...)
	}
	for _, name := range sortedKeys(b.BlockTypes) {
		nb := b.BlockTypes[name]
		if nb == nil {
			errs = append(errs, fmt.Errorf("%s%s: block schema is nil", prefix, name))
			continue
		}
		if _, isAttr := b.Attributes[name]; isAttr {
			errs = append(errs, fmt.Errorf("%s%s: name defined as both attribute and child block type", prefix, name))
		} else if !validName.MatchString(name) {
			errs = append(errs, fmt.Errorf("%s%s: name may contain only lowercase letters, digits and underscores", prefix, name))
		}
		if nb.MinItems < 0 || nb.MaxItems < 0 {
			errs = append(errs, fmt.Errorf("%s%s: MinItems and MaxItems must both be greater than zero", prefix, name))
		}
		switch nb.Nesting {
		case NestingSingle:
			switch {
			case nb.MinItems != nb.MaxItems:
				errs = append(errs, fmt.Errorf("%s%s: MinItems and MaxItems must match in NestingSingle mode", prefix, name))
			case nb.MinItems < 0 || nb.MinItems > 1:
				errs = append(errs, fmt.Errorf("%s%s: MinItems and MaxItems must be set to either 0 or 1 in NestingSingle mode", prefix, name))
			}
		case NestingGroup:
			if nb.MinItems != 0 || nb.MaxItems != 0 {
				errs = append(errs, fmt.Errorf("%s%s: MinItems and MaxItems cannot be used in NestingGroup mode", prefix, name))
			}
		case NestingList, NestingSet:
			if nb.MinItems > nb.MaxItems && nb.MaxItems != 0 {
				errs = append(errs, fmt.Errorf("%s%s: MinItems must be less than or equal to MaxItems in %s mode", prefix, name, nb.Nesting))
			}
			if nb.Nesting == NestingSet {
				if nb.Block.ImpliedType().HasDynamicTypes() {
					errs = append(errs, fmt.Errorf("%s%s: NestingSet blocks may not contain attributes of cty.DynamicPseudoType", prefix, name))
				}
				if nb.Block.ContainsWriteOnly() {
					errs = append(errs, fmt.Errorf("%s%s: NestingSet blocks may not contain WriteOnly attributes", prefix, name))
				}
			}
		case NestingMap:
			if nb.MinItems != 0 || nb.MaxItems != 0 {
				errs = append(errs, fmt.Errorf("%s%s: MinItems and MaxItems must both be 0 in NestingMap mode", prefix, name))
			}
		default:
			errs = append(errs, fmt.Errorf("%s%s: invalid nesting mode %s", prefix, name, nb.Nesting))
		}
		errs = append(errs, nb.Block.internalValidate(prefix+name+".")...)
	}
	return errs
}

func (a *Attribute) internalValidate(name, prefix string) []error {
	var errs []error
	if !a.Optional && !a.Required && !a.Computed {
		errs = append(errs, fmt.Errorf("%s%s: must set Optional, Required or Computed", prefix, name))
	}
	if a.Optional && a.Required {
		errs = append(errs, fmt.Errorf("%s%s: cannot set both Optional and Required", prefix, name))
	}
	if a.Computed && a.Required {
		errs = append(errs, fmt.Errorf("%s%s: cannot set both Computed and Required", prefix, name))
	}
	if a.Type == NilType() && a.NestedType == nil {
		errs = append(errs, fmt.Errorf("%s%s: either Type or NestedType must be defined", prefix, name))
	}
	if a.Type != NilType() && a.NestedType != nil {
		errs = append(errs, fmt.Errorf("%s: Type and NestedType cannot both be set", name))
	}
	if a.NestedType != nil {
		switch a.NestedType.Nesting {
		case NestingSingle, NestingMap:
		case NestingList, NestingSet:
			if a.NestedType.Nesting == NestingSet {
				if a.ImpliedType().HasDynamicTypes() {
					errs = append(errs, fmt.Errorf("%s%s: NestingSet attributes may not contain attributes of cty.DynamicPseudoType", prefix, name))
				}
				if a.NestedType.ContainsWriteOnly() {
					errs = append(errs, fmt.Errorf("%s%s: NestingSet attributes may not contain WriteOnly attributes", prefix, name))
				}
			}
		default:
			errs = append(errs, fmt.Errorf("%s%s: invalid nesting mode %s", prefix, name, a.NestedType.Nesting))
		}
		for _, n := range sortedKeys(a.NestedType.Attributes) {
			na := a.NestedType.Attributes[n]
			if na == nil {
				errs = append(errs, fmt.Errorf("%s%s: attribute schema is nil", prefix, n))
				continue
			}
			errs = append(errs, na.internalValidate(n, prefix)...)
		}
	}
	return errs
}
