#!/usr/bin/env bash
# Regenerates Sources/SyncProtocol/Generated from Protocol/kcsync.proto.
#
# Needs protoc (Debian: apt-get install protobuf-compiler). The Swift plugin is built from the
# swift-protobuf package this project depends on, so the generated code matches the runtime.
# The output is committed: builds and CI never run this script.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }

plugin=${PROTOC_GEN_SWIFT:-}
if [ -z "$plugin" ]; then
  swift package resolve
  swift build -c release --package-path .build/checkouts/swift-protobuf \
    --scratch-path .build-protoc --product protoc-gen-swift
  plugin=.build-protoc/release/protoc-gen-swift
fi

protoc \
  --plugin=protoc-gen-swift="$plugin" \
  --swift_out=Sources/SyncProtocol/Generated \
  --swift_opt=Visibility=Public \
  --swift_opt=UseAccessLevelOnImports=true \
  --proto_path=Protocol \
  Protocol/kcsync.proto
echo "generated Sources/SyncProtocol/Generated/kcsync.pb.swift"
