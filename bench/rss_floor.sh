#!/bin/sh
# The resident-memory floor set by linking alone: a program that does nothing (std::string + pause())
# linked against growing subsets of the agent's libraries, and the same program linked statically.
# Shows what each group of libraries costs before the agent runs a line of its own (bench/rss.sh
# measures the agent itself). Builds its programs in a temp dir; needs g++ and the -dev packages
# the agent builds with. Median of REPEAT starts per variant.
#   bench/rss_floor.sh            # REPEAT=5
set -eu
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fluxloop-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
repeat=${REPEAT:-5}

cat >"$tmp/floor.cpp" <<'EOF'
#include <unistd.h>
#include <string>
int main(int argc, char**) { std::string s(static_cast<std::size_t>(argc) * 100, 'x'); pause(); return static_cast<int>(s.size()); }
EOF

# After the agent's first HTTPS request it holds a TLS client context with the system CA store.
cat >"$tmp/floor_tls.cpp" <<'EOF2'
#include <malloc.h>
#include <openssl/ssl.h>
#include <unistd.h>
int main() {
  SSL_CTX* c = SSL_CTX_new(TLS_client_method());
#ifdef LAZY_DIR  // only the hashed directory: certificates are read when a chain needs them
  SSL_CTX_load_verify_locations(c, nullptr, X509_get_default_cert_dir());
#else            // what set_default_verify_paths does: also parses the whole bundle file now
  SSL_CTX_set_default_verify_paths(c);
#endif
#ifdef DROP      // the context released again after use, heap trimmed
  SSL_CTX_free(c);
  c = nullptr;
  malloc_trim(0);
#endif
  pause();
  SSL_CTX_free(c);
}
EOF2

keyring="-lsecret-1 -lgio-2.0 -lgobject-2.0 -lglib-2.0"
systemd="-l:libsystemd.so.0"  # the agent no longer links it; no -dev package needed
tls="-lssl -lcrypto"
logging="-lspdlog -lfmt"
qr="-lqrencode"

# name | extra g++ arguments
variants="c++ dynamic (libstdc++, libc)|
c++ -static-libstdc++ -static-libgcc|-static-libstdc++ -static-libgcc
c++ -static-pie|-static-pie
+ spdlog fmt qrencode|-Wl,--no-as-needed $logging $qr
+ OpenSSL|-Wl,--no-as-needed $logging $qr $tls
+ libsystemd|-Wl,--no-as-needed $logging $qr $tls $systemd
+ libsecret gio gobject glib (= the agent's NEEDED list)|-Wl,--no-as-needed $logging $qr $tls $systemd $keyring
agent's list without libsecret/glib|-Wl,--no-as-needed $logging $qr $tls $systemd
agent's list without libsecret/glib and libsystemd|-Wl,--no-as-needed $logging $qr $tls
only spdlog fmt qrencode (TLS, keyring and libsystemd not mapped while idle)|-Wl,--no-as-needed $logging $qr
only qrencode, -static-libstdc++ (spdlog/fmt compiled in: no libstdc++.so at all)|-static-libstdc++ -static-libgcc -Wl,--no-as-needed $qr
TLS context + system CA store, OpenSSL dynamic|floor_tls $tls
TLS context + system CA store, OpenSSL static (libssl.a libcrypto.a), -static-libstdc++|floor_tls -static-libstdc++ -static-libgcc -Wl,-Bstatic -lssl -lcrypto -Wl,-Bdynamic
TLS context + system CA store, -static-pie|floor_tls -static-pie $tls
TLS context + CA directory only (lazy lookup), OpenSSL dynamic|floor_tls -DLAZY_DIR $tls
TLS context + system CA store, freed again + malloc_trim, OpenSSL dynamic|floor_tls -DDROP $tls"

echo "REPEAT=$repeat loadavg=$(loadavg); medians in KiB"
printf '%8s %8s %8s %8s  %s\n' VmRSS RssAnon RssFile Pss variant
n=0
echo "$variants" | while IFS='|' read -r name args; do
  n=$((n + 1))
  src=$tmp/floor.cpp
  case $args in floor_tls*) src=$tmp/floor_tls.cpp args=${args#floor_tls} ;; esac
  # shellcheck disable=SC2086 # args are g++ arguments
  g++ -O2 -std=c++20 -o "$tmp/floor$n" "$src" $args 2>"$tmp/cc.log" || {
    printf '%8s %8s %8s %8s  %s (does not link: %s)\n' - - - - "$name" "$(head -c 120 "$tmp/cc.log")"
    continue
  }
  : >"$tmp/m.txt"
  k=0
  while [ $k -lt "$repeat" ]; do
    "$tmp/floor$n" &
    pid=$!
    sleep 0.3
    awk '/^(VmRSS|RssAnon|RssFile):/ { printf "%s ", $2 }' "/proc/$pid/status" >>"$tmp/m.txt"
    awk '/^Pss:/ { print $2 }' "/proc/$pid/smaps_rollup" >>"$tmp/m.txt"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    k=$((k + 1))
  done
  printf '%8s %8s %8s %8s  %s\n' "$(cut -d' ' -f1 "$tmp/m.txt" | median)" "$(cut -d' ' -f2 "$tmp/m.txt" | median)" \
    "$(cut -d' ' -f3 "$tmp/m.txt" | median)" "$(cut -d' ' -f4 "$tmp/m.txt" | median)" "$name"
done
