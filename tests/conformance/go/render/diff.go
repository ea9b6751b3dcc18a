package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"tfconform/schema"
)

// action of one rendered value.
type act int

const (
	aNone act = iota
	aCreate
	aUpdate
	aDelete
)

func sym(a act) string {
	switch a {
	case aCreate:
		return "+"
	case aUpdate:
		return "~"
	case aDelete:
		return "-"
	}
	return " "
}

type differ struct {
	b            *strings.Builder
	replacePaths []cty.Path
	showAll      bool // create/delete: show every non-null attribute
}

func (d *differ) forcesReplacement(p cty.Path) bool {
	for _, rp := range d.replacePaths {
		if rp.Equals(p) {
			return true
		}
	}
	return false
}

func valueAct(before, after cty.Value) act {
	ub, _ := before.UnmarkDeep()
	ua, _ := after.UnmarkDeep()
	switch {
	case ub.IsKnown() && ub.IsNull() && ua.IsKnown() && ua.IsNull():
		return aNone
	case ub.IsKnown() && ub.IsNull() && !(ua.IsKnown() && ua.IsNull()):
		return aCreate
	case ua.IsKnown() && ua.IsNull() && !(ub.IsKnown() && ub.IsNull()):
		return aDelete
	case !ua.IsWhollyKnown() || !ub.IsWhollyKnown():
		if ua.RawEquals(ub) {
			return aNone
		}
		return aUpdate
	}
	if eq := ub.Equals(ua); eq.IsKnown() && eq.True() && before.HasSameMarks(after) {
		return aNone
	}
	return aUpdate
}

type attrLine struct {
	name string
	a    act
	val  string // rendered value text (may be multi-line)
	hide bool
}

// block renders the attributes and nested blocks of one object.
func (d *differ) block(s *schema.Block, before, after cty.Value, indent int, path cty.Path) {
	pad := strings.Repeat(" ", indent)
	get := func(v cty.Value, name string) cty.Value {
		uv, m := v.Unmark()
		if uv.IsNull() || !uv.IsKnown() {
			ty := s.ImpliedType().AttributeType(name)
			if !uv.IsKnown() {
				return cty.UnknownVal(ty).WithMarks(m)
			}
			return cty.NullVal(ty).WithMarks(m)
		}
		return uv.GetAttr(name).WithMarks(m)
	}
	var lines []attrLine
	hidden := 0
	width := 0
	for _, name := range schema.SortedKeys(s.Attributes) {
		a := s.Attributes[name]
		bv, av := get(before, name), get(after, name)
		p := appendPath(path, cty.GetAttrStep{Name: name})
		ac := valueAct(bv, av)
		if a.WriteOnly {
			// Write-only values are never in plan or state: nothing to show.
			continue
		}
		if ac == aNone && !d.showAll {
			if name == "id" || name == "name" || name == "tags" {
				if ub, _ := bv.UnmarkDeep(); !ub.IsNull() {
					lines = append(lines, attrLine{name: name, a: aNone, val: d.value(bv, av, indent+4, p, aNone)})
				}
				continue
			}
			if ub, _ := bv.UnmarkDeep(); !ub.IsNull() {
				hidden++
			}
			continue
		}
		if ac == aNone && d.showAll {
			if ub, _ := av.UnmarkDeep(); ub.IsKnown() && ub.IsNull() {
				continue
			}
		}
		if a.Sensitive {
			bv, av = bv.Mark(sensitiveMarkKey()), av.Mark(sensitiveMarkKey())
		}
		text := d.value(bv, av, indent+4, p, ac)
		if d.forcesReplacement(p) {
			text += " # forces replacement"
		}
		lines = append(lines, attrLine{name: name, a: ac, val: text})
	}
	for _, l := range lines {
		if len(l.name) > width {
			width = len(l.name)
		}
	}
	for _, l := range lines {
		fmt.Fprintf(d.b, "%s  %s %-*s = %s\n", pad, sym(l.a), width, l.name, l.val)
	}
	if hidden > 0 {
		word := "attributes"
		if hidden == 1 {
			word = "attribute"
		}
		fmt.Fprintf(d.b, "%s    # (%d unchanged %s hidden)\n", pad, hidden, word)
	}
	hiddenBlocks := 0
	// Terraform separates the attributes from the nested blocks with an empty line.
	lead := len(lines) > 0 || hidden > 0
	for _, name := range schema.SortedKeys(s.BlockTypes) {
		nb := s.BlockTypes[name]
		bv, av := get(before, name), get(after, name)
		p := appendPath(path, cty.GetAttrStep{Name: name})
		mark := d.b.Len()
		if lead {
			d.b.WriteString("\n")
		}
		n := d.nestedBlocks(name, nb, bv, av, indent, p)
		hiddenBlocks += n
		if d.b.Len() == mark+1 && lead {
			// nothing was printed for this block type: drop the separator again
			s := d.b.String()[:mark]
			d.b.Reset()
			d.b.WriteString(s)
		} else if d.b.Len() > mark {
			lead = true
		}
	}
	if hiddenBlocks > 0 {
		word := "blocks"
		if hiddenBlocks == 1 {
			word = "block"
		}
		fmt.Fprintf(d.b, "\n%s    # (%d unchanged %s hidden)\n", pad, hiddenBlocks, word)
	}
}

