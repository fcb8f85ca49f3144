#!/usr/bin/env bash
# vfw against a real strongSwan (issue 9), in the seed's network built in network namespaces
# (tests/interop/seed-network): vfw runs as FW1 (`vfw run`, IKE on 1.1.1.1:500/4500), strongSwan as
# FW3. Cases: vfw initiates; strongSwan initiates; across the carrier's NAT; each of the seed's
# six mismatches, named on vfw's side; tshark decodes every IKE message without a malformed
# packet and, with the keys vfw logs at debug level, decrypts them.
# usage: strongswan_test.sh VFW_BINARY SOURCE_DIR      (root; exit 77 = skipped, with the reason)
set -uo pipefail
vfw=$1
src=$2
if [ "$(id -u)" != 0 ]; then echo "SKIP: network namespaces need root"; exit 77; fi
for tool in swanctl tshark nft ip; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup)"; exit 77; }
done
export VFW_NETNS_PREFIX=vfwt
# A chroot (no mount of its own at /) lets `ip netns add` make a name but not a namespace: probe
# by using one.
if ! { ip netns add vfwt-probe && ip netns exec vfwt-probe ip link show lo; } >/dev/null 2>&1; then
  ip netns del vfwt-probe 2>/dev/null
  echo "SKIP: network namespaces cannot be used here (a chroot or a container without them)"
  exit 77
fi
ip netns del vfwt-probe

work=$(mktemp -d /tmp/vfw-strongswan-XXXXXX)
export VFW_DEVICE_KEY=$work/device.key
net=$src/tests/interop/seed-network
peer=$src/tests/interop/strongswan-peer
vfw_pid=
tshark_pid=
passed=0
failed=0

cleanup() {
  stop_vfw
  [ -n "$tshark_pid" ] && kill "$tshark_pid" 2>/dev/null
  "$peer" stop "$work/fw3" 2>/dev/null
  "$net" down
  if [ $failed -eq 0 ]; then rm -rf "$work"; else echo "kept for inspection: $work"; fi
}
trap cleanup EXIT

check() {  # check NAME COMMAND...: one result line
  local name=$1
  shift
  if "$@"; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failed=$((failed + 1))
    echo "---- vfw log"; tail -15 "$log"
    echo "---- strongSwan log"; tail -15 "$work/fw3/charon.log" 2>/dev/null
  fi
}

# FW3's swanctl.conf: the seed's head office. Options as KEY=VALUE: remote, proposals, esp,
# secret, local_ts, ike_rekey and child_rekey (strongSwan's rekey_time; 0: its defaults).
fw3_conf() {
  local remote=%any proposals=aes256-sha256-modp2048 esp=aes256-sha256 secret=Seed@2026
  local local_ts=10.2.1.0/24 ike_rekey=0 child_rekey=0
  for kv in "$@"; do local "${kv%%=*}=${kv#*=}"; done
  cat >"$work/fw3.conf" <<CONF
connections {
  fw1 {
    version = 2
    local_addrs = 2.1.1.1
    remote_addrs = $remote
    proposals = $proposals
    $([ "$ike_rekey" != 0 ] && echo "rekey_time = $ike_rekey")
    local { auth = psk
            id = 2.1.1.1 }
    remote { auth = psk }
    children {
      net { local_ts = $local_ts
            remote_ts = 10.1.1.0/24
            esp_proposals = $esp
            $([ "$child_rekey" != 0 ] && echo "rekey_time = $child_rekey") }
    }
  }
}
secrets {
  ike-fw1 { secret = "$secret" }
}
CONF
  echo "$work/fw3.conf"
}

# FW1's configuration: the seed's example, changed by a sed script.
fw1_conf() {
  sed -e "${1:-}" "$src/examples/fw1.cfg" >"$work/fw1.cfg"
  echo "$work/fw1.cfg"
}

runs=0
log=$work/vfw-0.log
start_vfw() {  # each run logs to a file of its own, so that no check reads an earlier run's lines
  rm -f "$work/cli.sock"
  runs=$((runs + 1))
  log=$work/vfw-$runs.log
  ip netns exec vfwt-fw1 "$vfw" run --config "$1" --socket "$work/cli.sock" --no-terminal --debug \
    >"$work/vfw-$runs.out" 2>"$log" &
  vfw_pid=$!
  for _ in $(seq 50); do [ -S "$work/cli.sock" ] && return 0; sleep 0.1; done
  echo "vfw run did not open its socket"; cat "$log"
  return 1
}

