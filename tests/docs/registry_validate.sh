#!/usr/bin/env bash
# The Registry's own check of docs/: tfplugindocs validate (scripts/tfplugindocs.sh builds it) against the schema
# that the newest Terraform the tests have (scripts/terraform.sh) reads from the built provider, so that ephemeral
# resources and functions are in it as the Registry will see them.
set -euo pipefail
root=${1:?usage: registry_validate.sh SOURCE_DIR PROVIDER_BINARY}
provider=${2:?usage: registry_validate.sh SOURCE_DIR PROVIDER_BINARY}
docs=$("$root/scripts/tfplugindocs.sh" ensure) || { echo "tfplugindocs is not built"; echo "0 passed, 1 failed"; exit 1; }
tf=$("$root/scripts/terraform.sh" path)
[ -x "$tf" ] || { echo "the newest Terraform is not built at $tf (scripts/setup.sh builds it)"; echo "0 passed, 1 failed"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
printf 'terraform {\n  required_providers {\n    foundry = { source = "registry.terraform.io/foundry-labs/foundry" }\n  }\n}\n' > "$t/main.tf"
printf 'provider_installation {\n  dev_overrides {\n    "registry.terraform.io/foundry-labs/foundry" = "%s"\n  }\n  direct {}\n}\n' \
	"$(dirname "$provider")" > "$t/cli.tfrc"
HOME="$t" TF_CLI_CONFIG_FILE="$t/cli.tfrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 "$tf" -chdir="$t" providers schema -json \
	> "$t/schema.json"
echo "schema from $("$tf" version | head -n 1)"
# tfplugindocs finds a provider by its short name (or under hashicorp/): the same schema under "foundry".
python3 - "$t/schema.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["provider_schemas"] = {"foundry": doc["provider_schemas"]["registry.terraform.io/foundry-labs/foundry"]}
json.dump(doc, open(sys.argv[1], "w"))
PY
# tfplugindocs reads the provider folder's docs/ (and nothing it does not know: a copy of docs/ alone).
mkdir -p "$t/provider"
cp -r "$root/docs" "$t/provider/docs"
rm -rf "$t/provider/docs/internals" "$t/provider/docs/templates"
if (cd "$t/provider" && "$docs" validate --provider-name foundry --providers-schema "$t/schema.json"); then
	echo "1 passed, 0 failed"
else
	echo "0 passed, 1 failed"
	exit 1
fi
