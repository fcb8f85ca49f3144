#!/usr/bin/env bash
# vfw run left running under load (issue 25), on the seed's network in namespaces with
# strongSwan as FW3 and FW1 bound to its two veths (a session table of 4,096, as a small model's):
#  1. the session table filled by new flows, then aged on the device's clock with no one typing
#     a display: a new flow is refused while it is full and passes once the flood's sessions age;
#  2. a soak of SECONDS (default 150): PC1's pings through the tunnel five a second, a 4 MB TCP
#     exchange every 30 s, new UDP flows 20 a second, the CHILD SAs and the IKE SA rekeyed by
#     strongSwan every 25 s and 40 s, a line of configuration every 5 s, and from the carrier a
#     spoofed flood (FW3's address) of IKE_SA_INIT requests with a KE value outside the group,
#     one in four malformed, 200 a second. Nothing that should pass is lost, the flood turns
#     into cookies, and the resident memory stays flat.
# usage: soak_test.sh VFW_BINARY SOURCE_DIR [SECONDS]      (root; exit 77 = skipped)
set -uo pipefail
vfw=$1
src=$2
soak=${3:-150}
# shellcheck source=strongswan_lib.sh
. "$src/tests/integration/strongswan_lib.sh"
tcp=$src/tests/interop/tcp_check.py
flood=$src/tests/interop/flood.py

"$net" up --bound
"$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf ike_rekey=40s child_rekey=25s)"
cfg=$(fw1_conf "s/^ proposal p1$/ proposal p1\n sa duration time-based 600/")
log=$work/vfw-soak.log
# A sanitizer build keeps freed memory in quarantine (256 MB by default): kept small, so that
# what is measured is vfw's own.
ip netns exec vfwt-fw1 env ASAN_OPTIONS=quarantine_size_mb=8 "$vfw" run --config "$cfg" \
  --bind GigabitEthernet0/0/1=fw1i --bind GigabitEthernet0/0/2=fw1o --socket "$work/cli.sock" \
  --no-terminal --ssh-port 0 --sessions 4096 >"$work/vfw-soak.out" 2>"$log" &
vfw_pid=$!
for _ in $(seq 50); do [ -S "$work/cli.sock" ] && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$vfw_pid/status"; }
discards() { vcli "display firewall statistics system discard" | awk -F: "/$1/ {print \$2+0}"; }

ip netns exec vfwt-pc1 ping -c 1 -W 3 10.2.1.2 >/dev/null 2>&1  # starts IKE
check "the tunnel is up: PC1 pings PC2" \
  bash -c "sleep 1; ip netns exec vfwt-pc1 ping -c 3 -i 0.3 -W 2 10.2.1.2 | grep -q '3 received'"

# ---- 1. the table filled, then aged with no display typed
# Flooded in rounds until the device counts a refusal: a machine slower than the flood loses
# some of it (in the kernel's socket buffers, before vfw), so one burst of a fixed size may
# leave the table short of full.
for round in 0 1 2 3 4 5; do
  ip netns exec vfwt-pc1 /usr/bin/python3 "$flood" icmp-ids 10.2.1.2 1500 2000 $((round * 1500)) >/dev/null
  full=$(discards 'Session table full')
  [ "${full:-0}" -gt 0 ] && break
done
# The ping's identifier is outside the flood's (0 to 8,999): a random one would meet one of the
# flood's sessions about one time in seven and pass.
check "the session table filled: a new flow is refused, counted as session-table-full" \
  bash -c "! ip netns exec vfwt-pc1 ping -e 65000 -c 1 -W 1 10.2.1.2 >/dev/null &&
           [ \"\$(\"\$0\" cli --connect '$work/cli.sock' -c 'display firewall statistics system discard' |
                 awk -F: '/Session table full/ {print \$2+0}')\" -gt 0 ]" "$vfw"
sleep 24  # ICMP sessions age in 20 s
check "the flood's sessions aged on the device's clock: a new flow passes, no display typed" \
  bash -c "ip netns exec vfwt-pc1 ping -c 3 -i 0.3 -W 2 10.2.1.2 | grep -q '3 received'"

# ---- frames the host dropped while vfw could not read them (stopped): counted, and shown
kill -STOP "$vfw_pid"
ip netns exec vfwt-pc1 /usr/bin/python3 "$flood" udp-burst 198.51.100.1 40000 1000 >/dev/null
kill -CONT "$vfw_pid"
check "frames the host dropped before vfw read them are counted in display interface" \
  eventually "Host drops:" vcli "display interface GigabitEthernet0/0/1"
