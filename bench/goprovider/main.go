// The yardstick for bench/: a minimal Go provider on terraform-plugin-framework with one resource of the same
// shape as foundry_gateway_connection (ApiManagement connection with a key and static models), doing the same
// ARM calls against the same emulator: a client-credentials token per process, PUT on create, GET on read,
// DELETE on delete. Built from the module proxy in the bench run itself (bench/bench_compare.py); never shipped.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

func main() {
	err := providerserver.Serve(context.Background(), newProvider, providerserver.ServeOpts{
		Address:         "registry.terraform.io/foundry-labs/foundrygo",
		ProtocolVersion: 6,
	})
	if err != nil {
		log.Fatal(err)
	}
}