func (d *differ) nestedBlocks(name string, nb *schema.NestedBlock, before, after cty.Value, indent int, path cty.Path) int {
	pad := strings.Repeat(" ", indent)
	emit := func(label string, bv, av cty.Value, p cty.Path) int {
		ac := valueAct(bv, av)
		if ac == aNone && !d.showAll {
			return 1
		}
		ub, _ := av.UnmarkDeep()
		if ac == aNone && d.showAll && ub.IsKnown() && ub.IsNull() {
			return 0
		}
		if isSensitive(bv) || isSensitive(av) {
			fmt.Fprintf(d.b, "%s  %s %s%s {\n%s      # At least one attribute in this block is (or was) sensitive,\n%s      # so its contents will not be displayed.\n%s    }\n", pad, sym(ac), name, label, pad, pad, pad)
			return 0
		}
		fmt.Fprintf(d.b, "%s  %s %s%s {", pad, sym(ac), name, label)
		if d.forcesReplacement(p) {
			d.b.WriteString(" # forces replacement")
		}
		d.b.WriteString("\n")
		sub := &differ{b: d.b, replacePaths: d.replacePaths, showAll: d.showAll || ac == aCreate || ac == aDelete}
		sub.block(&nb.Block, bv, av, indent+4, p)
		fmt.Fprintf(d.b, "%s    }\n", pad)
		return 0
	}
	ub, _ := before.UnmarkDeep()
	ua, _ := after.UnmarkDeep()
	if !ua.IsKnown() {
		fmt.Fprintf(d.b, "%s  %s %s {\n%s      %s\n%s    }\n", pad, sym(aUpdate), name, pad, unknownText, pad)
		return 0
	}
	switch nb.Nesting {
	case schema.NestingSingle, schema.NestingGroup:
		return emit("", before, after, path)
	case schema.NestingList, schema.NestingSet:
		hidden := 0
		bs, as := elems(ub), elems(ua)
		if nb.Nesting == schema.NestingList {
			n := len(bs)
			if len(as) > n {
				n = len(as)
			}
			for i := 0; i < n; i++ {
				bv, av := cty.NullVal(nb.Block.ImpliedType()), cty.NullVal(nb.Block.ImpliedType())
				if i < len(bs) {
					bv = bs[i]
				}
				if i < len(as) {
					av = as[i]
				}
				hidden += emit("", bv, av, appendPath(path, cty.IndexStep{Key: cty.NumberIntVal(int64(i))}))
			}
			return hidden
		}
		for _, pair := range pairSet(bs, as, nb.Block.ImpliedType()) {
			hidden += emit("", pair[0], pair[1], path)
		}
		return hidden
	case schema.NestingMap:
		keys := map[string]bool{}
		bm, am := mapOf(ub), mapOf(ua)
		for k := range bm {
			keys[k] = true
		}
		for k := range am {
			keys[k] = true
		}
		hidden := 0
		for _, k := range schema.SortedKeys(keys) {
			bv, ok := bm[k]
			if !ok {
				bv = cty.NullVal(nb.Block.ImpliedType())
			}
			av, ok := am[k]
			if !ok {
				av = cty.NullVal(nb.Block.ImpliedType())
			}
			hidden += emit(" "+strconv.Quote(k), bv, av, appendPath(path, cty.IndexStep{Key: cty.StringVal(k)}))
		}
		return hidden
	}
	return 0
}

func elems(v cty.Value) []cty.Value {
	if v.IsNull() || !v.IsKnown() {
		return nil
	}
	var out []cty.Value
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e)
	}
	return out
}

func mapOf(v cty.Value) map[string]cty.Value {
	out := map[string]cty.Value{}
	if v.IsNull() || !v.IsKnown() {
		return out
	}
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		out[k.AsString()] = e
	}
	return out
}

