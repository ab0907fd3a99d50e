#!/usr/bin/env bash
# Builds ngx_http_quotalane_module.so against an nginx source tree.
#   NGINX_SRC   nginx source tree (default: Debian's nginx-dev tree)
#   BUILD_DIR   out-of-tree build directory (default: build/nginx)
#   MODULE_CC_OPT  extra compiler flags (e.g. for ASan)
# Configure runs again only when the tree, flags or addon config change.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
src=${NGINX_SRC:-/usr/share/nginx/src}
build=${BUILD_DIR:-$repo/build/nginx}
cc_opt=${MODULE_CC_OPT:-}

if [ ! -x "$src/configure" ]; then
    echo "build-module: no nginx source tree at $src" >&2
    echo "  (install nginx-dev, or set NGINX_SRC)" >&2
    exit 1
fi

flags=()
if [ -f "$src/conf_flags" ]; then
    # Debian's tree records the flags the packaged nginx was built with.
    # shellcheck disable=SC1091
    . "$src/conf_flags"
    flags=("${NGX_CONF_FLAGS[@]}")
else
    flags=(--with-compat)
fi

stamp_want=$(printf '%s\n' "$src" "${flags[*]}" "$cc_opt" \
    | cat - "$repo/config" "$repo"/ngx_quotalane_module/lua/*.lua \
        "$repo/ngx_quotalane_module/ngx_http_quotalane_scripts.h" \
    | sha256sum | cut -c1-16)
stamp_file=$build/.configure-stamp

mkdir -p "$build"
if [ ! -f "$build/Makefile" ] || [ "$(cat "$stamp_file" 2>/dev/null)" \
        != "$stamp_want" ]; then
    extra=()
    if [ -n "$cc_opt" ]; then
        extra=(--with-cc-opt="$cc_opt")
    fi
    (cd "$src" && ./configure "${flags[@]}" "${extra[@]}" \
        --add-dynamic-module="$repo" --builddir="$build") \
        > "$build/configure.log" 2>&1 || {
            tail -30 "$build/configure.log" >&2
            exit 1
        }
    echo "$stamp_want" > "$stamp_file"
fi

make -s -f "$build/Makefile" -C "$src" modules
