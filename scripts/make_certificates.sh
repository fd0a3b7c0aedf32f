#!/usr/bin/env bash
# Makes the certificates of a federation for mutual TLS: a certificate
# authority (ca.pem, ca.key) and, for every party named on the command line,
# a key and a certificate signed by it, whose name (subject CN and
# subjectAltName DNS) is the party's name: its identity to the others.
#
#     bash scripts/make_certificates.sh DIR me bob alice secure_worker
#
# writes DIR/ca.pem and DIR/<name>.pem, DIR/<name>.key. For tests and
# examples: a real deployment has its own authority, and each party keeps
# its key to itself. Needs OpenSSL's command line (Debian: openssl).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: $0 DIR NAME..." >&2
    exit 2
fi
dir="$1"
shift
mkdir -p "$dir"
cd "$dir"
if [ ! -f ca.pem ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
        -days 30 -subj "/CN=fedpp test authority" -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
for name in "$@"; do
    case "$name" in
        *[!A-Za-z0-9._-]*) echo "$0: a party's name is letters, digits, '.', '_' and '-': '$name'" >&2; exit 2 ;;
    esac
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$name.key" -out "$name.csr" \
        -subj "/CN=$name" 2>/dev/null
    printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' \
        "$name" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" -days 30 \
        -extfile "$name.ext" 2>/dev/null
    rm -f "$name.csr" "$name.ext"
done
