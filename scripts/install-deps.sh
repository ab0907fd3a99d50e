#!/usr/bin/env bash
# Installs every Debian package QuotaLane needs to build, run, test and
# benchmark. Idempotent: does nothing when all packages are present.
#   scripts/install-deps.sh          install what is missing
#   scripts/install-deps.sh --list   print the package list, one a line
# t/004-install-deps.t checks that every header, .proto import, command
# and Perl module the project uses comes from one of these packages (or
# from what they depend on).
set -euo pipefail

packages=(
    # toolchain and the module's build against Debian's nginx tree
    build-essential pkg-config clang libclang-rt-14-dev
    nginx nginx-dev libpcre2-dev zlib1g-dev
    # libraries
    libssl-dev libhiredis-dev libjansson-dev libjwt-dev
    default-libmysqlclient-dev libmariadb-dev libmicrohttpd-dev
    libcrypt-dev libldap2-dev libcmocka-dev libcurl4-openssl-dev
    # the API contract: protoc and its well-known types
    protobuf-compiler libprotobuf-dev
    # servers the stack and the tests start (Prometheus scrapes the
    # metrics in a test; promtool checks them)
    mariadb-server mariadb-client redis-server slapd ldap-utils prometheus
    # scripts, tests and the bench
    perl python3 nodejs openssl curl procps util-linux coreutils git
    wrk nghttp2-client valgrind linux-perf
    # the web console's test drives a real browser, headless (and its
    # screenshots show the Chinese pages with a CJK font)
    chromium fonts-wqy-zenhei
)

if [ "${1:-}" = "--list" ]; then
    printf '%s\n' "${packages[@]}"
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

repo=$(cd "$(dirname "$0")/.." && pwd)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
# Debian's postinst scripts would start system-wide services; the project
# runs its own instances under var/ and in test temp dirs instead.
export DEBIAN_FRONTEND=noninteractive

# npm ci in $1 when its lockfile is newer than its node_modules
npm_ci() {
    if [ ! -d "$repo/$1/node_modules" ] \
            || [ "$repo/$1/package-lock.json" \
                 -nt "$repo/$1/node_modules" ]; then
        echo "install-deps: installing $2"
        (cd "$repo/$1" && npm ci --no-audit --no-fund --loglevel=error)
        touch "$repo/$1/node_modules"
    fi
}

install_sdks() {
    # NodeSource's nodejs bundles npm; Debian's does not
    if ! command -v npm >/dev/null 2>&1; then
        $sudo apt-get install -y -qq --no-install-recommends npm
    fi
    npm_ci t/sdk "the SDKs for the real-client tests"
    npm_ci console "the web console's libraries (make console copies them)"
}

if [ ${#missing[@]} -eq 0 ]; then
    install_sdks
    exit 0
fi

echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

# The real-client tests use the official SDKs, pinned by t/sdk's lockfile;
# the console its chart library, pinned by console's.
install_sdks
