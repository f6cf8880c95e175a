#!/bin/sh
# bench.sh - builds bench-client and runs the tunnel benchmarks against build/daemon/switchboardd.
# Usage: tests/bench/bench.sh [BUILD_DIR] [bench.py options...]; figures go to stdout.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${SB_BUILD_ROOT:-$here/../../build}}
[ $# -gt 0 ] && shift
build=$(cd "$build" && pwd)

# 1,000 tunnels hold about 4,000 descriptors across the client, the daemon and the backend.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
ulimit -n "$hard"

out=$(mktemp -d "${TMPDIR:-/tmp}/sb-bench-XXXXXX")
trap 'rm -rf "$out"' EXIT
${CC:-cc} -O2 -std=gnu17 -D_GNU_SOURCE -Wall -Wextra -o "$out/bench-client" \
	"$here"/client/*.c -pthread $(pkg-config --cflags --libs gnutls)

SB_BUILD_ROOT=$build BENCH_CLIENT=$out/bench-client /usr/bin/python3 "$here/bench.py" "$@"
