# Sourced by the scripts that shell out to tools: a missing tool or file
# is named, with the Debian package that provides it, in one line instead
# of a traceback further on.  scripts/install-deps.sh installs every
# package named here (t/004-install-deps.t checks).

need_missing() {
    printf '%s: %s not found: install the Debian package %s ' \
        "$(basename "$0")" "$1" "$2" >&2
    printf '(scripts/install-deps.sh does)\n' >&2
    exit 1
}

# need_cmd COMMAND PACKAGE
need_cmd() {
    command -v "$1" >/dev/null 2>&1 || need_missing "$1" "$2"
}

# need_file PATH PACKAGE
need_file() {
    [ -e "$1" ] || need_missing "$1" "$2"
}
