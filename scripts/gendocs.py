#!/usr/bin/env python3
"""Render the registry docs (docs/resources, docs/data-sources, docs/ephemeral-resources, docs/functions) from the
provider's own schema, in the Registry's layout (one page per resource, data source, ephemeral resource and function).

The schema comes from the built provider over the plugin protocol (`terraform providers schema -json`, or tofu), so
descriptions live in one place: the schema tables in provider/. Hand-written prose lives in
docs/templates/**.md.tmpl; a declaration without a template gets the default page (DEFAULT_TEMPLATE: its description,
its example when examples/ has one, its schema, its import command when there is one), so a new resource needs no
template to be documented. Placeholders:
  {{schema}}   the attribute reference (Required / Optional / Read-Only, nested schemas), like tfplugindocs
  {{example}}  the registry-layout example file for the resource or data source
  {{import}}   examples/resources/<type>/import.sh

Usage: gendocs.py [--cli terraform|tofu] --provider BIN [--out DIR] [--check]
--check renders into a temporary directory and fails when docs/ differs (the docs.uptodate test).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = "registry.terraform.io/foundry-labs/foundry"


def load_schema(cli: str, provider: str) -> dict:
    """`providers schema -json` of the real CLI (terraform or tofu), with a dev_overrides entry for the built
    provider: nothing is looked up in a registry."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write('terraform {\n  required_providers {\n    foundry = { source = "%s" }\n  }\n}\n' % SOURCE)
        rc = os.path.join(d, "cli.tfrc")
        with open(rc, "w") as f:
            f.write('provider_installation {\n  dev_overrides {\n    "%s" = "%s"\n  }\n  direct {}\n}\n'
                    % (SOURCE, os.path.dirname(provider)))
        env = dict(os.environ, TF_CLI_CONFIG_FILE=rc, CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1")
        out = subprocess.run([cli, "-chdir=" + d, "providers", "schema", "-json"], env=env,
                             check=True, capture_output=True, text=True).stdout
    return json.loads(out)["provider_schemas"][SOURCE]


def find_cli() -> str:
    """The newest Terraform the setup built (it shows every kind of declaration: list resources since 1.14), else
    terraform on PATH, else the tofu that scripts/tofu.sh builds."""
    latest = subprocess.run([os.path.join(ROOT, "scripts", "terraform.sh"), "path"], check=True, capture_output=True,
                            text=True).stdout.strip()
    if os.access(latest, os.X_OK):
        return latest
    path = shutil.which("terraform") or shutil.which("tofu")
    if not path:
        path = subprocess.run([os.path.join(ROOT, "scripts", "tofu.sh"), "path"], check=True, capture_output=True,
                              text=True).stdout.strip()
    return path


def type_name(t) -> str:
    if isinstance(t, str):
        return {"string": "String", "number": "Number", "bool": "Boolean", "dynamic": "Dynamic"}[t]
    kind, inner = t[0], t[1]
    if kind in ("list", "set", "map"):
        return "%s of %s" % (kind.capitalize(), type_name(inner))
    return kind.capitalize()


def attr_kind(a: dict) -> str:
    if a.get("required"):
        return "Required"
    if a.get("optional"):
        return "Optional"
    return "Read-Only"


def render_attrs(attrs: dict, anchor: str, nested: list) -> str:
    groups = {"Required": [], "Optional": [], "Read-Only": []}
    for name in sorted(attrs):
        a = attrs[name]
        notes = []
        if "nested_type" in a:
            nt = a["nested_type"]
            mode = nt.get("nesting_mode", "single")
            tn = {"single": "Attributes", "list": "Attributes List", "set": "Attributes Set",
                  "map": "Attributes Map"}.get(mode, "Attributes")
            sub = "%s--%s" % (anchor, name)
            nested.append((sub, "%s.%s" % (anchor.replace("nestedatt--", ""), name) if anchor else name, nt["attributes"]))
            desc = "(%s) %s (see [below for nested schema](#%s))" % (tn, a.get("description", ""), "nestedatt--" + sub.lstrip("-"))
        else:
            desc = "(%s) %s" % (type_name(a["type"]), a.get("description", ""))
        if a.get("sensitive"):
            notes.append("Sensitive")
        if a.get("write_only"):
            notes.append("Write-only")
        if a.get("deprecated"):
            notes.append("Deprecated")
        if notes:
            desc += " " + " ".join("*%s.*" % n for n in notes)
        groups[attr_kind(a)].append("- `%s` %s" % (name, desc.strip()))
    out = []
    for g in ("Required", "Optional", "Read-Only"):
        if groups[g]:
            out.append("### %s\n\n%s\n" % (g, "\n".join(groups[g])))
    return "\n".join(out)


def render_blocks(block: dict, nested: list) -> str:
    """Nested blocks (`timeouts { ... }`), listed after the attributes the way tfplugindocs lists them."""
    lines = []
    for name in sorted(block.get("block_types", {})):
        bt = block["block_types"][name]
        nested.append(("-" + name, name, bt["block"].get("attributes", {})))
        lines.append("- `%s` (Block) %s (see [below for nested schema](#nestedblock--%s))"
                     % (name, bt["block"].get("description", ""), name))
    return "### Blocks\n\n%s\n" % "\n".join(lines) if lines else ""


def render_schema(block: dict) -> str:
    nested = []
    text = [render_attrs(block.get("attributes", {}), "", nested)]
    blocks = []
    blocks_text = render_blocks(block, blocks)
    if blocks_text:
        text.append(blocks_text)
    for anchor, path, attrs in blocks:
        text.append('<a id="nestedblock--%s"></a>\n### Nested Schema for `%s`\n\n' % (anchor.lstrip("-"), path)
                    + render_attrs(attrs, anchor, []).replace("### ", "#### "))
    while nested:
        anchor, path, attrs = nested.pop(0)
        more = []
        text.append('<a id="nestedatt--%s"></a>\n### Nested Schema for `%s`\n\n' % (anchor.lstrip("-"), path)
                    + render_attrs(attrs, anchor, more).replace("### ", "#### "))
        nested.extend(more)
    return "## Schema\n\n" + "\n".join(text).rstrip() + "\n"


def read(path: str) -> str:
    with open(os.path.join(ROOT, path)) as f:
        return f.read().rstrip() + "\n"


KINDS = (("resources", "resource_schemas", "resource.tf", "Resource"),
         ("data-sources", "data_source_schemas", "data-source.tf", "Data Source"),
         ("ephemeral-resources", "ephemeral_resource_schemas", "ephemeral-resource.tf", "Ephemeral Resource"),
         ("list-resources", "list_resource_schemas", "list-resource.tfquery.hcl", "List Resource"))

DEFAULT_TEMPLATE = """---
page_title: "{name} {title} - foundry"
subcategory: ""
description: |-
  {summary}
---

# {name} ({title})

{description}
{{{{example_section}}}}
{{{{schema}}}}
{{{{import_section}}}}"""


def optional(path: str) -> str:
    return read(path) if os.path.exists(os.path.join(ROOT, path)) else ""


def template(kind: str, short: str, tname: str, title: str, block: dict) -> str:
    path = "docs/templates/%s/%s.md.tmpl" % (kind, short)
    if os.path.exists(os.path.join(ROOT, path)):
        return read(path)
    desc = block.get("description", "").strip()
    t = DEFAULT_TEMPLATE.format(name=tname, title=title, summary=desc.split(". ")[0].rstrip("."), description=desc)
    return t


def render_function(name: str, f: dict) -> str:
    params = f.get("parameters", [])
    sig = ", ".join(p["name"] for p in params)
    lines = ["---", 'page_title: "%s function - foundry"' % name, 'subcategory: ""', "description: |-",
             "  %s" % f.get("summary", ""), "---", "", "# function: %s" % name, "",
             f.get("description", f.get("summary", "")), ""]
    example = optional("examples/functions/%s/function.tf" % name)
    if example:
        lines += ["## Example Usage", "", "```terraform", example.rstrip(), "```", ""]
    lines += ["## Signature", "", "```text",
              "%s(%s) %s" % (name, sig, json.dumps(f.get("return_type"))), "```", "", "## Arguments", ""]
    for i, p in enumerate(params, 1):
        lines.append("%d. `%s` (%s%s) %s" % (i, p["name"], type_name(p["type"]),
                                              ", Nullable" if p.get("is_nullable") else "",
                                              p.get("description", "")))
    return "\n".join(lines).rstrip() + "\n"


def render(schema: dict, out: str) -> list:
    written = []
    for kind, key, exfile, title in KINDS:
        for tname, s in sorted(schema.get(key, {}).items()):
            short = tname.split("_", 1)[1]
            doc = template(kind, short, tname, title, s["block"])
            example = optional("examples/%s/%s/%s" % (kind, tname, exfile))
            imp = optional("examples/resources/%s/import.sh" % tname) if kind == "resources" else ""
            doc = doc.replace("{{example_section}}",
                              "\n## Example Usage\n\n{{example}}\n" if example else "")
            doc = doc.replace("{{import_section}}", "\n## Import\n\n{{import}}\n" if imp else "")
            doc = doc.replace("{{schema}}", render_schema(s["block"]).rstrip())
            doc = doc.replace("{{example}}", "```terraform\n%s```" % example)
            if "{{import}}" in doc:
                doc = doc.replace("{{import}}", "```shell\n%s```" % imp)
            dest = os.path.join(out, kind, short + ".md")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w") as f:
                f.write(doc.rstrip() + "\n")
            written.append(os.path.join(kind, short + ".md"))
    for name, f in sorted(schema.get("functions", {}).items()):
        dest = os.path.join(out, "functions", name + ".md")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w") as fh:
            fh.write(render_function(name, f))
        written.append(os.path.join("functions", name + ".md"))
    return written


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", help="the terraform or tofu binary (default: terraform on PATH, else the built tofu)")
    ap.add_argument("--provider", required=True)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    schema = load_schema(args.cli or find_cli(), os.path.abspath(args.provider))
    if not args.check:
        for w in render(schema, args.out):
            print("gendocs: wrote docs/" + w)
        return 0
    with tempfile.TemporaryDirectory() as d:
        rendered = render(schema, d)
        stale = [w for w in rendered
                 if not os.path.exists(os.path.join(ROOT, "docs", w))
                 or read("docs/" + w) != open(os.path.join(d, w)).read().rstrip() + "\n"]
        # A page no declaration renders is extraneous: the Registry rejects it.
        for kind in [k[0] for k in KINDS] + ["functions"]:
            folder = os.path.join(ROOT, "docs", kind)
            for f in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
                if os.path.join(kind, f) not in rendered:
                    stale.append(os.path.join(kind, f) + " (extraneous)")
    if stale:
        print("docs out of date (run scripts/gendocs.py): " + ", ".join(stale))
        print("0 passed, 1 failed")
        return 1
    print("1 passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
