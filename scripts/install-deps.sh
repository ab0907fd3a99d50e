#!/usr/bin/env bash
# Installs every Debian package QuotaLane needs to build, run, test and
# benchmark. Idempotent: does nothing when all packages are present.
set -euo pipefail

packages=(
    build-essential pkg-config perl python3 nodejs
    nginx nginx-dev libpcre2-dev zlib1g-dev
    libssl-dev libhiredis-dev libjansson-dev libjwt-dev
    default-libmysqlclient-dev libmariadb-dev libmicrohttpd-dev
    libcrypt-dev libldap2-dev libcmocka-dev
    mariadb-server mariadb-client redis-server
    protobuf-compiler wrk nghttp2-client valgrind curl slapd ldap-utils
    clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

repo=$(cd "$(dirname "$0")/.." && pwd)

install_sdks() {
    if [ ! -d "$repo/t/sdk/node_modules" ] \
            || [ "$repo/t/sdk/package-lock.json" \
                 -nt "$repo/t/sdk/node_modules" ]; then
        echo "install-deps: installing the SDKs for the real-client tests"
        (cd "$repo/t/sdk" && npm ci --no-audit --no-fund --loglevel=error)
        touch "$repo/t/sdk/node_modules"
    fi
}

if [ ${#missing[@]} -eq 0 ]; then
    install_sdks
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
# Debian's postinst scripts would start system-wide services; the project
# runs its own instances under var/ and in test temp dirs instead.
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The real-client tests use the official SDKs, pinned by t/sdk's lockfile.
install_sdks
