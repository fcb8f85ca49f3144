#!/usr/bin/env bash
# The layers hold at link level too: no archive of a layer calls into a layer above it or beside
# it. Each archive's undefined symbols are looked up among the symbols every vfw archive defines;
# one defined only by an archive that is not below (or the archive itself) is a call that climbs.
# The order is CMakeLists.txt's (each library links only those before it that it names).
# usage: layers_link.sh BUILD_DIR
set -u
cd "$1" || exit 1
declare -A below=(
  [vfw_packet]=""
  [vfw_config]="vfw_packet"
  [vfw_tables]="vfw_packet vfw_config"
  [vfw_ike]="vfw_packet vfw_config vfw_tables"
  [vfw_pipeline]="vfw_packet vfw_config vfw_tables"
  [vfw_explain]="vfw_packet vfw_config vfw_tables vfw_pipeline"
  [vfw_device]="vfw_packet vfw_config vfw_tables vfw_ike vfw_pipeline vfw_explain"
  [vfw_hosts]="vfw_packet vfw_config vfw_tables vfw_ike vfw_pipeline vfw_explain vfw_device"
  [vfw_cli]="vfw_packet vfw_config vfw_tables vfw_ike vfw_pipeline vfw_explain vfw_device"
  [vfw_lab]="vfw_packet vfw_config vfw_tables vfw_ike vfw_pipeline vfw_explain vfw_device vfw_cli"
  [vfw_manage]="vfw_packet vfw_config vfw_tables vfw_ike vfw_pipeline vfw_explain vfw_device vfw_cli"
  [vfw_app]="vfw_packet vfw_config vfw_tables vfw_ike vfw_pipeline vfw_explain vfw_device vfw_hosts vfw_cli vfw_lab vfw_manage"
)
for lib in "${!below[@]}"; do
  [ -f "lib$lib.a" ] || { echo "FAILED: lib$lib.a was not built"; echo "0 passed, 1 failed"; exit 1; }
done
failed=0
defined=$(mktemp)
trap 'rm -f "$defined"' EXIT
# "symbol library" for every symbol an archive defines (weak ones too: an inline function is
# defined wherever it is used, so it climbs nowhere).
for lib in "${!below[@]}"; do
  nm --defined-only --format=posix "lib$lib.a" 2>/dev/null |
    awk -v lib="$lib" 'NF >= 2 && $2 !~ /^[UNn?]$/ {print $1, lib}'
done | sort -u >"$defined"
for lib in "${!below[@]}"; do
  found=$(nm --undefined-only --format=posix "lib$lib.a" 2>/dev/null | awk 'NF >= 2 {print $1}' |
    sort -u | awk -v allowed=" $lib ${below[$lib]} " '
      NR == FNR { owners[$1] = owners[$1] " " $2; next }
      ($1 in owners) {
        n = split(owners[$1], o, " "); ok = 0
        for (i = 1; i <= n; ++i) if (index(allowed, " " o[i] " ")) ok = 1
        if (!ok) print $1 "\t" owners[$1]
      }' "$defined" -)
  [ -z "$found" ] && continue
  failed=1
  while IFS=$'\t' read -r symbol owners; do
    echo "FAILED: lib$lib.a calls $(echo "$symbol" | c++filt), defined in$owners (not below it)"
  done <<<"$found"
done
[ $failed -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $failed
