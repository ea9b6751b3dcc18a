#!/bin/sh
# Builds the Go side of tests/conformance offline, in GOPATH mode (Debian 12 ships Go 1.19 and the
# libraries as golang-*-dev packages under /usr/share/gocode; there is no module proxy here).
#
#   gobuild.sh build SRC PROTO WKT WORK OUT   generate stubs, build OUT (the tfconform binary)
#   gobuild.sh test  SRC PROTO WKT WORK       go test every package (the client's self-tests)
#
# SRC is tests/conformance, PROTO the repo's proto/ (compiled as is: protoc handles proto3 optional),
# WKT the directory holding google/protobuf/*.proto, WORK a private directory in the build tree.
set -eu
mode=$1 src=$2 proto=$3 wkt=$4 work=$5
gp=$work/gopath
mkdir -p "$gp/src" "$work/gocache" "$work/tmp"
ln -sfn "$src/go" "$gp/src/tfconform"

# Generated stubs live beside the sources in GOPATH, never in the source tree.
gen=$gp/src/tfconformgen
stamp=$work/stubs.stamp
if [ ! -f "$stamp" ] || [ -n "$(find "$proto" -name '*.proto' -newer "$stamp")" ]; then
	rm -rf "$gen"
	mkdir -p "$gen/tfplugin6" "$gen/goplugin" "$gen/health"
	protoc -I"$proto" -I"$wkt" \
		--go_out=paths=source_relative:"$gen/tfplugin6" --go_opt=Mtfplugin6.proto=tfconformgen/tfplugin6 \
		--go-grpc_out=paths=source_relative:"$gen/tfplugin6" --go-grpc_opt=Mtfplugin6.proto=tfconformgen/tfplugin6 \
		tfplugin6.proto
	m=Mgrpc_controller.proto=tfconformgen/goplugin,Mgrpc_broker.proto=tfconformgen/goplugin,Mgrpc_stdio.proto=tfconformgen/goplugin
	protoc -I"$proto" -I"$wkt" \
		--go_out=paths=source_relative:"$gen/goplugin" --go_opt="$m" \
		--go-grpc_out=paths=source_relative:"$gen/goplugin" --go-grpc_opt="$m" \
		grpc_controller.proto grpc_broker.proto grpc_stdio.proto
	protoc -I"$proto" -I"$wkt" \
		--go_out=paths=source_relative:"$gen/health" --go_opt=Mhealth.proto=tfconformgen/health \
		--go-grpc_out=paths=source_relative:"$gen/health" --go-grpc_opt=Mhealth.proto=tfconformgen/health \
		health.proto
	touch "$stamp"
fi

export GO111MODULE=off GOPATH="$gp:/usr/share/gocode" GOCACHE="$work/gocache" GOPROXY=off GOFLAGS= GOENV=off \
	CGO_ENABLED=0 GOTMPDIR="$work/tmp"
# "./..." patterns do not follow the GOPATH symlink: list the packages explicitly.
pkgs=$(cd "$src/go" && find . -name '*.go' -printf '%h\n' | sort -u | sed 's#^\.#tfconform#')
case $mode in
build)
	out=$6
	go build -o "$out" tfconform/cmd/tfconform
	# the go-plugin 1.0.1 probe lives next to tfconform (protocol-test runs it)
	go build -o "$(dirname "$out")/tfconform-goplugin-probe" tfconform/cmd/tfconform-goplugin-probe
	# vet after the builds: with a cold GOCACHE, Go 1.19's vet once failed "could not import net" when it ran
	# first; after a build every dependency's export data is in the cache.
	go vet $pkgs
	;;
test)
	# -p 1: the self-tests start provider processes; keep within the 2 cores CI has.
	exec go test -count=1 -p 1 $pkgs
	;;
*)
	echo "gobuild.sh: unknown mode $mode" >&2
	exit 2
	;;
esac
