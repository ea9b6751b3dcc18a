package core

import (
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"tfconform/diag"
)

// node is one vertex of a walk: it runs once all its dependencies have run. A node whose
// dependency failed is skipped (Terraform stops descendants of a failed vertex, not the walk).
type node struct {
	id    string
	deps  []string
	run   func() diag.Diagnostics
	heavy bool // talks to a provider: limited by -parallelism
}

type graph struct {
	nodes map[string]*node
}

func newGraph() *graph { return &graph{nodes: map[string]*node{}} }

func (g *graph) add(n *node) *node {
	if old, ok := g.nodes[n.id]; ok {
		old.deps = append(old.deps, n.deps...)
		if n.run != nil {
			old.run = n.run
		}
		old.heavy = old.heavy || n.heavy
		return old
	}
	g.nodes[n.id] = n
	return n
}

func (g *graph) dep(from, to string) {
	if n, ok := g.nodes[from]; ok {
		n.deps = append(n.deps, to)
	}
}

// cycles returns a Terraform-like "Cycle: a, b" error when the graph is not a DAG.
func (g *graph) cycles() error {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var found []string
	var visit func(id string) bool
	visit = func(id string) bool {
		color[id] = grey
		stack = append(stack, id)
		n := g.nodes[id]
		deps := append([]string(nil), n.deps...)
		sort.Strings(deps)
		for _, d := range deps {
			if _, ok := g.nodes[d]; !ok {
				continue
			}
			switch color[d] {
			case grey:
				for i := len(stack) - 1; i >= 0; i-- {
					found = append(found, stack[i])
					if stack[i] == d {
						break
					}
				}
				return true
			case white:
				if visit(d) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[id] = black
		return false
	}
	ids := make([]string, 0, len(g.nodes))
	for id := range g.nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if color[id] == white && visit(id) {
			var names []string
			for _, f := range found {
				names = append(names, displayNode(f))
			}
			sort.Strings(names)
			return fmt.Errorf("Cycle: %s", strings.Join(names, ", "))
		}
	}
	return nil
}

func displayNode(id string) string {
	parts := strings.SplitN(id, "|", 3)
	if len(parts) < 3 {
		return id
	}
	prefix := ""
	if parts[1] != "" {
		prefix = parts[1] + "."
	}
	switch parts[0] {
	case "var":
		return prefix + "var." + parts[2]
	case "local":
		return prefix + "local." + parts[2]
	case "output":
		return prefix + "output." + parts[2]
	case "res":
		return prefix + parts[2]
	case "destroy":
		return prefix + parts[2] + " (destroy)"
	}
	return id
}

// walk runs every node; heavy nodes (provider calls) take a slot of sem, the walk's
// -parallelism semaphore, which resource nodes also use per instance.
func (g *graph) walk(sem chan struct{}) diag.Diagnostics {
	if err := g.cycles(); err != nil {
		return diag.Diagnostics{diag.Sourceless(diag.Error, err.Error(), "")}
	}
	type result struct {
		done chan struct{}
		ok   bool
	}
	results := map[string]*result{}
	for id := range g.nodes {
		results[id] = &result{done: make(chan struct{})}
	}
	var mu sync.Mutex
	var diags diag.Diagnostics
	var wg sync.WaitGroup
	for id, n := range g.nodes {
		wg.Add(1)
		go func(id string, n *node) {
			defer wg.Done()
			r := results[id]
			defer close(r.done)
			ok := true
			for _, d := range n.deps {
				dr, exists := results[d]
				if !exists || d == id {
					continue
				}
				<-dr.done
				if !dr.ok {
					ok = false
				}
			}
			if !ok || n.run == nil {
				r.ok = ok
				return
			}
			if n.heavy {
				sem <- struct{}{}
			}
			ds := safeRun(n.id, n.run)
			if n.heavy {
				<-sem
			}
			r.ok = !ds.HasErrors()
			mu.Lock()
			diags = append(diags, ds...)
			mu.Unlock()
		}(id, n)
	}
	wg.Wait()
	return diags
}

// safeRun turns a panic in a node into an error diagnostic, so one bad value cannot take the
// whole run (and the state it must save) down.
func safeRun(id string, f func() diag.Diagnostics) (ds diag.Diagnostics) {
	defer func() {
		if r := recover(); r != nil {
			ds = diag.Diagnostics{diag.Sourceless(diag.Error, "tfconform internal error",
				fmt.Sprintf("Evaluating %s panicked: %v\n\n%s", displayNode(id), r, debug.Stack()))}
		}
	}()
	return f()
}
