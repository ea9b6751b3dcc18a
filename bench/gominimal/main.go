// The smallest Go provider: go-plugin and grpc-go through terraform-plugin-go (tf6server), no framework, an empty
// schema. The bench's second yardstick beside the terraform-plugin-framework one (bench/goprovider): what any Go
// provider costs per process before it declares anything.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
)

// minimal answers what Terraform asks every provider process; every other RPC is the nil interface's (never called
// by the bench).
type minimal struct {
	tfprotov6.ProviderServer
}

func (minimal) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	return &tfprotov6.GetMetadataResponse{}, nil
}

func (minimal) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return &tfprotov6.GetProviderSchemaResponse{Provider: &tfprotov6.Schema{Block: &tfprotov6.SchemaBlock{}}}, nil
}

func (minimal) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

func main() {
	if err := tf6server.Serve("registry.terraform.io/foundry-labs/minimal",
		func() tfprotov6.ProviderServer { return minimal{} }); err != nil {
		log.Fatal(err)
	}
}