check "vfw run sized the Diffie-Hellman budget from a computation it measured" \
  grep -q "IKE/6/BUDGET: at most [0-9]* MODP-2048 responder computations a second" "$log"

# ---- 2. the soak
before_sas=$(grep -c "IPSEC/6/SA: inbound" "$log")
pings=$((soak * 5))
ip netns exec vfwt-pc1 ping -q -i 0.2 -c "$pings" -W 2 10.2.1.2 >"$work/ping.out" 2>&1 &
pinger=$!
ip netns exec vfwt-pc1 /usr/bin/python3 "$flood" udp-flows 198.51.100.1 20 "$soak" >"$work/udp.out" 2>&1 &
flows=$!
ip netns exec vfwt-car /usr/bin/python3 "$flood" ike-bad-ke 2.1.1.1 1.1.1.1 200 "$soak" >"$work/ike.out" 2>&1 &
ike_flood=$!
start=$(date +%s)
tcp_ok=0
tcp_runs=0
next_tcp=10
configured=0
rss_samples=()
while [ $(($(date +%s) - start)) -lt "$soak" ]; do
  elapsed=$(($(date +%s) - start))
  if [ "$elapsed" -ge "$next_tcp" ]; then
    next_tcp=$((next_tcp + 30))
    tcp_runs=$((tcp_runs + 1))
    ip netns exec vfwt-pc2 /usr/bin/python3 "$tcp" server 5001 >"$work/tcp-server" 2>&1 &
    server=$!
    sleep 0.5
    sent=$(ip netns exec vfwt-pc1 timeout 40 /usr/bin/python3 "$tcp" client 10.2.1.2 5001 4000000 2>&1)
    wait $server
    [ -n "$sent" ] && [ "$sent" = "$(cat "$work/tcp-server")" ] && tcp_ok=$((tcp_ok + 1))
  fi
  # A line of configuration: a rule added, then removed, in turn.
  configured=$((configured + 1))
  if [ $((configured % 2)) -eq 1 ]; then
    "$vfw" cli --connect "$work/cli.sock" -c system-view -c security-policy \
      -c "rule name soak$configured" -c 'source-zone untrust' -c 'destination-zone local' \
      -c 'service ssh' -c 'action deny' -c return >/dev/null 2>&1
  else
    "$vfw" cli --connect "$work/cli.sock" -c system-view -c security-policy \
      -c "undo rule name soak$((configured - 1))" -c return >/dev/null 2>&1
  fi
  rss_samples+=("$(rss)")
  sleep 5
done
wait $pinger $flows $ike_flood
after_sas=$(grep -c "IPSEC/6/SA: inbound" "$log")
echo "soak: $(tail -2 "$work/ping.out" | head -1); $(cat "$work/udp.out"); $(cat "$work/ike.out");" \
  "TCP $tcp_ok/$tcp_runs; CHILD SAs installed $((after_sas - before_sas)); RSS (kB) ${rss_samples[*]}"
check "soak: not one of PC1's pings lost across rekeys, floods and configuration changes" \
  grep -q " 0% packet loss" "$work/ping.out"
check "soak: every 4 MB TCP exchange arrived unchanged" test "$tcp_ok" -eq "$tcp_runs" -a "$tcp_runs" -ge 2
check "soak: strongSwan rekeyed the CHILD SAs while the floods ran" [ $((after_sas - before_sas)) -ge 2 ]
check "soak: the spoofed IKE flood turned into cookies, said once a second, the log bounded" \
  bash -c "grep -q 'IKE/4/DEFENCE: [0-9]* IKE_SA_INIT requests answered with a cookie' '$log' &&
           [ \$(grep -c 'IKE/4/DEFENCE' '$log') -le \$(( $soak + 60 )) ] &&
           [ \$(wc -l <'$log') -lt \$(( $soak * 4 + 200 )) ]"
check "soak: the device is alive and answers its CLI" \
  bash -c "kill -0 $vfw_pid && '$vfw' cli --connect '$work/cli.sock' -c 'display version' | grep -q USG6000V1"
# Flat: the last samples no higher than the median of the first half plus 10% (and 4 MB).
check "soak: resident memory flat" /usr/bin/python3 -c '
import statistics, sys
s = [int(x) for x in sys.argv[1:]]
base = statistics.median(s[: max(1, len(s) // 2)])
sys.exit(0 if max(s[-3:]) <= base * 1.10 + 4096 else 1)' "${rss_samples[@]}"
stop_vfw
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
