#!/usr/bin/env bash
# vfw as a virtual firewall on real interfaces (issue 13), in the seed's network built in network
# namespaces: `vfw run --bind` owns FW1's two interfaces through AF_PACKET (no addresses in the
# host's stack there) and forwards PC1's real traffic. Cases: strongSwan as FW3 with IKEv2 and
# with IKEv1 main mode; the carrier masquerading FW1 (ESP in UDP 4500 both ways); vfw against
# vfw, both on real interfaces. Each: ping and a 4 MB TCP exchange checked end to end (SHA-256),
# from PC1 to PC2 and from PC2 to PC1, through the tunnel; display arp and display ike sa. And the
# management network: Netmiko from the admin's namespace over SSH to GigabitEthernet0/0/0 (left
# to FW1's own stack), and guessing passwords locked out.
# usage: vm_test.sh VFW_BINARY SOURCE_DIR      (root; exit 77 = skipped, with the reason)
set -uo pipefail
vfw=$1
src=$2
# shellcheck source=strongswan_lib.sh
. "$src/tests/integration/strongswan_lib.sh"
tcp=$src/tests/interop/tcp_check.py
vfw3_pid=
stop_vfw3() {
  [ -z "$vfw3_pid" ] && return 0
  kill -TERM "$vfw3_pid" 2>/dev/null
  wait "$vfw3_pid" 2>/dev/null
  vfw3_pid=
}
trap 'stop_vfw3; cleanup' EXIT

# FW1 (or FW3 with "fw3") as `vfw run` on its namespace's two interfaces.
start_bound() {  # start_bound CONFIG [fw3]
  local node=${2:-fw1} lan=fw1i wan=fw1o
  [ "$node" = fw3 ] && lan=fw3i wan=fw3o
  runs=$((runs + 1))
  local sock=$work/$node.sock
  rm -f "$sock"
  [ "$node" = fw1 ] && log=$work/vfw-$runs.log
  ip netns exec "vfwt-$node" "$vfw" run --config "$1" --bind "GigabitEthernet0/0/1=$lan" \
    --bind "GigabitEthernet0/0/2=$wan" --socket "$sock" --no-terminal --debug \
    --ssh-host-key "$work/ssh_host_key" \
    >"$work/vfw-$runs.out" 2>"$work/vfw-$runs.log" &
  if [ "$node" = fw1 ]; then vfw_pid=$!; else vfw3_pid=$!; fi
  for _ in $(seq 50); do [ -S "$sock" ] && return 0; sleep 0.1; done
  echo "vfw run ($node) did not open its socket"; cat "$work/vfw-$runs.log"
  return 1
}
# vcli talks to FW1 through $work/cli.sock: FW1's socket under that name.
fw1_cli() { "$vfw" cli --connect "$work/fw1.sock" -c "$1" 2>&1; }

# PC1's first ping starts IKE (it may be lost meanwhile); then three in a row must come back.
pings() {  # pings FROM DEST
  ip netns exec "vfwt-$1" ping -c 1 -W 3 "$2" >/dev/null 2>&1
  sleep 1
  ip netns exec "vfwt-$1" ping -c 3 -i 0.3 -W 2 "$2" | grep -q "3 received"
}
# 4 MB from one PC to the other: what the server read is what the client sent.
tcp_exchange() {  # tcp_exchange FROM TO_NODE TO_ADDRESS PORT
  ip netns exec "vfwt-$2" /usr/bin/python3 "$tcp" server "$4" >"$work/tcp-server" 2>&1 &
  local server=$!
  sleep 0.5
  local sent
  sent=$(ip netns exec "vfwt-$1" timeout 40 /usr/bin/python3 "$tcp" client "$3" "$4" 4000000 2>&1)
  wait $server
  [ -n "$sent" ] && [ "$sent" = "$(cat "$work/tcp-server")" ] && [[ "$sent" == 4000000\ * ]]
}
both_ways() {  # both_ways CASE
  check "$1: PC1 pings PC2 through vfw and the tunnel" pings pc1 10.2.1.2
  check "$1: 4 MB over TCP from PC1 to PC2, unchanged" tcp_exchange pc1 pc2 10.2.1.2 5001
  check "$1: PC2 pings PC1" pings pc2 10.1.1.2
  check "$1: 4 MB over TCP from PC2 to PC1, unchanged" tcp_exchange pc2 pc1 10.1.1.2 5002
}

