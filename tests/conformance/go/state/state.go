// Package state reads and writes Terraform's JSON state format version 4 (terraform.tfstate):
// outputs and resources with their instances, attributes as cty JSON, sensitive_attributes as
// paths, private data base64, dependencies, tainted/deposed objects (TF internal/states/statefile/version4.go).
package state

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"tfconform/schema"
)

// TerraformVersion is the version tfconform claims to be (the brief: Terraform 1.15.9).
const TerraformVersion = "1.15.9"

// InstanceKey is nil (no count/for_each), an int (count) or a string (for_each).
type InstanceKey interface{}

// KeyString renders an instance key as in addresses: "", "[0]", `["a"]`.
func KeyString(k InstanceKey) string {
	switch v := k.(type) {
	case nil:
		return ""
	case int:
		return fmt.Sprintf("[%d]", v)
	case string:
		return fmt.Sprintf("[%s]", strconv.Quote(v))
	}
	return fmt.Sprintf("[%v]", k)
}

type State struct {
	TerraformVersion string
	Serial           uint64
	Lineage          string
	Outputs          map[string]*OutputValue
	Resources        map[string]*Resource // key: ResourceKey(module, mode, type, name)
}

type OutputValue struct {
	Value     cty.Value
	Sensitive bool
}

type Resource struct {
	Module   []string
	Mode     string // "managed" | "data"
	Type     string
	Name     string
	Each     string // "", "list", "map"
	Provider string // provider["registry.terraform.io/ns/type"] (with module./.alias as Terraform writes)
	// Instances keyed by KeyString(key).
	Instances map[string]*Instance
}

type Instance struct {
	Key     InstanceKey
	Current *Object
	Deposed map[string]*Object
}

type Object struct {
	SchemaVersion       int64
	AttrsJSON           []byte    // as stored; what UpgradeResourceState receives (notes 3.7)
	Value               cty.Value // decoded (and marked) once the schema is known; NilVal before
	SensitivePaths      []cty.Path
	Private             []byte
	Tainted             bool
	Dependencies        []string
	CreateBeforeDestroy bool
}

func New() *State {
	return &State{TerraformVersion: TerraformVersion, Lineage: NewLineage(), Outputs: map[string]*OutputValue{}, Resources: map[string]*Resource{}}
}

// NewLineage returns a random UUID (v4), as Terraform does for a new state.
func NewLineage() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ResourceKey builds the map key / address of a resource: "module.a.type.name", "data.type.name".
func ResourceKey(module []string, mode, typ, name string) string {
	var parts []string
	for _, m := range module {
		parts = append(parts, "module."+m)
	}
	if mode == "data" {
		parts = append(parts, "data")
	}
	parts = append(parts, typ, name)
	return strings.Join(parts, ".")
}

func (r *Resource) Addr() string { return ResourceKey(r.Module, r.Mode, r.Type, r.Name) }

// InstanceAddr is the absolute address of one instance.
func (r *Resource) InstanceAddr(k InstanceKey) string { return r.Addr() + KeyString(k) }

// Resource returns (creating on demand) the resource entry.
func (s *State) Resource(module []string, mode, typ, name, provider string) *Resource {
	k := ResourceKey(module, mode, typ, name)
	r := s.Resources[k]
	if r == nil {
		r = &Resource{Module: append([]string(nil), module...), Mode: mode, Type: typ, Name: name, Provider: provider, Instances: map[string]*Instance{}}
		s.Resources[k] = r
	}
	if provider != "" {
		r.Provider = provider
	}
	return r
}

// SetCurrent stores (obj != nil) or removes (obj == nil) the current object of an instance;
// empty instances and resources are dropped, as Terraform does.
func (s *State) SetCurrent(r *Resource, key InstanceKey, obj *Object) {
	ks := KeyString(key)
	inst := r.Instances[ks]
	if inst == nil {
		if obj == nil {
			return
		}
		inst = &Instance{Key: key, Deposed: map[string]*Object{}}
		r.Instances[ks] = inst
	}
	inst.Current = obj
	s.prune(r)
}

