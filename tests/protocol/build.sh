#!/bin/sh
# Builds the protocol checks (a `go test` binary) on the real go-plugin client library, with tfplugin6 stubs
# generated from proto/ by protoc and the protoc-gen-go / protoc-gen-go-grpc versions pinned in go.mod.
# Modules come through the Go module proxy; nothing generated is written into the source tree.
#
#   build.sh SRC PROTO WKT WORK OUT
#
# SRC is tests/protocol, PROTO the repo's proto/, WKT the folder holding google/protobuf/*.proto, WORK a private
# folder in the build tree, OUT the test binary to write.
set -eu
src=$1 proto=$2 wkt=$3 work=$4 out=$5
mod=$work/src
rm -rf "$mod"
mkdir -p "$mod/tfplugin6" "$work/bin"
cp "$src"/go.mod "$src"/go.sum "$src"/*.go "$mod/"
mkdir -p "$mod/azapistub"
cp "$src"/azapistub/*.go "$mod/azapistub/"
cd "$mod"
export GOFLAGS=-mod=readonly CGO_ENABLED=0
go build -o "$work/bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
go build -o "$work/bin/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc
protoc -I"$proto" -I"$wkt" \
	--plugin=protoc-gen-go="$work/bin/protoc-gen-go" --plugin=protoc-gen-go-grpc="$work/bin/protoc-gen-go-grpc" \
	--go_out=paths=source_relative:tfplugin6 --go_opt=Mtfplugin6.proto=foundry.test/protocol/tfplugin6 \
	--go-grpc_out=paths=source_relative:tfplugin6 --go-grpc_opt=Mtfplugin6.proto=foundry.test/protocol/tfplugin6 \
	tfplugin6.proto
go vet ./...
go test -c -o "$out" .
# The stand-in azapi provider for the adoption tests (tests/e2e/test_adoption.py).
go build -o "$(dirname "$out")/azapistub/terraform-provider-azapi" ./azapistub