// pairSet pairs equal set elements; the rest are removed or added.
func pairSet(bs, as []cty.Value, ty cty.Type) [][2]cty.Value {
	used := make([]bool, len(as))
	var out [][2]cty.Value
	for _, b := range bs {
		found := false
		for j, a := range as {
			if !used[j] && b.RawEquals(a) {
				used[j], found = true, true
				out = append(out, [2]cty.Value{b, a})
				break
			}
		}
		if !found {
			out = append(out, [2]cty.Value{b, cty.NullVal(ty)})
		}
	}
	for j, a := range as {
		if !used[j] {
			out = append(out, [2]cty.Value{cty.NullVal(ty), a})
		}
	}
	return out
}

// value renders the right-hand side of an attribute line.
func (d *differ) value(before, after cty.Value, indent int, path cty.Path, a act) string {
	if isSensitive(before) || isSensitive(after) {
		if a == aDelete {
			return sensitiveText + " -> null"
		}
		return sensitiveText
	}
	before, _ = before.Unmark()
	after, _ = after.Unmark()
	switch a {
	case aCreate:
		return d.single(after, indent, aCreate)
	case aDelete:
		if before.Type().IsPrimitiveType() || !before.IsKnown() {
			return d.single(before, indent, aDelete) + " -> null"
		}
		return d.single(before, indent, aDelete) + " -> null"
	case aNone:
		return d.single(after, indent, aNone)
	}
	// update
	if !after.IsKnown() {
		if before.IsNull() {
			return unknownText
		}
		return d.single(before, indent, aNone) + " -> " + unknownText
	}
	ty := after.Type()
	switch {
	case ty.IsPrimitiveType() || !before.IsKnown():
		return d.single(before, indent, aNone) + " -> " + d.single(after, indent, aNone)
	case ty.IsListType() || ty.IsTupleType():
		return d.listDiff(elems(before), elems(after), indent, path)
	case ty.IsSetType():
		return d.setDiff(elems(before), elems(after), indent, path)
	case ty.IsMapType() || ty.IsObjectType():
		return d.mapDiff(before, after, indent, path, ty.IsMapType())
	}
	return d.single(before, indent, aNone) + " -> " + d.single(after, indent, aNone)
}

// single renders one value whose parts all share the action a ("+" inside created objects).
func (d *differ) single(v cty.Value, indent int, a act) string {
	if isSensitive(v) {
		return sensitiveText
	}
	v, _ = v.Unmark()
	switch {
	case !v.IsKnown():
		return unknownText
	case v.IsNull():
		return "null"
	case v.Type().IsPrimitiveType():
		return primitive(v)
	}
	pad := strings.Repeat(" ", indent)
	s := sym(a)
	ty := v.Type()
	var b strings.Builder
	switch {
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		if v.LengthInt() == 0 {
			return "[]"
		}
		b.WriteString("[\n")
		for _, e := range elems(v) {
			fmt.Fprintf(&b, "%s  %s %s,\n", pad, s, d.single(e, indent+4, a))
		}
		fmt.Fprintf(&b, "%s]", pad)
	case ty.IsMapType() || ty.IsObjectType():
		m := mapOf(v)
		if len(m) == 0 {
			return "{}"
		}
		keys := schema.SortedKeys(m)
		width := 0
		names := map[string]string{}
		for _, k := range keys {
			n := k
			if ty.IsMapType() || !validIdent(k) {
				n = strconv.Quote(k)
			}
			if a == aNone || a == aCreate || a == aDelete {
				if mv, _ := m[k].Unmark(); mv.IsKnown() && mv.IsNull() && ty.IsObjectType() {
					continue
				}
			}
			names[k] = n
			if len(n) > width {
				width = len(n)
			}
		}
		b.WriteString("{\n")
		for _, k := range keys {
			if _, ok := names[k]; !ok {
				continue
			}
			fmt.Fprintf(&b, "%s  %s %-*s = %s\n", pad, s, width, names[k], d.single(m[k], indent+4, a))
		}
		fmt.Fprintf(&b, "%s}", pad)
	default:
		return fmt.Sprintf("%#v", v)
	}
	return b.String()
}

func (d *differ) listDiff(bs, as []cty.Value, indent int, path cty.Path) string {
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString("[\n")
	hidden := 0
	flush := func() {
		if hidden == 0 {
			return
		}
		word := "elements"
		if hidden == 1 {
			word = "element"
		}
		fmt.Fprintf(&b, "%s    # (%d unchanged %s hidden)\n", pad, hidden, word)
		hidden = 0
	}
	// Unchanged elements are collapsed where they are, as Terraform's list renderer does.
	for _, op := range lcsDiff(bs, as) {
		switch {
		case op.b != cty.NilVal && op.a != cty.NilVal:
			ac := valueAct(op.b, op.a)
			if ac == aNone {
				hidden++
				continue
			}
			flush()
			fmt.Fprintf(&b, "%s  %s %s,\n", pad, sym(ac), d.value(op.b, op.a, indent+4, path, ac))
		case op.a != cty.NilVal:
			flush()
			fmt.Fprintf(&b, "%s  + %s,\n", pad, d.single(op.a, indent+4, aCreate))
		default:
			flush()
			fmt.Fprintf(&b, "%s  - %s,\n", pad, d.single(op.b, indent+4, aDelete))
		}
	}
	flush()
	fmt.Fprintf(&b, "%s]", pad)
	return b.String()
}