func (s *State) SetDeposed(r *Resource, key InstanceKey, deposed string, obj *Object) {
	ks := KeyString(key)
	inst := r.Instances[ks]
	if inst == nil {
		if obj == nil {
			return
		}
		inst = &Instance{Key: key, Deposed: map[string]*Object{}}
		r.Instances[ks] = inst
	}
	if obj == nil {
		delete(inst.Deposed, deposed)
	} else {
		inst.Deposed[deposed] = obj
	}
	s.prune(r)
}

func (s *State) prune(r *Resource) {
	for k, inst := range r.Instances {
		if inst.Current == nil && len(inst.Deposed) == 0 {
			delete(r.Instances, k)
		}
	}
	if len(r.Instances) == 0 {
		delete(s.Resources, r.Addr())
	}
}

// NewDeposedKey returns a random 8-hex-digit deposed key.
func NewDeposedKey() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x", b[:])
}

// SortedResources lists resources in state-file order.
func (s *State) SortedResources() []*Resource {
	var rs []*Resource
	for _, r := range s.Resources {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		am, bm := strings.Join(a.Module, "."), strings.Join(b.Module, ".")
		if am != bm {
			return am < bm
		}
		if a.Mode != b.Mode {
			return a.Mode < b.Mode
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Name < b.Name
	})
	return rs
}

// SortedInstances lists instances by key (ints numerically, then strings).
func (r *Resource) SortedInstances() []*Instance {
	var is []*Instance
	for _, i := range r.Instances {
		is = append(is, i)
	}
	sort.Slice(is, func(i, j int) bool { return keyLess(is[i].Key, is[j].Key) })
	return is
}

func keyLess(a, b InstanceKey) bool {
	switch av := a.(type) {
	case int:
		if bv, ok := b.(int); ok {
			return av < bv
		}
		return true
	case string:
		if bv, ok := b.(string); ok {
			return av < bv
		}
		return false
	}
	return b != nil
}

// Empty reports whether the state has no resources and no outputs.
func (s *State) Empty() bool { return len(s.Resources) == 0 && len(s.Outputs) == 0 }

// DeepCopy copies the state (objects are shared read-only except their Value).
func (s *State) DeepCopy() *State {
	n := &State{TerraformVersion: s.TerraformVersion, Serial: s.Serial, Lineage: s.Lineage,
		Outputs: map[string]*OutputValue{}, Resources: map[string]*Resource{}}
	for k, o := range s.Outputs {
		c := *o
		n.Outputs[k] = &c
	}
	for k, r := range s.Resources {
		nr := *r
		nr.Instances = map[string]*Instance{}
		for ik, inst := range r.Instances {
			ni := &Instance{Key: inst.Key, Deposed: map[string]*Object{}}
			if inst.Current != nil {
				c := *inst.Current
				ni.Current = &c
			}
			for dk, d := range inst.Deposed {
				c := *d
				ni.Deposed[dk] = &c
			}
			nr.Instances[ik] = ni
		}
		n.Resources[k] = &nr
	}
	return n
}

// ---------------------------------------------------------------- object values

// Decode decodes the stored attributes with a type and applies the stored sensitive marks.
func (o *Object) Decode(ty cty.Type) (cty.Value, error) {
	v, err := ctyjson.Unmarshal(o.AttrsJSON, ty)
	if err != nil {
		return cty.NilVal, err
	}
	var pvm []cty.PathValueMarks
	for _, p := range o.SensitivePaths {
		pvm = append(pvm, cty.PathValueMarks{Path: p, Marks: cty.NewValueMarks(schema.Sensitive)})
	}
	return v.MarkWithPaths(pvm), nil
}

