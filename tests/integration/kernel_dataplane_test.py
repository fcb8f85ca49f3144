#!/usr/bin/env python3
"""vfw run --dataplane kernel: the Linux kernel forwards with the configuration as nftables, vfw
keeps the CLI, the displays and IKE. In namespaces: host A (trust) - the firewall - host B
(untrust, holding 203.0.113.9 behind it). Checked: the device's addresses and routes on the
bound interfaces, forwarding on; A reaches B through easy-ip (B has no route back to A: only the
translation brings the reply home); service-manage and the policy to the device in the kernel's
input chain; `display firewall session table [verbose]` from conntrack (translation, zones, the
policy rule, counters); a rule typed at the CLI reaching the kernel; SIGTERM leaving the table in
force. Root; exit 77 (skipped, with the reason) without namespaces or nft.

Usage: kernel_dataplane_test.py VFW"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.stdout.reconfigure(line_buffering=True)  # progress as it happens, under ctest too
sys.dont_write_bytecode = True  # nothing written beside the sources
from checks import check, finish, need_namespaces, skip  # noqa: E402

VFW = sys.argv[1]
FW, A, B = "vfwk-fw", "vfwk-a", "vfwk-b"

CONFIG = """#
 sysname KFW
#
interface GigabitEthernet0/0/1
 ip address 10.1.0.1 255.255.255.0
 service-manage ping permit
#
interface GigabitEthernet0/0/2
 ip address 198.51.100.1 255.255.255.0
#
firewall zone trust
 add interface GigabitEthernet0/0/1
#
firewall zone untrust
 add interface GigabitEthernet0/0/2
#
ip route-static 203.0.113.0 255.255.255.0 198.51.100.2
#
security-policy
 rule name out
  source-zone trust
  destination-zone untrust
  action permit
#
nat-policy
 rule name easy
  source-zone trust
  destination-zone untrust
  action source-nat easy-ip
