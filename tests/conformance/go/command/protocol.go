package command

import (
	"fmt"
	"os"

	"tfconform/protocoltest"
)

func protocolTestCmd(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "Usage: tfconform protocol-test PROVIDER_BINARY")
		return 1
	}
	return protocoltest.Run(args[0], os.Stdout)
}