// Encode stores a (possibly marked) value: attributes JSON and sensitive paths. Unknowns are not
// allowed (the caller nulls them first).
func (o *Object) Encode(v cty.Value, ty cty.Type) error {
	uv, pvm := v.UnmarkDeepWithPaths()
	b, err := ctyjson.Marshal(uv, ty)
	if err != nil {
		return err
	}
	o.AttrsJSON = b
	o.Value = v
	o.SensitivePaths = nil
	for _, pm := range pvm {
		if _, ok := pm.Marks[schema.Sensitive]; ok {
			o.SensitivePaths = append(o.SensitivePaths, pm.Path)
		}
	}
	sort.Slice(o.SensitivePaths, func(i, j int) bool {
		return pathString(o.SensitivePaths[i]) < pathString(o.SensitivePaths[j])
	})
	return nil
}

func pathString(p cty.Path) string {
	b, _ := json.Marshal(encodePath(p))
	return string(b)
}

// ---------------------------------------------------------------- file format

type fileV4 struct {
	Version          int                     `json:"version"`
	TerraformVersion string                  `json:"terraform_version"`
	Serial           uint64                  `json:"serial"`
	Lineage          string                  `json:"lineage"`
	Outputs          map[string]outputV4     `json:"outputs"`
	Resources        []resourceV4            `json:"resources"`
	CheckResults     json.RawMessage         `json:"check_results"`
}

