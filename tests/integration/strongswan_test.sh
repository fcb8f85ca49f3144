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
# shellcheck source=strongswan_lib.sh
. "$src/tests/integration/strongswan_lib.sh"

# ---- vfw initiates; tshark listens on the carrier
"$net" up
capture_start "$work/ike.pcap"
"$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf)"
start_vfw "$src/examples/fw1.cfg"
first=$(ping_pc2 1)
check "a packet without an SA starts IKE and waits for the tunnel" \
  grep -q "negotiation with ike-peer fw3 starts.*held" <<<"$first"
check "display ike sa: RD|ST for v2:1 and v2:2" eventually "RD|ST|A               v2:2" ike_sa
check "display ike sa: the IKE SA too" eventually "RD|ST|A               v2:1" ike_sa
check "strongSwan: ESTABLISHED and INSTALLED" \
  eventually "INSTALLED, TUNNEL-in-UDP" "$peer" swanctl "$work/fw3" --list-sas
check "the same SPIs on both sides" same_spis
check "vfw run --keys: its esp_sa table holds the tunnel's SAs while they are up" \
  eventually "AES-CBC [RFC3602]" cat "$work/keys-$runs/esp_sa"
ping_pc2 2 >/dev/null
check "a ping injected on vfw reaches PC2 and its reply comes back decrypted" \
  eventually "decrypted: 10.2.1.2 -> 10.1.1.2 protocol 1" cat "$log"
stop_vfw
capture_stop
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
# vfw run --keys DIR kept Wireshark's own table: the same decryption from the file as it is.
options=()
while IFS= read -r line; do options+=(-o "uat:ikev2_decryption_table:$line"); done \
  <"$work/keys-$runs/ikev2_decryption_table"
decrypted=$(tshark -r "$work/ike.pcap" -Y isakmp -V "${options[@]}" 2>&1)
check "vfw run --keys: with its ikev2_decryption_table tshark reads IKE_AUTH's traffic selectors" \
  grep -q "Traffic Selector - Initiator" <<<"$decrypted"
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
# (a reply counted, not looked for in the log's last lines: with strongSwan renewing every 8 s
# exactly, the lines of a renewal can follow the reply's at once)
check "rekeying: traffic crosses the tunnel on the new SAs" ping_until_reply
stop_vfw
"$peer" stop "$work/fw3"

# ---- the seed's six failures, each named on vfw's side
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