# ---- IKEv2, strongSwan as FW3; the management network
"$net" up --bound --mgmt
"$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf)"
admin='aaa\n manager-user admin\n  password cipher Admin@123\n  service-type ssh\n  level 15\n#\n'
start_bound "$(fw1_conf "s/^return\$/${admin}return/")"
check "SSH listens on the management interface, the one left to the host's stack" \
  grep -q "SSH/6/BIND: SSH on 192.168.0.1:22 (GigabitEthernet0/0/0)" "$log"
check "vfw run --bind says which interface it owns" grep -q "GigabitEthernet0/0/2 on fw1o" "$log"
check "the host's stack holds no address there: no warning" bash -c "! grep -q 'VFW/4/BIND' '$log'"
fw1_cli "packet-trace next 2 protocol icmp source 10.1.1.2" >/dev/null
both_ways "IKEv2"
check "packet-trace next: PC1's next real pings traced, held then through the tunnel" \
  bash -c "'$vfw' cli --connect '$work/fw1.sock' -c 'display packet-trace' |
           grep -q 'outer header 1.1.1.1 -> 2.1.1.1'"
check "IKEv2: display ike sa shows v2:1 and v2:2 ready" \
  bash -c "'$vfw' cli --connect '$work/fw1.sock' -c 'display ike sa' | grep -q 'RD|ST|A  *v2:2'"
check "vfw run: FW1's own ping to FW3's address leaves through its pipeline and bound interface" \
  bash -c "'$vfw' cli --connect '$work/fw1.sock' -c 'ping -c 3 -a 1.1.1.1 2.1.1.1' |
           grep -q '^    3 packet(s) received'"
check "vfw run: tracert from FW1: the carrier's time exceeded, then FW3's port unreachable" \
  bash -c "'$vfw' cli --connect '$work/fw1.sock' -c 'tracert -a 1.1.1.1 -q 1 -w 2000 2.1.1.1' |
           grep -q '^ 2 2.1.1.1 [0-9]* ms $'"
"$vfw" cli --connect "$work/fw1.sock" -c system-view -c security-policy -c 'rule name local_out' \
  -c 'source-zone local' -c 'destination-zone untrust' -c 'source-address 10.1.1.1 32' \
  -c 'action permit' -c return >/dev/null
check "vfw run: ping -a 10.1.1.1 10.2.1.2 from FW1 itself goes through the tunnel to PC2" \
  bash -c "'$vfw' cli --connect '$work/fw1.sock' -c 'ping -c 3 -a 10.1.1.1 10.2.1.2' |
           grep -q '^    3 packet(s) received'"
arp=$(fw1_cli "display arp")
check "display arp: PC1 learnt on GE0/0/1, the carrier on GE0/0/2" \
  bash -c "grep -q '^10.1.1.2 .*D-0  *GE0/0/1' <<<\"\$1\" && grep -q '^1.1.1.2 .*D-0  *GE0/0/2' <<<\"\$1\"" _ "$arp"
check "display interface: the frames that crossed GE0/0/1, counted" \
  bash -c "'$vfw' cli --connect '$work/fw1.sock' -c 'display interface GigabitEthernet0/0/1' |
           grep -Eq '^    Input: [0-9]{4,} packets'"
ssh_check=$src/tests/interop/ssh_check.py
check "SSH: Netmiko from the management network logs in, reads, configures and saves" \
  ip netns exec vfwt-mgmt /usr/bin/python3 "$ssh_check" netmiko 192.168.0.1 admin Admin@123
check "SSH: the line Netmiko sent is in the saved configuration" \
  grep -q "^ip route-static 10.8.0.0 255.255.0.0 1.1.1.2" "$work/fw1.cfg"
guesses=$(RIGHT_PASSWORD=Admin@123 ip netns exec vfwt-mgmt /usr/bin/python3 "$ssh_check" guess \
  192.168.0.1 admin 6)