#
return
"""


def run(*command, ns=None, check_rc=True):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(command)
    return subprocess.run(full, check=check_rc, capture_output=True, text=True)


def ping(ns, address):
    return run("ping", "-c", "1", "-W", "1", address, ns=ns, check_rc=False).returncode == 0


def eventually(test, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if test():
            return True
        time.sleep(0.2)
    return test()


def down():
    for ns in (FW, A, B):
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


need_namespaces(FW)
down()

work = tempfile.mkdtemp(prefix="vfw-kernel-")
daemon = None
try:
    for ns in (FW, A, B):
        run("ip", "netns", "add", ns)
    for ns in (FW, A, B):
        run("ip", "link", "set", "lo", "up", ns=ns)
    run("ip", "link", "add", "ge1", "netns", FW, "type", "veth", "peer", "name", "eth0", "netns", A)
    run("ip", "link", "add", "ge2", "netns", FW, "type", "veth", "peer", "name", "eth0", "netns", B)
    run("ip", "link", "set", "ge1", "up", ns=FW)
    run("ip", "link", "set", "ge2", "up", ns=FW)
    run("ip", "addr", "add", "10.1.0.2/24", "dev", "eth0", ns=A)
    run("ip", "link", "set", "eth0", "up", ns=A)
    run("ip", "route", "add", "default", "via", "10.1.0.1", ns=A)
    run("ip", "addr", "add", "198.51.100.2/24", "dev", "eth0", ns=B)
    run("ip", "addr", "add", "203.0.113.9/32", "dev", "lo", ns=B)
    run("ip", "link", "set", "eth0", "up", ns=B)
    run("sysctl", "-qw", "net.ipv4.ip_forward=0", ns=FW)

    path = os.path.join(work, "kfw.cfg")
    with open(path, "w") as f:
        f.write(CONFIG)
    sock = os.path.join(work, "cli.sock")
    log = open(os.path.join(work, "vfw.log"), "w+")
    env = dict(os.environ, VFW_DEVICE_KEY=os.path.join(work, "device.key"))
    daemon = subprocess.Popen(["ip", "netns", "exec", FW, VFW, "run", "--config", path,
                               "--dataplane", "kernel", "--bind", "GigabitEthernet0/0/1=ge1",
                               "--bind", "g0/0/2=ge2", "--socket", sock, "--no-terminal",
                               "--ssh-port", "0"], stdout=log, stderr=subprocess.STDOUT, env=env)

    def logged():
        log.seek(0)
        return log.read()

    def cli(*lines):
        return subprocess.run([VFW, "cli", "--connect", sock] + [a for line in lines
                                                                 for a in ("-c", line)],
                              capture_output=True, text=True).stdout

    check("vfw starts and applies its table to the kernel",
          eventually(lambda: os.path.exists(sock) and "table ip vfw applied" in logged()),
          logged())
    addresses = run("ip", "-br", "addr", ns=FW).stdout
    check("the device's addresses are on the bound interfaces",
          "10.1.0.1/24" in addresses and "198.51.100.1/24" in addresses, addresses)
    routes = run("ip", "route", "show", "203.0.113.0/24", ns=FW).stdout
    check("ip route-static is the host's static route",
          "via 198.51.100.2" in routes and "proto static" in routes, routes)
    check("forwarding is on",
          run("sysctl", "-n", "net.ipv4.ip_forward", ns=FW).stdout.strip() == "1")
    listed = run("nft", "list", "table", "ip", "vfw", ns=FW).stdout
    check("the table is vfw's export with the bound names",
          'iifname "ge1" icmp type echo-request accept' in listed and "masquerade" in listed,
          listed)

    check("A reaches B's 203.0.113.9 through the kernel, easy-ip bringing the reply home",
          ping(A, "203.0.113.9"))
    check("A pings the firewall: service-manage ping permit, in the kernel's input chain",
          ping(A, "10.1.0.1"))
    check("B cannot ping the firewall: untrust to local is not permitted", not ping(B, "198.51.100.1"))

    # A UDP flow to B (no answer needed: the kernel tracks it from the first datagram).
    udp = subprocess.run(["ip", "netns", "exec", A, "/usr/bin/python3", "-c",
                          "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                          "s.bind(('10.1.0.2', 40123)); s.sendto(b'x' * 32, ('203.0.113.9', 53))"])
    table = cli("display firewall session table")
    check("display firewall session table: the kernel's sessions, translated as the device shows",
          " dns  VPN: public --> public  10.1.0.2:40123[198.51.100.1:40123] --> 203.0.113.9:53"
          in table and " icmp  VPN: public --> public  10.1.0.2:" in table, table)
    verbose = cli("display firewall session table verbose")
    check("... verbose: zones, interfaces, counters and the policy rule that let it through",
          " Zone: trust --> untrust" in verbose and "Recv Interface: GigabitEthernet0/0/1" in verbose
          and " Interface: GigabitEthernet0/0/2" in verbose and "PolicyName: out" in verbose
          and "--> packets: 1 bytes: 60" in verbose, verbose)

    # reset firewall session table: the kernel forgets the connection too.
    cli("reset firewall session table protocol udp source 10.1.0.2")
    after = cli("display firewall session table")
    check("reset firewall session table removes the kernel's connection, and only that one",
          "203.0.113.9:53" not in after and " icmp  VPN: public --> public  10.1.0.2:" in after,
          after)

    # A rule typed at the CLI: the kernel has it within the daemon's tick.
    cli("system-view", "security-policy", "rule name out", "action deny", "return")
    check("a rule changed at the CLI reaches the kernel: A no longer reaches B",
          eventually(lambda: logged().count("table ip vfw applied") >= 2) and
          eventually(lambda: not ping(A, "203.0.113.9")), logged())
    check("... and the kernel's table says so",
          'comment "rule out"' in run("nft", "list", "chain", "ip", "vfw", "forward", ns=FW).stdout
          and "drop comment \"rule out\"" in run("nft", "list", "chain", "ip", "vfw", "forward",
                                                 ns=FW).stdout)

    daemon.send_signal(signal.SIGTERM)
    code = daemon.wait(timeout=15)
    daemon = None
    check("SIGTERM: a clean stop", code == 0, logged())
    check("... the table stays in force, and the log says so",
          "table ip vfw stays in the kernel" in logged() and
          run("nft", "list", "table", "ip", "vfw", ns=FW, check_rc=False).returncode == 0)
finally:
    if daemon is not None:
        daemon.kill()
        daemon.wait()
    down()
    shutil.rmtree(work, ignore_errors=True)

finish()
