// Package plugin launches and talks to a provider the way Terraform does through go-plugin v1.7
// (notes/tfplugin6.md section 2): environment, AutoMTLS with a P-521 client certificate, the
// handshake line, gRPC over the unix socket, GRPCBroker/GRPCStdio at connect, GRPCController.Shutdown
// and the 2 s grace period before SIGKILL, stderr read as hclog JSON, TF_REATTACH_PROVIDERS.
//
// Debian's go-plugin is 1.0.1: it has AutoMTLS, VersionedPlugins and unix sockets, but not the
// GRPCStdio call, the TLS settings of 1.7 (MinVersion, ClientAuth), nor any access to what the
// plugin writes on stdout after the handshake or to whether Kill had to SIGKILL — all of which the
// strict mode needs — so the client side of go-plugin 1.7 is implemented here, mirroring GP
// client.go/mtls.go/grpc_client.go (see README.md).
package plugin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"time"
)

// GenerateCert makes a certificate exactly like go-plugin's generateCert (GP mtls.go): ECDSA P-521,
// random serial < 2^128, CN=localhost O=HashiCorp, SAN localhost, client+server auth, CA,
// valid from 30 s ago for ~30 years. Returns PEM certificate and PEM key.
func GenerateCert() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serialLimit := new(big.Int).Lsh(big.NewInt(1), 128)
	sn, err := rand.Int(rand.Reader, serialLimit)
	if err != nil {
		return nil, nil, err
	}
	host := "localhost"
	tmpl := &x509.Certificate{
		Subject:      pkix.Name{CommonName: host, Organization: []string{"HashiCorp"}},
		DNSNames:     []string{host},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		SerialNumber: sn,
		NotBefore:    time.Now().Add(-30 * time.Second),
		NotAfter:     time.Now().Add(262980 * time.Hour),
		IsCA:         true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}
