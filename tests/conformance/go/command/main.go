package command

import (
	"fmt"
	"os"
	"strings"

	"tfconform/state"
)

const usage = `Usage: tfconform [-chdir=DIR] <command> [args]

tfconform drives a Terraform provider exactly as Terraform does (tfplugin6 over
go-plugin, AutoMTLS, one process per phase), for machines without terraform.

Main commands:
  init          Check that the providers resolve (dev_overrides)
  validate      Check whether the configuration is valid
  plan          Show changes required by the current configuration
  apply         Create or update infrastructure
  destroy       Destroy previously-created infrastructure

Other commands:
  import ADDR ID        Associate existing infrastructure with a resource
  output [NAME]         Show output values from your root module
  providers schema -json
  show [-json] [FILE]   Show the current state or a saved plan
  state list            List resources in the state
  state show ADDR       Show a resource in the state
  protocol-test BINARY  Run the provider protocol conformance tests
  version               Show the version

Environment: TFCONFORM_STRICT=1 (strict protocol checks), TFCONFORM_STATE (state
file path, like -state), TFCONFORM_PROVIDER_BINARY (provider executable),
TF_CLI_CONFIG_FILE, TF_LOG, TF_LOG_PROVIDER, TF_LOG_PATH, TF_REATTACH_PROVIDERS.
`

// Run executes a command line and returns the exit code (0 ok, 1 error, 2 changes with
// -detailed-exitcode).
func Run(args []string) int {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		switch {
		case strings.HasPrefix(a, "-chdir="):
			dir := strings.TrimPrefix(a, "-chdir=")
			if err := os.Chdir(dir); err != nil {
				fmt.Fprintf(os.Stderr, "Error handling -chdir option: %s\n", err)
				return 1
			}
		case a == "-version" || a == "--version" || a == "-v":
			args = []string{"version"}
			continue
		case a == "-help" || a == "--help" || a == "-h":
			fmt.Print(usage)
			return 0
		default:
			fmt.Fprintf(os.Stderr, "Unknown global option %s\n\n%s", a, usage)
			return 1
		}
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Print(usage)
		return 1
	}
	m := newMeta()
	m.handleInterrupts()
	cmd, rest := args[0], args[1:]
	var code int
	switch cmd {
	case "init":
		code = m.initCmd(rest)
	case "validate":
		code = m.validateCmd(rest)
	case "plan":
		code = m.planCmd(rest)
	case "apply":
		code = m.applyCmd(rest, false)
	case "destroy":
		code = m.applyCmd(rest, true)
	case "import":
		code = m.importCmd(rest)
	case "show":
		code = m.showCmd(rest)
	case "output":
		code = m.outputCmd(rest)
	case "state":
		code = m.stateCmd(rest)
	case "providers":
		code = m.providersCmd(rest)
	case "protocol-test":
		code = protocolTestCmd(rest)
	case "version":
		fmt.Printf("Terraform v%s (tfconform)\non linux_amd64\n", state.TerraformVersion)
		return 0
	default:
		fmt.Fprintf(os.Stderr, "tfconform: unknown command %q\n\n%s", cmd, usage)
		return 1
	}
	return m.finish(code)
}
