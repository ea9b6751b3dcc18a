package schema

import "github.com/zclconf/go-cty/cty"

// Sensitive is the cty mark for sensitive values (Terraform's marks.Sensitive): set by
// `sensitive = true` variables/outputs, the sensitive() function and schema-sensitive attributes;
// removed before any value goes to the provider (notes/tfplugin6.md 3.6).
const Sensitive = valueMark("sensitive")

type valueMark string

func (m valueMark) GoString() string { return "marks.Sensitive" }

// IsSensitive reports whether v itself carries the sensitive mark.
func IsSensitive(v cty.Value) bool { return v.HasMark(Sensitive) }