func (d *differ) setDiff(bs, as []cty.Value, indent int, path cty.Path) string {
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString("[\n")
	hidden := 0
	ty := cty.DynamicPseudoType
	if len(as) > 0 {
		ty = as[0].Type()
	} else if len(bs) > 0 {
		ty = bs[0].Type()
	}
	for _, pair := range pairSet(bs, as, ty) {
		switch {
		case !pair[0].IsNull() && !pair[1].IsNull():
			hidden++
		case !pair[1].IsNull():
			fmt.Fprintf(&b, "%s  + %s,\n", pad, d.single(pair[1], indent+4, aCreate))
		default:
			fmt.Fprintf(&b, "%s  - %s,\n", pad, d.single(pair[0], indent+4, aDelete))
		}
	}
	if hidden > 0 {
		word := "elements"
		if hidden == 1 {
			word = "element"
		}
		fmt.Fprintf(&b, "%s    # (%d unchanged %s hidden)\n", pad, hidden, word)
	}
	fmt.Fprintf(&b, "%s]", pad)
	return b.String()
}

func (d *differ) mapDiff(before, after cty.Value, indent int, path cty.Path, isMap bool) string {
	pad := strings.Repeat(" ", indent)
	bm, am := mapOf(before), mapOf(after)
	keys := map[string]bool{}
	for k := range bm {
		keys[k] = true
	}
	for k := range am {
		keys[k] = true
	}
	type line struct {
		name, text string
		a          act
	}
	var lines []line
	hidden := 0
	width := 0
	for _, k := range schema.SortedKeys(keys) {
		bv, bok := bm[k]
		av, aok := am[k]
		if !bok {
			bv = cty.NullVal(av.Type())
		}
		if !aok {
			av = cty.NullVal(bv.Type())
		}
		ac := valueAct(bv, av)
		if ac == aNone {
			hidden++
			continue
		}
		n := k
		if isMap || !validIdent(k) {
			n = strconv.Quote(k)
		}
		lines = append(lines, line{n, d.value(bv, av, indent+4, appendPath(path, cty.GetAttrStep{Name: k}), ac), ac})
		if len(n) > width {
			width = len(n)
		}
	}
	var b strings.Builder
	b.WriteString("{\n")
	for _, l := range lines {
		fmt.Fprintf(&b, "%s  %s %-*s = %s\n", pad, sym(l.a), width, l.name, l.text)
	}
	if hidden > 0 {
		word := "elements"
		if !isMap {
			word = "attributes"
		}
		if hidden == 1 {
			word = strings.TrimSuffix(word, "s")
		}
		fmt.Fprintf(&b, "%s    # (%d unchanged %s hidden)\n", pad, hidden, word)
	}
	fmt.Fprintf(&b, "%s}", pad)
	return b.String()
}

type diffOp struct{ b, a cty.Value }

// lcsDiff aligns two sequences by their longest common subsequence (as Terraform's list diff
// does); elements at the same position that differ are shown as an update.
func lcsDiff(bs, as []cty.Value) []diffOp {
	n, m := len(bs), len(as)
	eq := func(i, j int) bool { return bs[i].RawEquals(as[j]) }
	l := make([][]int, n+1)
	for i := range l {
		l[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if eq(i, j) {
				l[i][j] = l[i+1][j+1] + 1
			} else if l[i+1][j] >= l[i][j+1] {
				l[i][j] = l[i+1][j]
			} else {
				l[i][j] = l[i][j+1]
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && eq(i, j):
			ops = append(ops, diffOp{bs[i], as[j]})
			i++
			j++
		case i < n && j < m && l[i+1][j] == l[i][j+1] && bs[i].Type().IsObjectType():
			// same slot changed in place: an update of the element
			ops = append(ops, diffOp{bs[i], as[j]})
			i++
			j++
		case j < m && (i == n || l[i][j+1] >= l[i+1][j]):
			ops = append(ops, diffOp{cty.NilVal, as[j]})
			j++
		default:
			ops = append(ops, diffOp{bs[i], cty.NilVal})
			i++
		}
	}
	return ops
}

func appendPath(p cty.Path, s cty.PathStep) cty.Path {
	r := make(cty.Path, len(p), len(p)+1)
	copy(r, p)
	return append(r, s)
}

var _ = sort.Strings
