// azsdk-client: what azapi (and azurerm) do against ARM, with the Azure SDK for Go: azidentity authenticates
// (client secret, client certificate, or a federated token), then azcore's ARM pipeline PUTs a Foundry connection and
// GETs it back. Run against the emulator (foundry-emulator.pyz --tls-dir DIR) by tests/azsdk/test_azsdk.py: it proves
// that one emulator serves an Azure SDK client, so azapi or azurerm in a stack can point at it.
//
// Environment: EMULATOR_URL (https://127.0.0.1:PORT), AZURE_TENANT_ID, AZURE_CLIENT_ID, and one of
// AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH (PEM, key included) or AZURE_FEDERATED_TOKEN; CONNECTION_ID.
// The emulator's CA is trusted through SSL_CERT_FILE, as Go does on Linux. A private cloud is configured the way azapi
// configures one (a custom environment): the cloud's endpoints, and DisableInstanceDiscovery, so that MSAL asks the
// authority itself (GET {authority}/common/discovery/instance, then its OpenID configuration) instead of
// login.microsoftonline.com.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

const apiVersion = "2026-09-01"

func credential(opts azcore.ClientOptions) (azcore.TokenCredential, string, error) {
	tenant, client := os.Getenv("AZURE_TENANT_ID"), os.Getenv("AZURE_CLIENT_ID")
	if s := os.Getenv("AZURE_CLIENT_SECRET"); s != "" {
		c, err := azidentity.NewClientSecretCredential(tenant, client, s,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
		return c, "client secret", err
	}
	if p := os.Getenv("AZURE_CLIENT_CERTIFICATE_PATH"); p != "" {
		pem, err := os.ReadFile(p)
		if err != nil {
			return nil, "", err
		}
		certs, key, err := azidentity.ParseCertificates(pem, nil)
		if err != nil {
			return nil, "", err
		}
		c, err := azidentity.NewClientCertificateCredential(tenant, client, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
		return c, "client certificate", err
	}
	token := os.Getenv("AZURE_FEDERATED_TOKEN")
	c, err := azidentity.NewClientAssertionCredential(tenant, client,
		func(context.Context) (string, error) { return token, nil },
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
	return c, "federated token", err
}

func do(ctx context.Context, p runtime.Pipeline, method, url, body string) (int, string, error) {
	req, err := runtime.NewRequest(ctx, method, url)
	if err != nil {
		return 0, "", err
	}
	q := req.Raw().URL.Query()
	q.Set("api-version", apiVersion)
	req.Raw().URL.RawQuery = q.Encode()
	if body != "" {
		if err := req.SetBody(streaming(body), "application/json"); err != nil {
			return 0, "", err
		}
	}
	resp, err := p.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func streaming(s string) nopCloser { return nopCloser{strings.NewReader(s)} }

func main() {
	base := os.Getenv("EMULATOR_URL")
	cfg := cloud.Configuration{
		ActiveDirectoryAuthorityHost: base + "/",
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: base, Audience: "https://management.core.windows.net/"},
		},
	}
	opts := azcore.ClientOptions{Cloud: cfg, Retry: policy.RetryOptions{MaxRetries: 1}}
	cred, kind, err := credential(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "credential:", err)
		os.Exit(1)
	}
	client, err := arm.NewClient("foundry-azsdk-test", "v0.1.0", cred, &arm.ClientOptions{ClientOptions: opts})
	if err != nil {
		fmt.Fprintln(os.Stderr, "arm client:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	url := runtime.JoinPaths(client.Endpoint(), os.Getenv("CONNECTION_ID"))
	body := `{"properties":{"category":"ModelGateway","target":"https://gw.example/v1","authType":"ApiKey",` +
		`"credentials":{"key":"sdk-key"},"metadata":{"deploymentInPath":"false",` +
		`"models":"[{\"name\":\"gpt-4o\",\"properties\":{\"model\":{\"name\":\"gpt-4o\",\"format\":\"OpenAI\"}}}]"}}}`
	status, out, err := do(ctx, client.Pipeline(), http.MethodPut, url, body)
	if err != nil || status != 200 {
		fmt.Fprintf(os.Stderr, "PUT (%s): %d %v %s\n", kind, status, err, out)
		os.Exit(1)
	}
	status, out, err = do(ctx, client.Pipeline(), http.MethodGet, url, "")
	if err != nil || status != 200 {
		fmt.Fprintf(os.Stderr, "GET (%s): %d %v %s\n", kind, status, err, out)
		os.Exit(1)
	}
	fmt.Printf("ok %s %s\n", kind, out)
}
