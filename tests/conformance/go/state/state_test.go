package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"tfconform/schema"
)

func TestRoundTrip(t *testing.T) {
	s := New()
	ty := cty.Object(map[string]cty.Type{"id": cty.String, "secret": cty.String, "n": cty.Number, "tags": cty.Map(cty.String)})
	v := cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("i"), "secret": cty.StringVal("x").Mark(schema.Sensitive),
		"n": cty.NumberIntVal(3), "tags": cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v")})})
	r := s.Resource([]string{"m"}, "managed", "fake_thing", "x", `provider["registry.terraform.io/ns/fake"]`)
	r.Each = "map"
	obj := &Object{SchemaVersion: 2, Private: []byte{0, 1, 2}, Dependencies: []string{"fake_thing.y"}, Tainted: true}
	if err := obj.Encode(v, ty); err != nil {
		t.Fatal(err)
	}
	s.SetCurrent(r, "a", obj)
	dep := *obj
	dep.Tainted = false
	s.SetDeposed(r, "a", "00000001", &dep)
	s.Outputs["o"] = &OutputValue{Value: cty.StringVal("v"), Sensitive: true}
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, want := range []string{`"version": 4`, `"module": "module.m"`, `"index_key": "a"`, `"status": "tainted"`, `"deposed": "00000001"`,
		`"private": "AAEC"`, `"schema_version": 2`, `"each": "map"`, `"type": "get_attr"`, `"value": "secret"`, `"sensitive": true`} {
		if !strings.Contains(text, want) {
			t.Errorf("state file lacks %s:\n%s", want, text)
		}
	}
	s2, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := s2.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(b2) {
		t.Errorf("round trip differs:\n%s\n---\n%s", b, b2)
	}
	inst := s2.Resources["module.m.fake_thing.x"].Instances[`["a"]`]
	got, err := inst.Current.Decode(ty)
	if err != nil {
		t.Fatal(err)
	}
	if !got.GetAttr("secret").HasMark(schema.Sensitive) || got.GetAttr("id").HasMark(schema.Sensitive) {
		t.Errorf("sensitive marks not restored: %#v", got)
	}
	if string(inst.Current.Private) != "\x00\x01\x02" || !inst.Current.Tainted || len(inst.Deposed) != 1 {
		t.Errorf("instance: %+v", inst)
	}
}

func TestManagerSerialAndBackup(t *testing.T) {
	dir := t.TempDir()
	m := NewManager(filepath.Join(dir, "terraform.tfstate"))
	s, err := m.Read()
	if err != nil {
		t.Fatal(err)
	}
	s.Outputs["x"] = &OutputValue{Value: cty.StringVal("1")}
	if err := m.Write(s); err != nil {
		t.Fatal(err)
	}
	if s.Serial != 1 {
		t.Errorf("first serial %d", s.Serial)
	}
	m2 := NewManager(m.Path)
	s2, _ := m2.Read()
	if err := m2.Write(s2); err != nil {
		t.Fatal(err)
	}
	if s2.Serial != 1 {
		t.Errorf("an unchanged state must keep its serial, got %d", s2.Serial)
	}
	s2.Outputs["x"] = &OutputValue{Value: cty.StringVal("2")}
	if err := m2.Write(s2); err != nil {
		t.Fatal(err)
	}
	if s2.Serial != 2 || s2.Lineage != s.Lineage {
		t.Errorf("serial %d lineage %s (was %s)", s2.Serial, s2.Lineage, s.Lineage)
	}
	backup, err := os.ReadFile(m2.BackupPath)
	if err != nil || !strings.Contains(string(backup), `"value": "1"`) {
		t.Errorf("backup should hold the state as read: %v %s", err, backup)
	}
}
