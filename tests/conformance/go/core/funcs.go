package core

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"tfconform/schema"
)

// Functions is the function table of the configuration language: cty's stdlib plus the Terraform
// functions users of this provider need (Terraform internal/lang/functions.go). During planning
// the impure functions (timestamp, uuid) return unknown values, as in Terraform.
func Functions(baseDir string, planning bool) map[string]function.Function {
	fs := map[string]function.Function{
		"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "floor": stdlib.FloorFunc, "log": stdlib.LogFunc,
		"max": stdlib.MaxFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc, "pow": stdlib.PowFunc,
		"signum": stdlib.SignumFunc,
		"chomp": stdlib.ChompFunc, "format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
		"indent": stdlib.IndentFunc, "join": stdlib.JoinFunc, "lower": stdlib.LowerFunc, "regex": stdlib.RegexFunc,
		"regexall": stdlib.RegexAllFunc, "split": stdlib.SplitFunc, "strrev": stdlib.ReverseFunc,
		"substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc, "trim": stdlib.TrimFunc,
		"trimprefix": stdlib.TrimPrefixFunc, "trimsuffix": stdlib.TrimSuffixFunc, "trimspace": stdlib.TrimSpaceFunc,
		"upper": stdlib.UpperFunc,
		"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc, "coalescelist": stdlib.CoalesceListFunc,
		"compact": stdlib.CompactFunc, "concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
		"distinct": stdlib.DistinctFunc, "element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc,
		"keys": stdlib.KeysFunc, "lookup": stdlib.LookupFunc, "merge": stdlib.MergeFunc, "range": stdlib.RangeFunc,
		"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
		"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc, "setunion": stdlib.SetUnionFunc,
		"slice": stdlib.SliceFunc, "sort": stdlib.SortFunc, "values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
		"csvdecode": stdlib.CSVDecodeFunc, "jsondecode": stdlib.JSONDecodeFunc, "jsonencode": stdlib.JSONEncodeFunc,
		"formatdate": stdlib.FormatDateFunc, "timeadd": stdlib.TimeAddFunc,
		"tobool": stdlib.MakeToFunc(cty.Bool), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tostring": stdlib.MakeToFunc(cty.String), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
	}
	str1 := func(f func(string) (cty.Value, error)) function.Function {
		return function.New(&function.Spec{
			Params: []function.Parameter{{Name: "str", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl:   func(args []cty.Value, _ cty.Type) (cty.Value, error) { return f(args[0].AsString()) },
		})
	}
	hash := func(h func([]byte) []byte) function.Function {
		return str1(func(s string) (cty.Value, error) { return cty.StringVal(hex.EncodeToString(h([]byte(s)))), nil })
	}
	fs["length"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowDynamicType: true, AllowUnknown: true}},
		Type: func(args []cty.Value) (cty.Type, error) {
			ty := args[0].Type()
			if ty == cty.String || ty.IsCollectionType() || ty.IsTupleType() || ty.IsObjectType() || ty == cty.DynamicPseudoType {
				return cty.Number, nil
			}
			return cty.NilType, function.NewArgErrorf(0, "argument must be a string, a collection type, or a structural type")
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v := args[0]
			switch {
			case !v.IsKnown():
				return cty.UnknownVal(cty.Number), nil
			case v.Type() == cty.String:
				return stdlib.Strlen(v)
			case v.Type().IsObjectType():
				return cty.NumberIntVal(int64(len(v.Type().AttributeTypes()))), nil
			}
			return v.Length(), nil
		},
	})
	// Terraform's coalesce also skips empty strings (cty's only skips nulls).
	fs["coalesce"] = function.New(&function.Spec{
		VarParam: &function.Parameter{Name: "vals", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowDynamicType: true, AllowNull: true},
		Type: func(args []cty.Value) (cty.Type, error) {
			var tys []cty.Type
			for _, a := range args {
				tys = append(tys, a.Type())
			}
			ret, _ := convert.UnifyUnsafe(tys)
			if ret == cty.NilType {
				return cty.NilType, fmt.Errorf("all arguments must have the same type")
			}
			return ret, nil
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			for _, a := range args {
				if !a.IsKnown() {
					return cty.UnknownVal(retType), nil
				}
				if a.IsNull() {
					continue
				}
				v, err := convert.Convert(a, retType)
				if err != nil {
					return cty.UnknownVal(retType), err
				}
				if v.Type() == cty.String && v.AsString() == "" {
					continue
				}
				return v, nil
			}
			return cty.NilVal, fmt.Errorf("no non-null, non-empty-string arguments")
		},
	})
	fs["replace"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: "substr", Type: cty.String}, {Name: "replace", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			str, sub, rep := args[0].AsString(), args[1].AsString(), args[2].AsString()
			// Terraform: a substring wrapped in slashes is a regular expression.
			if len(sub) > 1 && sub[0] == '/' && sub[len(sub)-1] == '/' {
				re, err := regexp.Compile(sub[1 : len(sub)-1])
				if err != nil {
					return cty.UnknownVal(cty.String), err
				}
				return cty.StringVal(re.ReplaceAllString(str, rep)), nil
			}
			return cty.StringVal(strings.Replace(str, sub, rep, -1)), nil
		},
	})
	fs["index"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}, {Name: "value", Type: cty.DynamicPseudoType}},
		Type:   function.StaticReturnType(cty.Number),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			l := args[0]
			if !(l.Type().IsListType() || l.Type().IsTupleType()) {
				return cty.NilVal, function.NewArgErrorf(0, "argument must be a list or tuple")
			}
			for it := l.ElementIterator(); it.Next(); {
				i, v := it.Element()
				if eq := v.Equals(args[1]); eq.IsKnown() && eq.True() {
					return i, nil
				}
			}
			return cty.NilVal, fmt.Errorf("item not found")
		},
	})
	boolAgg := func(all bool) function.Function {
		return function.New(&function.Spec{
			Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
			Type:   function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				for it := args[0].ElementIterator(); it.Next(); {
					_, v := it.Element()
					if !v.IsKnown() {
						return cty.UnknownVal(cty.Bool), nil
					}
					if v.IsNull() {
						if all {
							return cty.False, nil
						}
						continue
					}
					if v.True() != all {
						return cty.BoolVal(!all), nil
					}
				}
				return cty.BoolVal(all), nil
			},
		})
	}
	fs["alltrue"], fs["anytrue"] = boolAgg(true), boolAgg(false)
	fs["sum"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
		Type:   function.StaticReturnType(cty.Number),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			total := cty.Zero
			n := 0
			for it := args[0].ElementIterator(); it.Next(); {
				_, v := it.Element()
				nv, err := convert.Convert(v, cty.Number)
				if err != nil {
					return cty.NilVal, err
				}
				total = total.Add(nv)
				n++
			}
			if n == 0 {
				return cty.NilVal, fmt.Errorf("cannot sum an empty list")
			}
			return total, nil
		},
	})
	fs["one"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "list", Type: cty.DynamicPseudoType}},
		Type: func(args []cty.Value) (cty.Type, error) {
			ty := args[0].Type()
			switch {
			case ty.IsListType() || ty.IsSetType():
				return ty.ElementType(), nil
			case ty.IsTupleType():
				if len(ty.TupleElementTypes()) == 0 {
					return cty.DynamicPseudoType, nil
				}
				return ty.TupleElementTypes()[0], nil
			}
			return cty.NilType, function.NewArgErrorf(0, "must be a list, set, or tuple value with either zero or one elements")
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			v := args[0]
			if v.LengthInt() == 0 {
				return cty.NullVal(retType), nil
			}
			if v.LengthInt() > 1 {
				return cty.NilVal, function.NewArgErrorf(0, "must be a list, set, or tuple value with either zero or one elements")
			}
			var ret cty.Value
			for it := v.ElementIterator(); it.Next(); {
				_, ret = it.Element()
			}
			return ret, nil
		},
	})
	strPred := func(f func(a, b string) bool, p2 string) function.Function {
		return function.New(&function.Spec{
			Params: []function.Parameter{{Name: "str", Type: cty.String}, {Name: p2, Type: cty.String}},
			Type:   function.StaticReturnType(cty.Bool),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
			},
		})
	}
	fs["startswith"] = strPred(strings.HasPrefix, "prefix")
	fs["endswith"] = strPred(strings.HasSuffix, "suffix")
	fs["strcontains"] = strPred(strings.Contains, "substr")
	fs["base64encode"] = str1(func(s string) (cty.Value, error) { return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(s))), nil })
	fs["base64decode"] = str1(func(s string) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("failed to decode base64 data %q", s)
		}
		if !utf8.Valid(b) {
			return cty.UnknownVal(cty.String), fmt.Errorf("the result of decoding the provided string is not valid UTF-8")
		}
		return cty.StringVal(string(b)), nil
	})
	fs["urlencode"] = str1(func(s string) (cty.Value, error) { return cty.StringVal(url.QueryEscape(s)), nil })
	fs["md5"] = hash(func(b []byte) []byte { h := md5.Sum(b); return h[:] })
	fs["sha1"] = hash(func(b []byte) []byte { h := sha1.Sum(b); return h[:] })
	fs["sha256"] = hash(func(b []byte) []byte { h := sha256.Sum256(b); return h[:] })
	fs["sha512"] = hash(func(b []byte) []byte { h := sha512.Sum512(b); return h[:] })
	fs["basename"] = str1(func(s string) (cty.Value, error) { return cty.StringVal(filepath.Base(s)), nil })
	fs["dirname"] = str1(func(s string) (cty.Value, error) { return cty.StringVal(filepath.Dir(s)), nil })
	fs["abspath"] = str1(func(s string) (cty.Value, error) {
		a, err := filepath.Abs(s)
		return cty.StringVal(filepath.ToSlash(a)), err
	})
	fs["pathexpand"] = str1(func(s string) (cty.Value, error) {
		if strings.HasPrefix(s, "~") {
			home, _ := os.UserHomeDir()
			s = home + s[1:]
		}
		return cty.StringVal(s), nil
	})
	resolve := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(baseDir, p)
	}
	fs["file"] = str1(func(s string) (cty.Value, error) {
		b, err := os.ReadFile(resolve(s))
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("no file exists at %q; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource", s)
		}
		if !utf8.Valid(b) {
			return cty.UnknownVal(cty.String), fmt.Errorf("contents of %q are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead", s)
		}
		return cty.StringVal(string(b)), nil
	})
	fs["fileexists"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			st, err := os.Stat(resolve(args[0].AsString()))
			return cty.BoolVal(err == nil && st.Mode().IsRegular()), nil
		},
	})
	fs["templatefile"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "vars", Type: cty.DynamicPseudoType}},
		Type:   function.StaticReturnType(cty.DynamicPseudoType),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			b, err := os.ReadFile(resolve(p))
			if err != nil {
				return cty.DynamicVal, fmt.Errorf("no file exists at %q", p)
			}
			expr, hd := hclsyntax.ParseTemplate(b, p, hcl.Pos{Line: 1, Column: 1})
			if hd.HasErrors() {
				return cty.DynamicVal, hd
			}
			vars := map[string]cty.Value{}
			if v := args[1]; !v.IsNull() && (v.Type().IsObjectType() || v.Type().IsMapType()) {
				for it := v.ElementIterator(); it.Next(); {
					k, ev := it.Element()
					vars[k.AsString()] = ev
				}
			}
			ctx := &hcl.EvalContext{Variables: vars, Functions: Functions(baseDir, planning)}
			val, hd := expr.Value(ctx)
			if hd.HasErrors() {
				return cty.DynamicVal, hd
			}
			return val, nil
		},
	})
	impure := func(f func() cty.Value) function.Function {
		return function.New(&function.Spec{
			Type: function.StaticReturnType(cty.String),
			Impl: func(_ []cty.Value, _ cty.Type) (cty.Value, error) {
				if planning {
					return cty.UnknownVal(cty.String), nil
				}
				return f(), nil
			},
		})
	}
	fs["timestamp"] = impure(func() cty.Value { return cty.StringVal(time.Now().UTC().Format(time.RFC3339)) })
	fs["uuid"] = impure(func() cty.Value {
		var b [16]byte
		rand.Read(b[:])
		b[6] = (b[6] & 0x0f) | 0x40
		b[8] = (b[8] & 0x3f) | 0x80
		return cty.StringVal(fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16]))
	})
	fs["sensitive"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true}},
		Type:   func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return args[0].Mark(schema.Sensitive), nil
		},
	})
	fs["nonsensitive"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true}},
		Type:   func(args []cty.Value) (cty.Type, error) { return args[0].Type(), nil },
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			v, marks := args[0].Unmark()
			delete(marks, schema.Sensitive)
			return v.WithMarks(marks), nil
		},
	})
	fs["issensitive"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "value", Type: cty.DynamicPseudoType, AllowUnknown: true, AllowNull: true, AllowMarked: true, AllowDynamicType: true}},
		Type:   function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(args[0].HasMark(schema.Sensitive)), nil
		},
	})
	return fs
}
