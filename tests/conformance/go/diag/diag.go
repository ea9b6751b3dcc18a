// Package diag is tfconform's tfdiags: diagnostics with an optional source range, resource address
// and attribute path, the formatting helpers Terraform uses inside its messages (FormatCtyPath,
// FormatError, FormatErrorPrefixed) and the two renderers (boxed/coloured and -no-color plain,
// Terraform internal/command/format/diagnostic.go) plus the JSON form (-json).
package diag

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

type Severity int

const (
	Error Severity = iota + 1
	Warning
)

type Diagnostic struct {
	Severity Severity
	Summary  string
	Detail   string
	// Subject is the source range the diagnostic is about (nil: sourceless).
	Subject *hcl.Range
	// Address is the resource instance the diagnostic is about ("with <addr>,").
	Address string
	// AttrPath is the attribute path a provider diagnostic referred to; InConfigBody turns it into
	// a Subject (Terraform tfdiags.AttributeValue).
	AttrPath cty.Path
	// fromProvider marks diagnostics that still need InConfigBody elaboration.
	fromProvider bool
	wholeBody    bool
}

type Diagnostics []*Diagnostic

func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

func (ds Diagnostics) Append(more ...interface{}) Diagnostics {
	for _, m := range more {
		switch v := m.(type) {
		case nil:
		case *Diagnostic:
			ds = append(ds, v)
		case Diagnostics:
			ds = append(ds, v...)
		case hcl.Diagnostics:
			ds = append(ds, FromHCL(v)...)
		case *hcl.Diagnostic:
			ds = append(ds, FromHCL(hcl.Diagnostics{v})...)
		case error:
			ds = append(ds, &Diagnostic{Severity: Error, Summary: FormatError(v)})
		default:
			panic(fmt.Sprintf("diag.Append: unsupported %T", m))
		}
	}
	return ds
}

func Sourceless(sev Severity, summary, detail string) *Diagnostic {
	return &Diagnostic{Severity: sev, Summary: summary, Detail: detail}
}

// Errorf is a sourceless error diagnostic whose summary is the formatted text.
func Errorf(format string, args ...interface{}) *Diagnostic {
	return &Diagnostic{Severity: Error, Summary: fmt.Sprintf(format, args...)}
}

func FromHCL(hds hcl.Diagnostics) Diagnostics {
	var ret Diagnostics
	for _, hd := range hds {
		d := &Diagnostic{Summary: hd.Summary, Detail: hd.Detail, Subject: hd.Subject}
		if hd.Severity == hcl.DiagWarning {
			d.Severity = Warning
		} else {
			d.Severity = Error
		}
		ret = append(ret, d)
	}
	return ret
}

// FromProvider builds a diagnostic from a provider response (Terraform convert.ProtoToDiagnostics):
// with an attribute path it is an AttributeValue diagnostic, without one a WholeContainingBody one.
// INVALID severity maps to neither error nor warning (notes/tfplugin6.md 4.9); we keep it as a
// warning-like entry with severity 0 so it is shown but does not fail the run.
func FromProvider(sev Severity, summary, detail string, path cty.Path) *Diagnostic {
	return &Diagnostic{Severity: sev, Summary: summary, Detail: detail, AttrPath: path,
		fromProvider: true, wholeBody: path == nil}
}

// InConfigBody attaches provider diagnostics to the configuration they are about: the resource
// address ("with ...") and the source range of the attribute path, or of the block
// (Terraform Diagnostics.InConfigBody / attributeDiagnostic.ElaborateFromConfigBody).
func (ds Diagnostics) InConfigBody(body hcl.Body, addr string) Diagnostics {
	ret := make(Diagnostics, len(ds))
	for i, d := range ds {
		if !d.fromProvider || body == nil {
			ret[i] = d
			continue
		}
		nd := *d
		if nd.Address == "" {
			nd.Address = addr
		}
		if nd.Subject == nil {
			rng := elaborate(body, d.AttrPath)
			nd.Subject = &rng
		}
		ret[i] = &nd
	}
	return ret
}