stop_vfw() {
  [ -z "$vfw_pid" ] && return 0
  kill -TERM "$vfw_pid" 2>/dev/null
  wait "$vfw_pid" 2>/dev/null
  vfw_pid=
}

vcli() {
  local args=()
  for c in "$@"; do args+=(-c "$c"); done
  "$vfw" cli --connect "$work/cli.sock" "${args[@]}" 2>&1
}
ping_pc2() {
  vcli "packet-trace input-interface GigabitEthernet0/0/1 protocol icmp source 10.1.1.2 destination 10.2.1.2 source-port ${1:-1}"
}
# Waits up to 8 s for a command's output to contain a text.
eventually() {  # eventually TEXT COMMAND...
  local text=$1
  shift
  for _ in $(seq 40); do
    "$@" | grep -qF -- "$text" && return 0
    sleep 0.2
  done
  return 1
}
ike_sa() { vcli "display ike sa"; }
error_info() { vcli "display ike error-info"; }

# ---- vfw initiates; tshark listens on the carrier
"$net" up
ip netns exec vfwt-car tshark -q -i carA -f "udp port 500 or udp port 4500" -w "$work/ike.pcap" \
  >/dev/null 2>&1 &
tshark_pid=$!
sleep 1
"$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf)"
start_vfw "$src/examples/fw1.cfg"
first=$(ping_pc2 1)
check "a packet without an SA starts IKE and waits for the tunnel" \
  grep -q "negotiation with ike-peer fw3 starts.*held" <<<"$first"
check "display ike sa: RD|ST for v2:1 and v2:2" eventually "RD|ST|A               v2:2" ike_sa
check "display ike sa: the IKE SA too" eventually "RD|ST|A               v2:1" ike_sa
check "strongSwan: ESTABLISHED and INSTALLED" \
  eventually "INSTALLED, TUNNEL-in-UDP" "$peer" swanctl "$work/fw3" --list-sas
spis=$(vcli "display ipsec sa brief" | awk '$4 == "ESP" { printf "%08x\n", $3 }')
swan=$("$peer" swanctl "$work/fw3" --list-sas)
same_spis() { [ "$(wc -l <<<"$spis")" = 2 ] && while read -r s; do grep -q "$s" <<<"$swan" || return 1; done <<<"$spis"; }
check "the same SPIs on both sides" same_spis
ping_pc2 2 >/dev/null
check "a ping injected on vfw reaches PC2 and its reply comes back decrypted" \
  eventually "decrypted: 10.2.1.2 -> 10.1.1.2 protocol 1" cat "$log"
stop_vfw
sleep 0.5
kill "$tshark_pid" 2>/dev/null
wait "$tshark_pid" 2>/dev/null
tshark_pid=
no_sa_left() {
  for _ in $(seq 40); do
    "$peer" swanctl "$work/fw3" --list-sas | grep -q ESTABLISHED || return 0
    sleep 0.2
  done
  return 1
}
check "vfw's stop deletes the SAs on strongSwan too" no_sa_left
decoded=$(tshark -r "$work/ike.pcap" -Y isakmp -V 2>&1)
check "tshark decodes every IKE message without a malformed packet" \
  bash -c "grep -q 'IKE_AUTH' <<<\"\$1\" && ! grep -qi malformed <<<\"\$1\"" _ "$decoded"
keys=$(grep "IKE/7/KEYS" "$log" | head -1)
read -r _ _ spi_i _ spi_r _ ei _ er _ ai _ ar _ <<<"$keys"
table="$spi_i,$spi_r,$ei,$er,\"AES-CBC-256 [RFC3602]\",$ai,$ar,\"HMAC_SHA2_256_128 [RFC4868]\""
decrypted=$(tshark -r "$work/ike.pcap" -Y isakmp -V -o "uat:ikev2_decryption_table:$table" 2>&1)
check "with the keys vfw logs, tshark decrypts its IKE_AUTH" \
  grep -q "Identification - Initiator" <<<"$decrypted"
