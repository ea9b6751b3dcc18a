// Command testprovider is a small tfplugin6 provider written in Go for tfconform's self-tests
// (terraform-provider-fake). It speaks go-plugin's server side (cookie, handshake line, AutoMTLS,
// GRPCController.Shutdown, hclog JSON on stderr) and keeps its "remote objects" in a JSON file
// (FAKE_STORE) so that each phase's new process sees the previous one's work. FAKE_MODE
// (comma-separated) makes it misbehave in the ways Terraform must reject; FAKE_CALLLOG records
// every RPC as "pid method" for call-sequence assertions.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"tfconform/plugin"
	goplugin "tfconformgen/goplugin"
	tfplugin6 "tfconformgen/tfplugin6"
)

var (
	modes   = map[string]bool{}
	logMu   sync.Mutex
	storeMu sync.Mutex
)

func mode(m string) bool { return modes[m] }

func logf(level, format string, args ...interface{}) {
	logMu.Lock()
	defer logMu.Unlock()
	b, _ := json.Marshal(map[string]string{"@level": level, "@message": fmt.Sprintf(format, args...),
		"@timestamp": time.Now().Format("2006-01-02T15:04:05.000000Z07:00"), "@module": "fake"})
	fmt.Fprintln(os.Stderr, string(b))
}

func callLog(method string) {
	p := os.Getenv("FAKE_CALLLOG")
	if p == "" {
		return
	}
	logMu.Lock()
	defer logMu.Unlock()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%d %s\n", os.Getpid(), method)
}

func main() {
	for _, m := range strings.Split(os.Getenv("FAKE_MODE"), ",") {
		if m != "" {
			modes[m] = true
		}
	}
	debug := len(os.Args) > 1 && os.Args[1] == "-debug"
	if os.Getenv(plugin.MagicCookieKey) != plugin.MagicCookieValue && !debug {
		fmt.Fprint(os.Stderr, "This binary is a plugin. These are not meant to be executed directly.\n"+
			"Please execute the program that consumes these plugins, which will\n"+
			"load any plugins automatically\n")
		os.Exit(1)
	}
	signal.Ignore(syscall.SIGINT)
	ok6 := debug
	for _, v := range strings.Split(os.Getenv("PLUGIN_PROTOCOL_VERSIONS"), ",") {
		if strings.TrimSpace(v) == "6" {
			ok6 = true
		}
	}
	if !ok6 {
		fmt.Println("1|6|unix|/nonexistent|grpc|")
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "fakeprov")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "plugin.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		panic(err)
	}
	var opts []grpc.ServerOption
	certField := ""
	if clientPEM := os.Getenv("PLUGIN_CLIENT_CERT"); clientPEM != "" && !debug {
		certPEM, keyPEM, err := plugin.GenerateCert()
		if err != nil {
			panic(err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			panic(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM([]byte(clientPEM))
		tc := &tls.Config{Certificates: []tls.Certificate{cert},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}
		if mode("no-alpn") {
			// A hand-rolled TLS layer without ALPN: Terraform's grpc-go >= 1.67 refuses it (notes 2.3).
			opts = append(opts, grpc.Creds(noALPN{credentials.NewTLS(tc), tc}))
		} else {
			opts = append(opts, grpc.Creds(credentials.NewTLS(tc)))
		}
		blk, _ := pem.Decode(certPEM)
		certField = base64.RawStdEncoding.EncodeToString(blk.Bytes)
	}
	srv := grpc.NewServer(opts...)
	tfplugin6.RegisterProviderServer(srv, &server{})
	done := make(chan struct{})
	goplugin.RegisterGRPCControllerServer(srv, &controller{done: done})
	if debug {
		// terraform-plugin-go's debug mode: plaintext, reattach instructions on stdout (notes 2.7).
		fmt.Printf("Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n")
		fmt.Printf("\tTF_REATTACH_PROVIDERS='{\"registry.terraform.io/tfconform/fake\":{\"Protocol\":\"grpc\",\"ProtocolVersion\":6,\"Pid\":%d,\"Test\":true,\"Addr\":{\"Network\":\"unix\",\"String\":%q}}}'\n", os.Getpid(), sock)
	} else {
		fmt.Printf("1|6|unix|%s|grpc|%s\n", sock, certField)
	}
	os.Stdout.Sync()
	if mode("stdout-noise") {
		fmt.Println("debug: hello from the provider")
	}
	if mode("stderr-noise") {
		fmt.Fprintln(os.Stderr, "[DEBUG] plain text log line")
	}
	logf("info", "fake provider serving on %s", sock)
	go srv.Serve(ln)
	<-done
	if mode("no-exit") {
		time.Sleep(time.Hour)
	}
	srv.Stop()
}

type controller struct {
	goplugin.UnimplementedGRPCControllerServer
	done chan struct{}
	once sync.Once
}

func (c *controller) Shutdown(ctx context.Context, _ *goplugin.Empty) (*goplugin.Empty, error) {
	callLog("Shutdown")
	c.once.Do(func() { close(c.done) })
	return &goplugin.Empty{}, nil
}

// noALPN serves TLS without selecting any ALPN protocol (credentials.NewTLS would add h2).
type noALPN struct {
	credentials.TransportCredentials
	cfg *tls.Config
}

func (n noALPN) ServerHandshake(raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn := tls.Server(raw, n.cfg)
	if err := conn.Handshake(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, credentials.TLSInfo{State: conn.ConnectionState()}, nil
}
