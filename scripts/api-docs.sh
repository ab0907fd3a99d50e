#!/usr/bin/env bash
# Compiles the API contract (proto/quotalane/v1/*.proto) into a descriptor
# set and generates the API reference from it:
#   scripts/api-docs.sh            writes build/proto/quotalane.pb and
#                                  docs/API.md
#   scripts/api-docs.sh --check    writes the reference to
#                                  build/proto/API.md and fails when it
#                                  differs from docs/API.md
#   scripts/api-docs.sh --descriptor   the descriptor set only (for tests)
# API_DOCS_OUT=<dir> writes to <dir> instead of build/proto (tests running
# in parallel each use their own).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
. scripts/lib/need.sh

# protoc's well-known types (descriptor, empty, struct, timestamp) are
# not part of protobuf-compiler
need_cmd protoc protobuf-compiler
need_file /usr/include/google/protobuf/descriptor.proto libprotobuf-dev
need_cmd python3 python3

out=${API_DOCS_OUT:-build/proto}

mkdir -p "$out"
protoc --include_imports --include_source_info \
    --descriptor_set_out="$out/quotalane.pb" \
    -Iproto proto/quotalane/v1/*.proto

if [ "${1:-}" = "--descriptor" ]; then
    exit 0
fi

python3 scripts/api_reference.py markdown "$out/quotalane.pb" \
    > "$out/API.md"

if [ "${1:-}" = "--check" ]; then
    if ! diff -u docs/API.md "$out/API.md"; then
        echo "api-docs: docs/API.md is stale: run make api-docs" >&2
        exit 1
    fi
    exit 0
fi

mkdir -p docs
cp "$out/API.md" docs/API.md