"$peer" stop "$work/fw3"

# ---- strongSwan initiates; vfw answers
"$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf remote=1.1.1.1)"
start_vfw "$src/examples/fw1.cfg"
"$peer" swanctl "$work/fw3" --initiate --child net --timeout 15 >/dev/null
check "vfw as responder: RD for v2:1 and v2:2, without ST" eventually "RD|A                  v2:2" ike_sa
ip netns exec vfwt-pc2 ping -c 2 -i 0.3 -W 1 10.1.1.2 >/dev/null 2>&1
check "PC2's ping arrives at vfw through the tunnel, decrypted" \
  eventually "decrypted: 10.2.1.2 -> 10.1.1.2" cat "$log"
stop_vfw
"$peer" stop "$work/fw3"

# ---- across the carrier's NAT
"$net" up --nat
"$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf)"
start_vfw "$src/examples/fw1.cfg"
ping_pc2 1 >/dev/null
check "behind NAT: the IKE SA floats to 4500" eventually "2.1.1.1:4500" ike_sa
ping_pc2 2 >/dev/null
check "behind NAT: a ping and its reply cross the tunnel" \
  eventually "decrypted: 10.2.1.2 -> 10.1.1.2 protocol 1" cat "$log"
stop_vfw
"$peer" stop "$work/fw3"
"$net" up

# ---- rekeying with short lifetimes on both sides, traffic surviving
"$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf ike_rekey=12s child_rekey=8s)"
start_vfw "$(fw1_conf "s/^ proposal p1$/ proposal p1\n sa duration time-based 20/")"
ping_pc2 1 >/dev/null
eventually "RD|ST|A               v2:2" ike_sa >/dev/null
first_ike=$("$peer" swanctl "$work/fw3" --list-sas | grep -o '[0-9a-f]\{16\}_i' | head -1)
sleep 24
rekeyed() {
  local now
  now=$("$peer" swanctl "$work/fw3" --list-sas)
  grep -q "INSTALLED" <<<"$now" && ! grep -q "$first_ike" <<<"$now" &&
    [ "$(grep -c "SA pair spi .* deleted" "$log")" -ge 2 ]
}
check "rekeying: the IKE SA and the CHILD SAs renewed, the old ones deleted" rekeyed
check "rekeying: no negotiation failed" eventually "Current info Num :0 " error_info
ping_pc2 7 >/dev/null
check "rekeying: traffic crosses the tunnel on the new SAs" \
  eventually "decrypted: 10.2.1.2 -> 10.1.1.2 protocol 1" bash -c "tail -5 \"$log\""
stop_vfw
"$peer" stop "$work/fw3"

# ---- the seed's six failures, each named on vfw's side
mismatch() {  # mismatch NAME REASON INITIATOR FW1_SED FW3_OPTION...
  local name=$1 reason=$2 initiator=$3 fw1sed=$4
  shift 4
  "$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf "$@")"
  start_vfw "$(fw1_conf "$fw1sed")"
  if [ "$initiator" = vfw ]; then
    ping_pc2 1 >/dev/null
  else
    "$peer" swanctl "$work/fw3" --initiate --child net --timeout 5 >/dev/null
  fi
  check "$name: vfw says \"$reason\"" eventually "$reason" error_info
  stop_vfw
  "$peer" stop "$work/fw3"
}
mismatch "IKE proposals differ" "phase1 proposal mismatch" vfw "" proposals=aes128-sha256-modp2048
mismatch "pre-shared keys differ" "authentication fail" vfw "" secret=Other@2026
mismatch "remote-address missing" "peer address mismatch" strongswan \
  "s/^ remote-address 2.1.1.1$/ remote-address 9.9.9.9/" remote=1.1.1.1
mismatch "remote-id differs from the peer's name" "config ID mismatch" strongswan \
  "s/^ remote-address 2.1.1.1$/ remote-address 2.1.1.1\n remote-id-type fqdn\n remote-id fw3/" \
  remote=1.1.1.1
mismatch "ACL rules do not mirror" "flow mismatch" vfw "" local_ts=10.9.9.0/24
mismatch "IPSec proposals differ" "phase2 proposal or pfs mismatch" vfw "" esp=aes128-sha256

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
