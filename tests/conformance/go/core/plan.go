package core

import (
	"github.com/zclconf/go-cty/cty"

	"tfconform/diag"
	"tfconform/provider"
	"tfconform/schema"
	"tfconform/state"
)

// Action is plans.Action; String() gives Terraform's names used in its messages.
type Action int

const (
	NoOp Action = iota
	Create
	Read
	Update
	DeleteThenCreate
	CreateThenDelete
	Delete
)

func (a Action) String() string {
	return [...]string{"NoOp", "Create", "Read", "Update", "DeleteThenCreate", "CreateThenDelete", "Delete"}[a]
}

func (a Action) IsReplace() bool { return a == DeleteThenCreate || a == CreateThenDelete }

// JSONActions is the "actions" array of Terraform's JSON plan.
func (a Action) JSONActions() []string {
	switch a {
	case Create:
		return []string{"create"}
	case Read:
		return []string{"read"}
	case Update:
		return []string{"update"}
	case DeleteThenCreate:
		return []string{"delete", "create"}
	case CreateThenDelete:
		return []string{"create", "delete"}
	case Delete:
		return []string{"delete"}
	}
	return []string{"no-op"}
}

// Change is one planned resource instance change (plans.ResourceInstanceChange).
type Change struct {
	Addr         InstAddr
	Deposed      string
	ProviderKey  ProviderKey
	Action       Action
	Before       cty.Value // marked
	After        cty.Value // marked; may contain unknowns
	Private      []byte
	ReplacePaths []cty.Path
	ActionReason string
	ImportingID  string // non-empty: the object is imported by this plan
	// ImportedPrivate is the private data of the imported (and read) object.
	ImportedPrivate []byte
	// CreateBeforeDestroy is the lifecycle setting used for a replacement.
	CreateBeforeDestroy bool
	Schema       *schema.Schema
	// Resource-level details the renderers want.
	Generated bool
}

// OutputChange is a root output's planned change.
type OutputChange struct {
	Name      string
	Action    Action
	Before    cty.Value
	After     cty.Value
	Sensitive bool
}

type PlanMode int

const (
	NormalMode PlanMode = iota
	DestroyMode
	RefreshOnlyMode
)

// Plan is the result of a plan walk.
type Plan struct {
	Mode          PlanMode
	Changes       []*Change
	Drift         []*Change // refresh-detected changes (Before = previous run, After = refreshed)
	OutputChanges []*OutputChange
	PrevRunState  *state.State
	PriorState    *state.State // refreshed (+ imported) state the apply starts from
	Variables     map[string]cty.Value
	Diagnostics   diag.Diagnostics
	Schemas       map[ProviderKey]*provider.Schemas
	Errored       bool
}

// HasChanges reports whether applying would change anything (resources, outputs).
func (p *Plan) HasChanges() bool {
	for _, c := range p.Changes {
		if c.Action != NoOp || c.ImportingID != "" {
			return true
		}
	}
	for _, oc := range p.OutputChanges {
		if oc.Action != NoOp {
			return true
		}
	}
	if p.Mode == RefreshOnlyMode && len(p.Drift) > 0 {
		return true
	}
	return false
}

func (p *Plan) change(addr InstAddr, deposed string) *Change {
	for _, c := range p.Changes {
		if c.Addr.String() == addr.String() && c.Deposed == deposed {
			return c
		}
	}
	return nil
}