check "SSH: five wrong passwords lock the address out, the right one is then refused too" \
  bash -c "[ \"\$(head -5 <<<\"\$1\" | sort -u)\" = authentication-failed ] &&
           [ \"\$(tail -2 <<<\"\$1\" | sort -u)\" = refused ]" _ "$guesses"
check "SSH: the failures and the lock are logged" \
  bash -c "[ \$(grep -c 'SSH_USER_LOGIN_FAIL.*The password is wrong, UserName=admin, IPAddress=192.168.0.2' '$log') -eq 5 ] &&
           grep -q 'SSH/4/IP_LOCKED: IP was locked. (IpAddress=192.168.0.2' '$log'"
# Issue 25: an interface that goes away under traffic and comes back. The veth under GE0/0/1 is
# deleted (a containerlab peer restarted), then made again with the same name; its carrier is
# then lost and found (the peer's end down and up). vfw follows rtnetlink: down, bound again, up.
brief() { fw1_cli "display interface brief" | awk '$1 == "GigabitEthernet0/0/1" {print $2}'; }
ip netns exec vfwt-pc1 ping -q -i 0.05 10.2.1.2 >/dev/null 2>&1 &
flood=$!
sleep 0.5
ip -n vfwt-pc1 link del pc1e
for _ in $(seq 30); do grep -q 'VFW/4/LINK: GigabitEthernet0/0/1 lost fw1i (deleted)' "$log" && break; sleep 0.1; done
check "an interface deleted under traffic: logged, and display interface brief shows it down" \
  bash -c "grep -q 'VFW/4/LINK: GigabitEthernet0/0/1 lost fw1i (deleted)' '$log' && [ \"\$1\" = down ]" _ "$(brief)"
ip link add pc1e netns vfwt-pc1 type veth peer name fw1i netns vfwt-fw1
ip -n vfwt-fw1 link set fw1i up
ip -n vfwt-pc1 link set pc1e up
ip -n vfwt-pc1 addr add 10.1.1.2/24 dev pc1e
ip -n vfwt-pc1 route add default via 10.1.1.1
sleep 1
check "an interface of that name back: bound again and up, and PC1's pings go through the tunnel" \
  bash -c "grep -q 'VFW/6/LINK: GigabitEthernet0/0/1 bound again on fw1i' '$log' &&
           [ \"\$1\" = up ] && ip netns exec vfwt-pc1 ping -c 3 -i 0.3 -W 2 10.2.1.2 | grep -q '3 received'" _ "$(brief)"
ip -n vfwt-pc1 link set pc1e down
sleep 0.5
check "the carrier lost (the peer's end down): display interface brief shows down" \
  bash -c "[ \"\$1\" = down ] && grep -q 'GigabitEthernet0/0/1 (fw1i) is down (no carrier)' '$log'" _ "$(brief)"
ip -n vfwt-pc1 link set pc1e up
ip -n vfwt-pc1 route replace default via 10.1.1.1
sleep 1
check "the carrier back: up again, and traffic passes" \
  bash -c "[ \"\$1\" = up ] && ip netns exec vfwt-pc1 ping -c 3 -i 0.3 -W 2 10.2.1.2 | grep -q '3 received'" _ "$(brief)"
kill "$flood" 2>/dev/null
wait "$flood" 2>/dev/null
stop_vfw
check "vfw's stop deletes the SAs on strongSwan too" no_sa_left
"$peer" stop "$work/fw3"

# ---- IKEv1 main mode
"$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf version=1)"
start_bound "$(fw1_conf 's/^ remote-address 2.1.1.1$/ remote-address 2.1.1.1\n undo version 2/')"
both_ways "IKEv1 main mode"
check "IKEv1: display ike sa shows v1:1 and v1:2" \
  bash -c "'$vfw' cli --connect '$work/fw1.sock' -c 'display ike sa' | grep -q 'v1:2'"
stop_vfw
"$peer" stop "$work/fw3"

# ---- the carrier masquerades FW1: FW3 sees 2.1.1.2, ESP in UDP 4500 both ways
"$net" up --bound --nat
capture_start "$work/nat.pcap"
"$peer" start "$work/fw3" vfwt-fw3 "$(fw3_conf)"
start_bound "$src/examples/fw1.cfg"
both_ways "behind the carrier's NAT"
capture_stop
stop_vfw
"$peer" stop "$work/fw3"
udp=$(tshark -r "$work/nat.pcap" -Y "udp.port == 4500 && esp" -T fields -e ip.src 2>/dev/null | sort -u)
check "behind NAT: ESP in UDP 4500 from FW1 and from FW3" \
  bash -c "grep -qx 1.1.1.1 <<<\"\$1\" && grep -qx 2.1.1.1 <<<\"\$1\"" _ "$udp"

# ---- vfw against vfw, both on real interfaces
"$net" up --bound --bound-fw3
start_bound "$src/examples/fw3.cfg" fw3
start_bound "$src/examples/fw1.cfg"
both_ways "vfw against vfw"
check "vfw against vfw: the tunnel is up on both" \
  bash -c "'$vfw' cli --connect '$work/fw1.sock' -c 'display ike sa' | grep -q 'RD|ST|A  *v2:2' &&
           '$vfw' cli --connect '$work/fw3.sock' -c 'display ike sa' | grep -q 'RD|A  *v2:2'"
stop_vfw
stop_vfw3

# ---- a TAP device vfw makes: the namespace's own stack is the device's neighbour on GE0/0/1
ip netns add vfwt-tap
trap 'stop_vfw3; stop_vfw; ip netns del vfwt-tap 2>/dev/null; cleanup' EXIT
rm -f "$work/tap.sock"
ip netns exec vfwt-tap "$vfw" run --config "$src/examples/fw1.cfg" \
  --bind GigabitEthernet0/0/1=tap:vtap1 --socket "$work/tap.sock" --no-terminal \
  >"$work/tap.out" 2>"$work/tap.log" &
vfw_pid=$!
for _ in $(seq 50); do [ -S "$work/tap.sock" ] && break; sleep 0.1; done
ip -n vfwt-tap addr add 10.1.1.2/24 dev vtap1
check "tap: the host pings GE0/0/1 through the TAP device vfw made" \
  bash -c "ip netns exec vfwt-tap ping -c 2 -W 2 10.1.1.1 | grep -q '2 received'"
check "tap: display arp shows the host learnt on GE0/0/1" \
  bash -c "'$vfw' cli --connect '$work/tap.sock' -c 'display arp' | grep -q '^10.1.1.2 .*D-0  *GE0/0/1'"
stop_vfw
ip netns del vfwt-tap

# Two veths moved into a namespace as eth1 and eth2, as containerlab attaches a node's links after
# its start; their peers stay here (deleting the namespace deletes both ends).
attach_eth() {  # attach_eth NAMESPACE PREFIX
  for n in 1 2; do
    ip link add "$2$n" type veth peer name "$2${n}p"
    ip link set "$2$n" netns "$1"
    ip -n "$1" link set "$2$n" name "eth$n"
    ip link set "$2${n}p" up
  done
}

# ---- the container's entry point (scripts/vfw-node): interfaces attached after the start, as
# containerlab attaches them; the startup configuration copied to the flash, saves going there
ip netns add vfwt-node
trap 'stop_vfw3; stop_vfw; ip netns del vfwt-node 2>/dev/null; cleanup' EXIT
mkdir -p "$work/flash"
# The image's home as the Dockerfile makes it: an empty folder (HOME=/var/lib/vfw, mode 0700).
mkdir -m 700 "$work/node-home"
ip netns exec vfwt-node env PATH="$(dirname "$vfw"):$PATH" VFW_FLASH="$work/flash" \
  HOME="$work/node-home" VFW_DEVICE_KEY= \
  VFW_SOCKET="$work/node.sock" "$src/scripts/vfw-node" --config "$src/examples/fw1.cfg" \
  --bind GigabitEthernet0/0/1=eth1 --bind=GigabitEthernet0/0/2=eth2 \
  >"$work/node.out" 2>"$work/node.log" &
vfw_pid=$!
sleep 1.5
attach_eth vfwt-node vfwt-n
for _ in $(seq 50); do [ -S "$work/node.sock" ] && break; sleep 0.1; done
check "vfw-node waits for interfaces attached after its start, then runs vfw on them" \
  bash -c "grep -q 'waiting for eth1' '$work/node.log' && grep -q 'GigabitEthernet0/0/2 on eth2' '$work/node.log'"
check "vfw-node runs from the startup configuration's copy on the flash; save writes there" \
  bash -c "'$vfw' cli --connect '$work/node.sock' -c system-view -c 'sysname FW1-NODE' -c save -c y >/dev/null &&
           grep -q '^ sysname FW1-NODE' '$work/flash/fw1.cfg' && ! grep -q FW1-NODE '$src/examples/fw1.cfg'"
check "the image's entry point with an empty home: the SSH host key is made, private (issue 25)" \
  bash -c "grep -q 'SSH/6/HOSTKEY: made the SSH host key $work/node-home/.config/vfw/ssh_host_ed25519_key' '$work/node.log' &&
           [ \"\$(stat -c %a '$work/node-home/.config/vfw/ssh_host_ed25519_key')\" = 600 ] &&
           [ \"\$(stat -c %a '$work/node-home/.config')\" = 700 ] && ! grep -q 'no SSH' '$work/node.log'"
stop_vfw
ip netns del vfwt-node

# ---- the image as a containerlab node: no arguments at all. containerlab sets CLAB_INTFS (the
# links it will attach) and attaches them after the start as eth1..ethN; the startup
# configuration is a mounted file; the health command says healthy once the device answers.
ip netns add vfwt-clab
trap 'stop_vfw3; stop_vfw; ip netns del vfwt-clab 2>/dev/null; cleanup' EXIT
mkdir -p "$work/clab-flash"
mkdir -m 700 "$work/clab-home"
# The startup configuration: the seed's FW1 and an SSH manager (GigabitEthernet0/0/0 keeps its
# 192.168.0.1; containerlab gives eth0 an address of its management network instead).
sed "s/^return\$/${admin}return/" "$src/examples/fw1.cfg" > "$work/clab-startup.cfg"
# eth0, containerlab's management link, is there from the start.
ip link add vfwt-cm type veth peer name vfwt-cmp
ip link set vfwt-cm netns vfwt-clab
ip -n vfwt-clab link set vfwt-cm name eth0
ip -n vfwt-clab addr add 172.20.20.5/24 dev eth0
ip -n vfwt-clab link set eth0 up
ip addr add 172.20.20.1/24 dev vfwt-cmp
ip link set vfwt-cmp up
node_env=(env PATH="$(dirname "$vfw"):$PATH" VFW_FLASH="$work/clab-flash" HOME="$work/clab-home"
  VFW_DEVICE_KEY= VFW_SOCKET="$work/clab.sock" VFW_STARTUP_CONFIG="$work/clab-startup.cfg")
ip netns exec vfwt-clab "${node_env[@]}" CLAB_INTFS=2 "$src/scripts/vfw-node" \
  >"$work/clab.out" 2>"$work/clab.log" &
vfw_pid=$!
sleep 1.5
check "vfw-node --health: unhealthy while containerlab has not attached the links" \
  bash -c '! "$@" 2>/dev/null' _ ip netns exec vfwt-clab "${node_env[@]}" "$src/scripts/vfw-node" --health
attach_eth vfwt-clab vfwt-c
for _ in $(seq 50); do [ -S "$work/clab.sock" ] && break; sleep 0.1; done
check "vfw-node with no arguments binds eth1..eth\$CLAB_INTFS as GigabitEthernet0/0/1..N" \
  bash -c "grep -q 'GigabitEthernet0/0/1 on eth1' '$work/clab.log' && grep -q 'GigabitEthernet0/0/2 on eth2' '$work/clab.log'"
check "vfw-node with no arguments runs the startup configuration's copy on the flash" \
  bash -c "'$vfw' cli --connect '$work/clab.sock' -c 'display current-configuration' | grep -q '^ sysname FW1' &&
           [ -f '$work/clab-flash/clab-startup.cfg' ]"
check "vfw-node --health: healthy once the interfaces are bound and the CLI answers" \
  ip netns exec vfwt-clab "${node_env[@]}" "$src/scripts/vfw-node" --health
check "vfw-node: SSH on eth0's address, the management port GigabitEthernet0/0/0" \
  grep -q "SSH/6/BIND: SSH on 172.20.20.5:22 (GigabitEthernet0/0/0)" "$work/clab.log"
check "vfw-node: Netmiko logs in at the address containerlab gave eth0, configures and saves" \
  /usr/bin/python3 "$ssh_check" netmiko 172.20.20.5 admin Admin@123
"$vfw" cli --connect "$work/clab.sock" -c system-view -c 'interface GigabitEthernet0/0/0' \
  -c 'service-manage ssh deny' -c return >/dev/null
check "vfw-node: the device decides SSH on eth0 as on GigabitEthernet0/0/0 (service-manage)" \
  bash -c "[ \"\$(RIGHT_PASSWORD=Admin@123 /usr/bin/python3 '$ssh_check' guess 172.20.20.5 admin 0)\" = refused ] &&
           grep -q 'SSH_CONNECT_DENY.*IPAddress=172.20.20.1, Interface=GigabitEthernet0/0/0, Reason=service-manage-deny' '$work/clab.log'"
stop_vfw
ip netns del vfwt-clab
ip link del vfwt-cmp 2>/dev/null

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
