// Command tfconform is the project's conformance client: "Terraform" for machines where Terraform
// cannot be installed (see tests/conformance/README.md).
package main

import (
	"os"

	"tfconform/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