type outputV4 struct {
	Value     json.RawMessage `json:"value"`
	Type      json.RawMessage `json:"type"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

type resourceV4 struct {
	Module    string       `json:"module,omitempty"`
	Mode      string       `json:"mode"`
	Type      string       `json:"type"`
	Name      string       `json:"name"`
	Each      string       `json:"each,omitempty"`
	Provider  string       `json:"provider"`
	Instances []instanceV4 `json:"instances"`
}

type instanceV4 struct {
	IndexKey            interface{}       `json:"index_key,omitempty"`
	Status              string            `json:"status,omitempty"`
	Deposed             string            `json:"deposed,omitempty"`
	SchemaVersion       int64             `json:"schema_version"`
	AttributesRaw       json.RawMessage   `json:"attributes,omitempty"`
	AttributesFlat      map[string]string `json:"attributes_flat,omitempty"`
	SensitiveAttributes json.RawMessage   `json:"sensitive_attributes,omitempty"`
	Private             string            `json:"private,omitempty"`
	Dependencies        []string          `json:"dependencies,omitempty"`
	CreateBeforeDestroy bool              `json:"create_before_destroy,omitempty"`
}

type pathStepV4 struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

func encodePath(p cty.Path) []pathStepV4 {
	var steps []pathStepV4
	for _, s := range p {
		switch st := s.(type) {
		case cty.GetAttrStep:
			v, _ := json.Marshal(st.Name)
			steps = append(steps, pathStepV4{Type: "get_attr", Value: v})
		case cty.IndexStep:
			v, _ := ctyjson.Marshal(st.Key, cty.DynamicPseudoType)
			steps = append(steps, pathStepV4{Type: "index", Value: v})
		}
	}
	return steps
}

func decodePath(steps []pathStepV4) (cty.Path, error) {
	var p cty.Path
	for _, s := range steps {
		switch s.Type {
		case "get_attr":
			var name string
			if err := json.Unmarshal(s.Value, &name); err != nil {
				return nil, err
			}
			p = p.GetAttr(name)
		case "index":
			k, err := ctyjson.Unmarshal(s.Value, cty.DynamicPseudoType)
			if err != nil {
				return nil, err
			}
			p = p.Index(k)
		default:
			return nil, fmt.Errorf("unsupported path step %q", s.Type)
		}
	}
	return p, nil
}

// Marshal renders the state file (two-space indented JSON, as Terraform writes it).
func (s *State) Marshal() ([]byte, error) {
	f := fileV4{Version: 4, TerraformVersion: s.TerraformVersion, Serial: s.Serial, Lineage: s.Lineage,
		Outputs: map[string]outputV4{}, Resources: []resourceV4{}, CheckResults: json.RawMessage("null")}
	for name, o := range s.Outputs {
		uv, _ := o.Value.UnmarkDeep()
		ty := uv.Type()
		vb, err := ctyjson.Marshal(uv, ty)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", name, err)
		}
		tb, _ := ty.MarshalJSON()
		f.Outputs[name] = outputV4{Value: vb, Type: tb, Sensitive: o.Sensitive}
	}
	for _, r := range s.SortedResources() {
		rv := resourceV4{Module: moduleString(r.Module), Mode: r.Mode, Type: r.Type, Name: r.Name, Each: r.Each, Provider: r.Provider}
		for _, inst := range r.SortedInstances() {
			add := func(o *Object, deposed string) {
				iv := instanceV4{IndexKey: inst.Key, Deposed: deposed, SchemaVersion: o.SchemaVersion,
					AttributesRaw: json.RawMessage(o.AttrsJSON), Dependencies: o.Dependencies, CreateBeforeDestroy: o.CreateBeforeDestroy}
				if o.Tainted {
					iv.Status = "tainted"
				}
				var sp [][]pathStepV4
				for _, p := range o.SensitivePaths {
					sp = append(sp, encodePath(p))
				}
				if sp == nil {
					sp = [][]pathStepV4{}
				}
				iv.SensitiveAttributes, _ = json.Marshal(sp)
				if len(o.Private) > 0 {
					iv.Private = base64.StdEncoding.EncodeToString(o.Private)
				}
				rv.Instances = append(rv.Instances, iv)
			}
			if inst.Current != nil {
				add(inst.Current, "")
			}
			var dks []string
			for dk := range inst.Deposed {
				dks = append(dks, dk)
			}
			sort.Strings(dks)
			for _, dk := range dks {
				add(inst.Deposed[dk], dk)
			}
		}
		f.Resources = append(f.Resources, rv)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func moduleString(m []string) string {
	var parts []string
	for _, p := range m {
		parts = append(parts, "module."+p)
	}
	return strings.Join(parts, ".")
}

func parseModule(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ".")
	var ret []string
	for i := 0; i < len(parts); i += 2 {
		if parts[i] != "module" || i+1 >= len(parts) {
			return nil, fmt.Errorf("invalid module address %q", s)
		}
		name := parts[i+1]
		if j := strings.Index(name, "["); j >= 0 {
			return nil, fmt.Errorf("module instance keys are not supported (%q)", s)
		}
		ret = append(ret, name)
	}
	return ret, nil
}

// Unmarshal parses a version 4 state file. Attribute values stay undecoded (AttrsJSON) until the
// caller knows the schema.
func Unmarshal(b []byte) (*State, error) {
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("Failed to load state: %s", err)
	}
	if probe.Version != 4 {
		return nil, fmt.Errorf("Failed to load state: state snapshot uses format version %d; tfconform reads version 4 only", probe.Version)
	}
	var f fileV4
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("Failed to load state: %s", err)
	}
	s := &State{TerraformVersion: f.TerraformVersion, Serial: f.Serial, Lineage: f.Lineage,
		Outputs: map[string]*OutputValue{}, Resources: map[string]*Resource{}}
	for name, o := range f.Outputs {
		ty, err := ctyjson.UnmarshalType(o.Type)
		if err != nil {
			return nil, fmt.Errorf("output %s: %s", name, err)
		}
		v, err := ctyjson.Unmarshal(o.Value, ty)
		if err != nil {
			return nil, fmt.Errorf("output %s: %s", name, err)
		}
		if o.Sensitive {
			v = v.Mark(schema.Sensitive)
		}
		s.Outputs[name] = &OutputValue{Value: v, Sensitive: o.Sensitive}
	}
	for _, rv := range f.Resources {
		mod, err := parseModule(rv.Module)
		if err != nil {
			return nil, err
		}
		r := s.Resource(mod, rv.Mode, rv.Type, rv.Name, rv.Provider)
		r.Each = rv.Each
		for _, iv := range rv.Instances {
			var key InstanceKey
			switch k := iv.IndexKey.(type) {
			case nil:
			case json.Number:
				n, err := k.Int64()
				if err != nil {
					return nil, fmt.Errorf("%s: invalid index_key %v", r.Addr(), k)
				}
				key = int(n)
			case string:
				key = k
			default:
				return nil, fmt.Errorf("%s: invalid index_key %v", r.Addr(), k)
			}
			if iv.AttributesFlat != nil && iv.AttributesRaw == nil {
				return nil, fmt.Errorf("%s: flatmap state (Terraform < 0.12) is not supported", r.InstanceAddr(key))
			}
			o := &Object{SchemaVersion: iv.SchemaVersion, AttrsJSON: []byte(iv.AttributesRaw), Tainted: iv.Status == "tainted",
				Dependencies: iv.Dependencies, CreateBeforeDestroy: iv.CreateBeforeDestroy}
			if iv.Private != "" {
				if o.Private, err = base64.StdEncoding.DecodeString(iv.Private); err != nil {
					return nil, fmt.Errorf("%s: invalid private data: %s", r.InstanceAddr(key), err)
				}
			}
			if len(iv.SensitiveAttributes) > 0 {
				var paths [][]pathStepV4
				if err := json.Unmarshal(iv.SensitiveAttributes, &paths); err != nil {
					return nil, fmt.Errorf("%s: invalid sensitive_attributes: %s", r.InstanceAddr(key), err)
				}
				for _, ps := range paths {
					p, err := decodePath(ps)
					if err != nil {
						return nil, err
					}
					o.SensitivePaths = append(o.SensitivePaths, p)
				}
			}
			if iv.Deposed != "" {
				s.SetDeposed(r, key, iv.Deposed, o)
			} else {
				s.SetCurrent(r, key, o)
			}
		}
	}
	return s, nil
}

// ---------------------------------------------------------------- the local state file

// Manager is the local backend's state file with its backup (TF statemgr.Filesystem): the state as
// read at the start of the command is written to <path>.backup before the first write.
type Manager struct {
	Path       string
	BackupPath string
	read       []byte
	exists     bool
	backedUp   bool
	last       []byte
}

func NewManager(path string) *Manager {
	return &Manager{Path: path, BackupPath: path + ".backup"}
}

// Read loads the state file (a missing file is an empty state).
func (m *Manager) Read() (*State, error) {
	b, err := os.ReadFile(m.Path)
	if os.IsNotExist(err) {
		return New(), nil
	}
	if err != nil {
		return nil, err
	}
	m.read, m.exists = b, true
	if len(bytes.TrimSpace(b)) == 0 {
		return New(), nil
	}
	return Unmarshal(b)
}

// Write persists the state, bumping the serial when the content changed.
func (m *Manager) Write(s *State) error {
	s.TerraformVersion = TerraformVersion
	if s.Lineage == "" {
		s.Lineage = NewLineage()
	}
	if m.last == nil && m.exists {
		m.last = m.read
	}
	// Compare without the serial to decide whether this is a new snapshot.
	probe := *s
	if m.last != nil {
		if prev, err := Unmarshal(m.last); err == nil {
			probe.Serial = prev.Serial
			if b, err := probe.Marshal(); err == nil && bytes.Equal(b, m.last) {
				return nil
			}
			s.Serial = prev.Serial + 1
		}
	} else {
		s.Serial++
	}
	b, err := s.Marshal()
	if err != nil {
		return err
	}
	if !m.backedUp && m.exists {
		if err := os.WriteFile(m.BackupPath, m.read, 0o644); err != nil {
			return err
		}
		m.backedUp = true
	}
	if err := writeAtomic(m.Path, b); err != nil {
		return err
	}
	m.last = b
	m.exists = true
	return nil
}

func writeAtomic(path string, b []byte) error {
	tmp := path + ".tfconform-tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
