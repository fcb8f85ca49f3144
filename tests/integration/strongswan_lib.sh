# What the strongSwan tests share (sourced, with vfw and src set): the seed's network in
# namespaces, FW3 as strongSwan, FW1 as `vfw run`, and the helpers the checks use.
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

# FW3's swanctl.conf: the seed's head office. Options as KEY=VALUE: version (of IKE), aggressive
# (yes|no), remote, proposals, esp (with a DH group: PFS), secret, local_ts, ike_rekey and
# child_rekey (strongSwan's rekey_time, without random jitter; 0: its defaults), child_life (its
# life_time; 0: its default, 110% of rekey_time).
fw3_conf() {
  local version=2 aggressive=no remote=%any proposals=aes256-sha256-modp2048 esp=aes256-sha256
  local secret=Seed@2026 local_ts=10.2.1.0/24 ike_rekey=0 child_rekey=0 child_life=0
  for kv in "$@"; do local "${kv%%=*}=${kv#*=}"; done
  cat >"$work/fw3.conf" <<CONF
connections {
  fw1 {
    version = $version
    aggressive = $aggressive
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
            $([ "$child_rekey" != 0 ] && echo "rekey_time = $child_rekey
            rand_time = 0s")
            $([ "$child_life" != 0 ] && echo "life_time = $child_life") }
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
  mkdir -p "$work/keys-$runs"
  ip netns exec vfwt-fw1 "$vfw" run --config "$1" --socket "$work/cli.sock" --no-terminal --debug \
    --keys "$work/keys-$runs" >"$work/vfw-$runs.out" 2>"$log" &
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

no_sa_left() {
  for _ in $(seq 40); do
    "$peer" swanctl "$work/fw3" --list-sas | grep -q ESTABLISHED || return 0
    sleep 0.2
  done
  return 1
}
# A negotiation that must fail with REASON in vfw's display ike error-info; vfw's debugging lines
# (ikev1, ikev2, ipsec) are on, in $work/vfw-$runs.out for the caller's further checks.
mismatch() {  # mismatch NAME REASON INITIATOR FW1_SED FW3_OPTION...
  local name=$1 reason=$2 initiator=$3 fw1sed=$4
  shift 4
  "$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf "$@")"
  start_vfw "$(fw1_conf "$fw1sed")"
  vcli "return" "debugging ikev1 error" "debugging ikev2 error" "debugging ipsec error" >/dev/null
  if [ "$initiator" = vfw ]; then
    ping_pc2 1 >/dev/null
  else
    "$peer" swanctl "$work/fw3" --initiate --child net --timeout 5 >/dev/null
  fi
  check "$name: vfw says \"$reason\"" eventually "$reason" error_info
  stop_vfw
  "$peer" stop "$work/fw3"
}

# The ESP SPIs vfw shows (display ipsec sa brief) are the ones strongSwan lists, both directions.
same_spis() {
  local spis swan
  spis=$(vcli "display ipsec sa brief" | awk '$4 == "ESP" { printf "%08x\n", $3 }')
  swan=$("$peer" swanctl "$work/fw3" --list-sas)
  [ "$(wc -l <<<"$spis")" = 2 ] || return 1
  while read -r s; do grep -q "$s" <<<"$swan" || return 1; done <<<"$spis"
}

# tshark on the carrier's side facing FW1, IKE and NAT-T ports, into FILE.
capture_start() {
  ip netns exec vfwt-car tshark -q -i carA -f "udp port 500 or udp port 4500" -w "$1" \
    >/dev/null 2>&1 &
  tshark_pid=$!
  sleep 1
}
capture_stop() {
  sleep 0.5
  kill "$tshark_pid" 2>/dev/null
  wait "$tshark_pid" 2>/dev/null
  tshark_pid=
}

# Pings PC2 from PC1 (injected) up to five times, a second apart, until a reply comes back
# decrypted. With IKEv1 the responder installs its SAs on quick mode's third message, so a packet
# sent the same instant by the initiator may arrive before them: the first ping can be lost, as
# on real devices.
ping_until_reply() {
  local before
  before=$(grep -c "decrypted: 10.2.1.2 -> 10.1.1.2 protocol 1" "$log")
  for n in 2 3 4 5 6; do
    ping_pc2 "$n" >/dev/null
    sleep 1
    [ "$(grep -c "decrypted: 10.2.1.2 -> 10.1.1.2 protocol 1" "$log")" -gt "$before" ] && return 0
  done
  return 1
}
