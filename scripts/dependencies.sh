# Sourced by the scripts in this directory: makes sure Debian packages are
# installed. As root it installs what is missing with apt-get; otherwise it
# says what to install and stops.

# require_debian_packages PACKAGE...
require_debian_packages() {
    local missing=()
    local package
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "fedpp: not a Debian system; make sure these (or your system's equivalents) are installed: $*" >&2
        return 0
    fi
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$package")
        fi
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return 0
    fi
    if [ "$(id -u)" -eq 0 ]; then
        echo "fedpp: installing ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "fedpp: missing Debian packages: ${missing[*]}" >&2
        echo "fedpp: install them with: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
}

# The number of parallel build jobs.
build_jobs() {
    nproc 2>/dev/null || echo 2
}
