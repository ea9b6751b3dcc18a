// Command tfconform-goplugin-probe launches a provider through the real go-plugin client library
// (Debian's 1.0.1) configured as Terraform configures it (TF meta_providers.go providerFactory;
// notes/tfplugin6.md 2.1): HandshakeConfig with TF's magic cookie and protocol 6, VersionedPlugins
// {5, 6}, AllowedProtocols [grpc], AutoMTLS, Managed. It dispenses the provider, calls
// GetProviderSchema over go-plugin's connection, then Kill()s it and fails if go-plugin had to
// SIGKILL ("plugin failed to exit gracefully"). tfconform's protocol-test runs it as one test; it is
// a separate binary because go-plugin 1.0.1 registers grpc_broker/grpc_controller.proto globally,
// as the stubs tfconform generates from proto/ do.
package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	tfplugin6 "tfconformgen/tfplugin6"
)

type providerPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (p *providerPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return fmt.Errorf("client only")
}

func (p *providerPlugin) GRPCClient(ctx context.Context, b *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return tfplugin6.NewProviderClient(c), nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tfconform-goplugin-probe PROVIDER_BINARY")
		os.Exit(2)
	}
	logs := &syncBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: logs, Level: hclog.Trace})
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  6,
			MagicCookieKey:   "TF_PLUGIN_MAGIC_COOKIE",
			MagicCookieValue: "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
		},
		VersionedPlugins: map[int]plugin.PluginSet{
			5: {"provider": &providerPlugin{}},
			6: {"provider": &providerPlugin{}},
		},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          true,
		AutoMTLS:         true,
		Cmd:              exec.Command(os.Args[1]),
		Logger:           logger,
	})
	fail := func(format string, args ...interface{}) {
		client.Kill()
		fmt.Printf("FAIL: "+format+"\n", args...)
		fmt.Printf("go-plugin log:\n%s", logs.String())
		os.Exit(1)
	}
	rpc, err := client.Client()
	if err != nil {
		fail("go-plugin could not start the provider: %s", err)
	}
	if v := client.NegotiatedVersion(); v != 6 {
		fail("negotiated protocol %d, want 6", v)
	}
	raw, err := rpc.Dispense("provider")
	if err != nil {
		fail("dispense: %s", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := raw.(tfplugin6.ProviderClient).GetProviderSchema(ctx, &tfplugin6.GetProviderSchema_Request{})
	if err != nil {
		fail("GetProviderSchema over go-plugin's connection: %s", err)
	}
	if resp.Provider == nil {
		fail("GetProviderSchema: no provider schema")
	}
	client.Kill()
	if strings.Contains(logs.String(), "plugin failed to exit gracefully") {
		fmt.Printf("FAIL: go-plugin's Kill had to SIGKILL the provider: plugin failed to exit gracefully\n")
		os.Exit(1)
	}
	fmt.Printf("PASS: go-plugin %s client: AutoMTLS, protocol 6, GetProviderSchema (%d resource types), graceful exit\n",
		"1.0.1", len(resp.ResourceSchemas))
}