func elaborate(body hcl.Body, path cty.Path) hcl.Range {
	if len(path) == 0 {
		return body.MissingItemRange()
	}
	if _, isIdx := path[0].(cty.IndexStep); isIdx {
		return body.MissingItemRange()
	}
	traverse := path
	final := path[len(path)-1]
	if _, hasIdx := final.(cty.IndexStep); hasIdx && len(path) >= 2 {
		final = path[len(path)-2]
		traverse = path[:len(path)-1]
	}
	// Walk nested blocks for all but the last attribute step.
	for i := 0; i < len(traverse)-1; i++ {
		ga, ok := traverse[i].(cty.GetAttrStep)
		if !ok {
			continue
		}
		content, _, _ := body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: ga.Name}}})
		var blocks hcl.Blocks
		if content != nil {
			blocks = content.Blocks.OfType(ga.Name)
		}
		if len(blocks) == 0 {
			break
		}
		idx := 0
		if i+1 < len(traverse) {
			if is, ok := traverse[i+1].(cty.IndexStep); ok && is.Key.Type() == cty.Number && is.Key.IsKnown() {
				n, _ := is.Key.AsBigFloat().Int64()
				if int(n) < len(blocks) {
					idx = int(n)
				}
			}
		}
		body = blocks[idx].Body
	}
	rng := body.MissingItemRange()
	ga, ok := final.(cty.GetAttrStep)
	if !ok {
		return rng
	}
	content, _, diags := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: ga.Name, Required: true}}})
	if diags.HasErrors() || content == nil {
		return rng
	}
	if attr, ok := content.Attributes[ga.Name]; ok {
		return attr.Expr.Range()
	}
	return rng
}

// ---------------------------------------------------------------- Terraform's message helpers

// FormatCtyPath renders a cty.Path like `.models[0].name` (tfdiags.FormatCtyPath).
func FormatCtyPath(path cty.Path) string {
	var buf bytes.Buffer
	for _, step := range path {
		switch ts := step.(type) {
		case cty.GetAttrStep:
			fmt.Fprintf(&buf, ".%s", ts.Name)
		case cty.IndexStep:
			buf.WriteByte('[')
			key := ts.Key
			switch {
			case key.IsNull():
				buf.WriteString("null")
			case !key.IsKnown():
				buf.WriteString("(not yet known)")
			case key.Type() == cty.Number:
				buf.WriteString(key.AsBigFloat().Text('g', -1))
			case key.Type() == cty.String:
				buf.WriteString(strconv.Quote(key.AsString()))
			default:
				buf.WriteString("...")
			}
			buf.WriteByte(']')
		}
	}
	return buf.String()
}

// FormatError renders an error, with its path prefix when it is a cty.PathError.
func FormatError(err error) string {
	perr, ok := err.(cty.PathError)
	if !ok || len(perr.Path) == 0 {
		return err.Error()
	}
	return fmt.Sprintf("%s: %s", FormatCtyPath(perr.Path), perr.Error())
}

// FormatErrorPrefixed is FormatError with the path appended to prefix (an address).
func FormatErrorPrefixed(err error, prefix string) string {
	perr, ok := err.(cty.PathError)
	if !ok || len(perr.Path) == 0 {
		return fmt.Sprintf("%s: %s", prefix, err.Error())
	}
	return fmt.Sprintf("%s%s: %s", prefix, FormatCtyPath(perr.Path), perr.Error())
}

// Sort orders diagnostics deterministically (walks run concurrently): sourceless ones first in
// their original order, then by file and position.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i].Subject, ds[j].Subject
		switch {
		case a == nil && b == nil:
			return false
		case a == nil:
			return true
		case b == nil:
			return false
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		default:
			return a.Start.Byte < b.Start.Byte
		}
	})
}

// Dedup drops exact repeats (several instances reporting the same problem).
func (ds Diagnostics) Dedup() Diagnostics {
	seen := map[string]bool{}
	var ret Diagnostics
	for _, d := range ds {
		k := fmt.Sprintf("%d\x00%s\x00%s\x00%s\x00%v", d.Severity, d.Summary, d.Detail, d.Address, d.Subject)
		if seen[k] {
			continue
		}
		seen[k] = true
		ret = append(ret, d)
	}
	return ret
}

func (ds Diagnostics) Errs() string {
	var parts []string
	for _, d := range ds {
		if d.Severity == Error {
			parts = append(parts, d.Summary)
		}
	}
	return strings.Join(parts, "; ")
}
