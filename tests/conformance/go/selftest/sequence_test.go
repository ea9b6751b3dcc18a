package selftest

import (
	"strings"
	"testing"
)

// Notes 4.1/4.2: the exact call sequence of a replace. Plan process: upgrade + refresh the object,
// validate, plan (prior = object), plan again (prior = null). Apply process: configure, destroy
// planned by the client (no plan_destroy: upgrade then ApplyResourceChange), then the create's final
// plan from a null prior and its ApplyResourceChange.
func TestReplaceCallSequence(t *testing.T) {
	e := newEnv(t, map[string]string{"main.tf": oneTF})
	e.modes = "log-prior"
	e.mustRun("apply", "-auto-approve", "-no-color")
	e.write("main.tf", strings.Replace(oneTF, `name  = "one"`, `name  = "uno"`, 1))
	e.calls()
	e.mustRun("plan", "-no-color")
	procs := e.calls()
	want := "GetProviderSchema GetResourceIdentitySchemas ValidateProviderConfig ConfigureProvider 1.15.9 UpgradeResourceState ReadResource ValidateResourceConfig " +
		"PlanResourceChange(prior=object) PlanResourceChange(prior=null) Shutdown"
	if got := strings.Join(procs[len(procs)-1], " "); got != want {
		t.Errorf("plan process calls\n got: %s\nwant: %s", got, want)
	}
	e.calls()
	e.mustRun("apply", "-auto-approve", "-no-color")
	procs = e.calls()
	want = "GetProviderSchema GetResourceIdentitySchemas ValidateProviderConfig ConfigureProvider 1.15.9 UpgradeResourceState ApplyResourceChange " +
		"ValidateResourceConfig PlanResourceChange(prior=null) ApplyResourceChange Shutdown"
	if got := strings.Join(procs[len(procs)-1], " "); got != want {
		t.Errorf("apply process calls\n got: %s\nwant: %s", got, want)
	}
	// -replace of an unchanged object: one validation, then the same two plans (TF plan():
	// matchedForceReplace takes the replace branch of the same call).
	e.calls()
	e.mustRun("plan", "-no-color", "-replace=fake_thing.one")
	procs = e.calls()
	want = "GetProviderSchema GetResourceIdentitySchemas ValidateProviderConfig ConfigureProvider 1.15.9 UpgradeResourceState ReadResource ValidateResourceConfig " +
		"PlanResourceChange(prior=object) PlanResourceChange(prior=null) Shutdown"
	if got := strings.Join(procs[len(procs)-1], " "); got != want {
		t.Errorf("plan -replace process calls\n got: %s\nwant: %s", got, want)
	}
}
