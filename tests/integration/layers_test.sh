#!/usr/bin/env bash
# The layers read one way: a folder includes only itself and the folders below it.
#   base/ < packet/ < config/ < zones/ nat/ routing/ ipsec/ < traffic/ ike/ pipeline/ kernel/ < stages/
#   < explain/ < device/ < diagnose/ netio/ nft/ < cli/ < lab/ manage/ < verify/ < app/
# Every folder has its row: a folder without one would pass whatever it included.
# ike/ (the IKE engine, sans I/O) sees the packet helpers and the IPSec algorithms, not the data
# plane: the device binds the two.
# usage: layers_test.sh SOURCE_DIR
set -u
cd "$1"
declare -A below=(
  [base]=""
  [packet]="base"
  [config]="base packet"
  [zones]="base packet config"
  [routing]="base packet config"
  [nat]="base packet config zones"
  [ipsec]="base packet config"
  [traffic]="base packet config zones"
  [ike]="base packet ipsec"
  [pipeline]="base packet config zones routing nat ipsec traffic"
  [stages]="base packet config zones routing nat ipsec traffic pipeline"
  [explain]="base packet config zones routing nat ipsec traffic pipeline stages"
  [diagnose]="base packet config zones routing nat ipsec traffic ike pipeline stages explain device"
  [netio]="base packet config zones routing nat ipsec traffic ike pipeline stages explain device"
  [nft]="base packet config"
  [device]="base packet config zones routing nat ipsec traffic ike pipeline stages explain"
  [kernel]="base packet config zones routing nat ipsec traffic pipeline"
  [cli]="base packet config zones routing nat ipsec traffic ike pipeline stages explain device"
  [lab]="base packet config zones routing nat ipsec traffic ike pipeline stages explain device cli"
  [manage]="base packet config zones routing nat ipsec traffic ike pipeline stages explain device diagnose netio cli"
  [verify]="base packet config zones routing nat ipsec traffic ike pipeline stages explain device diagnose cli lab"
  [app]="base packet config zones routing nat ipsec traffic ike pipeline kernel stages explain device diagnose netio nft cli lab manage verify"
)
failed=0
# The product's folders (the tests, benchmarks and fuzzers sit beside them and may see all).
for dir in $(find . -mindepth 2 \( -name '*.cpp' -o -name '*.hpp' \) | cut -d/ -f2 | sort -u); do
  case "$dir" in tests | bench | fuzz | build*) continue ;; esac
  if [ -z "${below[$dir]+set}" ]; then
    echo "FAILED: $dir/ has no row here: its includes are not checked"
    failed=1
  fi
done
for folder in "${!below[@]}"; do
  allowed="$folder ${below[$folder]}"
  while IFS=: read -r file _ include; do
    dir=$(echo "$include" | sed -n 's|.*#include "\([a-z_-]*\)/.*|\1|p')
    [ -z "$dir" ] && continue
    case " $allowed " in *" $dir "*) ;; *)
      echo "FAILED: $file includes $dir/, which is above $folder/"
      failed=1 ;;
    esac
  done < <(grep -rn '#include "' "$folder" --include='*.cpp' --include='*.hpp' 2>/dev/null)
done
[ $failed -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $failed
