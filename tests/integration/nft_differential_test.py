#!/usr/bin/env python3
"""The kernel as a second opinion on vfw's semantics.

For each of N generated configurations (zones, interzone security policy with address and service
sets, nat-policy no-nat / easy-ip / address groups with and without PAT / destination NAT, nat
servers with and without no-reverse), a set of packets is sent for real through the Linux kernel
with vfw's export applied (`vfw export nft --apply`, in a network namespace: hosts on three sides,
packets sent with raw sockets, captured where they leave), and traced through vfw's own pipeline
(`vfw packet-trace --flows --json`). The verdicts (forwarded or dropped, and out of which
interface) and the packets as they leave (addresses and ports) must agree, within the documented
differences (docs/nftables.md, "The kernel as a second opinion"), each of which is checked as a
fact of its own so that it cannot widen unseen:

- PAT: vfw gives each translated flow a port of its own (from 2048 up, as the device); the kernel
  keeps the flow's port when it is free. Checked: the kernel kept the original port.
- An address group's address: vfw takes the group's addresses in order, the kernel picks one by
  hash. Checked: both inside the group's range.

A disagreement is shrunk (rules, NAT rules, servers and rule conditions taken away while it stays)
and the reproducer written out: the configuration and the flow line, with the two verdicts.

Usage: nft_differential_test.py VFW [--seed N] [--configs N] [--packets N] [--keep DIR]
Root, nft and network namespaces; exit 77 (skipped, with the reason) where they are missing."""
import argparse
import ctypes
import json
import os
import random
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.stdout.reconfigure(line_buffering=True)  # progress as it happens, under ctest too
sys.dont_write_bytecode = True  # nothing written beside the sources
from checks import check, finish, need_namespaces, skip  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("vfw")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--configs", type=int, default=200)
parser.add_argument("--packets", type=int, default=12, help="packets per configuration")
parser.add_argument("--keep", help="write every disagreement's reproducer into this folder")
parser.add_argument("--reproduce", metavar="PREFIX",
                    help="send PREFIX.flow's flows through PREFIX.cfg both ways and print both")
args = parser.parse_args()
VFW = args.vfw

FW = "vfwd-fw"
# The three sides: interface, its Linux name in the firewall's namespace, the firewall's address,
# the side host's address, the world behind the side (what its hosts' addresses are drawn from).
SIDES = [
    {"ifc": "GigabitEthernet0/0/1", "linux": "ge1", "ns": "vfwd-a", "fw": "10.1.0.1",
     "host": "10.1.0.2", "world": ["10.10.0.", "10.10.1.", "10.10.2.", "10.10.3."],
     "route": ("10.10.0.0", 16)},
    {"ifc": "GigabitEthernet0/0/2", "linux": "ge2", "ns": "vfwd-b", "fw": "198.51.100.1",
     "host": "198.51.100.2", "world": ["203.0.113.", "198.18.0.", "198.18.1.", "198.18.2."],
     "route": ("0.0.0.0", 0)},
    {"ifc": "GigabitEthernet0/0/3", "linux": "ge3", "ns": "vfwd-c", "fw": "172.16.0.1",
     "host": "172.16.0.2", "world": ["172.20.0.", "172.20.1.", "172.20.2.", "172.20.3."],
     "route": ("172.20.0.0", 16)},
]
GLOBALS = "192.0.2."  # nat server and destination-NAT addresses: routed to side b, held by nobody
POOLS = "100.64.0."
TCP_PORTS = [22, 23, 80, 443, 3389, 8080, 1000, 1001, 1002, 1003, 1004, 1005]
UDP_PORTS = [53, 123, 161, 514, 5000, 5001]
PREDEFINED = {"http": ("tcp", 80), "https": ("tcp", 443), "ssh": ("tcp", 22),
              "telnet": ("tcp", 23), "rdp": ("tcp", 3389), "ntp": ("udp", 123),
              "snmp": ("udp", 161), "syslog": ("udp", 514), "icmp": ("icmp", None)}

DOCUMENTED = {"PAT port kept by the kernel": 0, "address group: any address of the range": 0,
              "server to server": 0, "no-pat group exhausted": 0}


# ---------------------------------------------------------------------------------------------
# The generator: a configuration as data (so that it can be shrunk), rendered to the device's text.

def ip_int(a):
    return struct.unpack("!I", socket.inet_aton(a))[0]


def int_ip(n):
    return socket.inet_ntoa(struct.pack("!I", n))


def world_host(rng, side):
    return rng.choice(SIDES[side]["world"]) + str(rng.randint(1, 254))


def address_item(rng, side):
    """A condition on an address of a side's world: a subnet, a range or a host."""
    prefix = rng.choice(SIDES[side]["world"])
    kind = rng.choice(["mask", "mask", "range", "host"])
    if kind == "mask":
        length = rng.choice([16, 24, 25, 26, 28, 30])
        mask = (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
        return ("mask", int_ip(ip_int(prefix + str(rng.randint(0, 255))) & mask), length)
    if kind == "range":
        lo = rng.randint(1, 200)
        return ("range", prefix + str(lo), prefix + str(rng.randint(lo, 254)))
    return ("mask", prefix + str(rng.randint(1, 254)), 32)


def service_item(rng):
    proto = rng.choice(["tcp", "tcp", "udp", "icmp"])
    if proto == "icmp":
        return ("icmp", None, None)
    port = rng.choice(TCP_PORTS if proto == "tcp" else UDP_PORTS)
    hi = port + rng.choice([0, 0, 0, 5])
    return (proto, port, hi)


def generate(rng, n):
    zones = ["trust", "untrust", "dmz", "partner"]
    rng.shuffle(zones)
    cfg = {"zones": zones[:3], "addr_sets": [], "svc_sets": [], "pools": [], "servers": [],
           "policy": [], "nat": [], "default": rng.choice(["deny", "deny", "permit"])}
    for i in range(rng.randint(0, 3)):
        side = rng.randrange(3)
        cfg["addr_sets"].append({"name": f"as{i}", "side": side,
                                 "items": [address_item(rng, side) for _ in range(rng.randint(1, 3))]})
    for i in range(rng.randint(0, 2)):
        cfg["svc_sets"].append({"name": f"ss{i}",
                                "items": [service_item(rng) for _ in range(rng.randint(1, 3))]})
    for i in range(rng.randint(0, 2)):
        start = rng.randint(10, 200) + 0
        cfg["pools"].append({"name": f"pool{i}", "id": i, "pat": rng.random() < 0.6,
                             "start": POOLS + str(start),
                             "end": POOLS + str(start + rng.choice([0, 1, 3]))})
    used_globals = set()
    for i in range(rng.randint(0, 2)):
        g = GLOBALS + str(rng.randint(10, 60))
        if g in used_globals:
            continue
        used_globals.add(g)
        inside_side = rng.choice([0, 2])
        proto = rng.choice([None, "tcp", "udp"])
        ports = proto is not None and rng.random() < 0.7
        gport = rng.choice(TCP_PORTS if proto == "tcp" else UDP_PORTS) if ports else None
        cfg["servers"].append({"name": f"srv{i}", "proto": proto, "global": g, "gport": gport,
                               "inside": world_host(rng, inside_side),
                               "iport": (gport if rng.random() < 0.5 else rng.choice([8000, 8443]))
                               if ports else None,
                               "no_reverse": rng.random() < 0.3, "side": inside_side})

    def conditions(rule, src_side, dst_side):
        if rng.random() < 0.8:
            rule["src_zones"] = [cfg["zones"][src_side]]
        if rng.random() < 0.8:
            rule["dst_zones"] = [cfg["zones"][dst_side]]
        if rng.random() < 0.5:
            sets = [s for s in cfg["addr_sets"] if s["side"] == src_side]
            rule["src"] = [("set", sets[0]["name"])] if sets and rng.random() < 0.5 else \
                [address_item(rng, src_side) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.4:
            sets = [s for s in cfg["addr_sets"] if s["side"] == dst_side]
            rule["dst"] = [("set", sets[0]["name"])] if sets and rng.random() < 0.5 else \
                [address_item(rng, dst_side) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.6:
            choice = rng.random()
            if choice < 0.4 and cfg["svc_sets"]:
                rule["svc"] = [("set", rng.choice(cfg["svc_sets"])["name"])]
            else:
                rule["svc"] = [("pre", rng.choice(list(PREDEFINED)))
                               for _ in range(rng.randint(1, 2))]

    for i in range(rng.randint(1, 6)):
        src_side, dst_side = rng.sample(range(3), 2)
        rule = {"name": f"p{i}", "src_zones": [], "dst_zones": [], "src": [], "dst": [], "svc": [],
                "action": rng.choice(["permit", "permit", "deny"]), "sides": [src_side, dst_side]}
        conditions(rule, src_side, dst_side)
        cfg["policy"].append(rule)
    # The servers' traffic is let in by a rule of its own, most of the time.
    for s in cfg["servers"]:
        if rng.random() < 0.7:
            cfg["policy"].insert(rng.randint(0, len(cfg["policy"])), {
                "name": f"to_{s['name']}", "src_zones": [], "dst_zones": [cfg["zones"][s["side"]]],
                "src": [], "dst": [("mask", s["inside"], 32)], "svc": [], "action": "permit"})
    for i in range(rng.randint(1, 4)):
        src_side, dst_side = rng.sample(range(3), 2)
        rule = {"name": f"n{i}", "src_zones": [], "dst_zones": [], "src": [], "dst": [], "svc": [],
                "sides": [src_side, dst_side]}
        conditions(rule, src_side, dst_side)
        kind = rng.random()
        if kind < 0.2:
            rule["action"] = ("no-nat",)
        elif kind < 0.45:
            rule["action"] = ("easy-ip",)
        elif kind < 0.75 and cfg["pools"]:
            rule["action"] = ("pool", rng.choice(cfg["pools"])["name"])
        else:
            # Destination NAT: the rule matches an address of its own, translated to a host.
            rule["dst_zones"] = []
            rule["dst"] = [("mask", GLOBALS + str(rng.randint(100, 120)), 32)]
            to_side = rng.choice([0, 2])
            port = rng.choice([None, 8080]) if rule["svc"] else None
            rule["action"] = ("dnat", world_host(rng, to_side), port)
            rule["to_side"] = to_side
        cfg["nat"].append(rule)
    return cfg


def render_address(word, item):
    if item[0] == "set":
        return f"  {word} address-set {item[1]}\n"
    if item[0] == "range":
        return f"  {word} range {item[1]} {item[2]}\n"
    return f"  {word} {item[1]} mask {item[2]}\n"


def render_rule(rule):
    text = f" rule name {rule['name']}\n"
    for z in rule["src_zones"]:
        text += f"  source-zone {z}\n"
    for z in rule["dst_zones"]:
        text += f"  destination-zone {z}\n"
    for a in rule["src"]:
        text += render_address("source-address", a)
    for a in rule["dst"]:
        text += render_address("destination-address", a)
    for s in rule["svc"]:
        text += f"  service {s[1]}\n"
    return text


def render(cfg):
    t = "#\n sysname DIFF\n#\n"
    for s in cfg["addr_sets"]:
        t += f"ip address-set {s['name']} type object\n"
        for k, item in enumerate(s["items"]):
            t += (f" address {k} range {item[1]} {item[2]}\n" if item[0] == "range"
                  else f" address {k} {item[1]} mask {item[2]}\n")
        t += "#\n"
    for s in cfg["svc_sets"]:
        t += f"ip service-set {s['name']} type object\n"
        for k, (proto, lo, hi) in enumerate(s["items"]):
            if proto == "icmp":
                t += f" service {k} protocol icmp\n"
            else:
                ports = f"{lo}" if lo == hi else f"{lo} to {hi}"
                t += f" service {k} protocol {proto} destination-port {ports}\n"
        t += "#\n"
    for side in SIDES:
        t += f"interface {side['ifc']}\n ip address {side['fw']} 255.255.255.0\n#\n"
    for k, side in enumerate(SIDES):
        if cfg["zones"][k] in ("trust", "untrust", "dmz"):
            t += f"firewall zone {cfg['zones'][k]}\n"
        else:
            t += f"firewall zone name {cfg['zones'][k]}\n set priority 60\n"
        t += f" add interface {side['ifc']}\n#\n"
    for side in SIDES:
        net, length = side["route"]
        t += f"ip route-static {net} {length} {side['host']}\n"
    t += "#\n"
    for s in cfg["servers"]:
        t += f"nat server {s['name']} "
        if s["proto"]:
            t += f"protocol {s['proto']} "
        t += f"global {s['global']} " + (f"{s['gport']} " if s["gport"] else "")
        t += f"inside {s['inside']}" + (f" {s['iport']}" if s["iport"] else "")
        t += " no-reverse\n" if s["no_reverse"] else "\n"
    for p in cfg["pools"]:
        t += f"nat address-group {p['name']} {p['id']}\n"
        t += " mode pat\n" if p["pat"] else " mode no-pat local\n"
        t += f" section 0 {p['start']} {p['end']}\n#\n"
    t += "security-policy\n"
    if cfg["default"] == "permit":
        t += " default action permit\n"
    for rule in cfg["policy"]:
        t += render_rule(rule) + f"  action {rule['action']}\n"
    t += "#\nnat-policy\n"
    for rule in cfg["nat"]:
        t += render_rule(rule)
        a = rule["action"]
        if a[0] == "no-nat":
            t += "  action no-nat\n"
        elif a[0] == "easy-ip":
            t += "  action source-nat easy-ip\n"
        elif a[0] == "pool":
            t += f"  action source-nat address-group {a[1]}\n"
        else:
            t += f"  action destination-nat static address-to-address address {a[1]}" + \
                 (f" {a[2]}" if a[2] else "") + "\n"
    return t + "#\nreturn\n"


def generate_packets(rng, cfg, count, next_id):
    sets = {s["name"]: s["items"] for s in cfg["addr_sets"]}

    def host_in(items, side):
        """An address the conditions hold (any of the side's world when there are none)."""
        if not items:
            return world_host(rng, side)
        item = rng.choice(items)
        if item[0] == "set":
            item = rng.choice(sets.get(item[1]) or [("mask", world_host(rng, side), 32)])
        if item[0] == "range":
            return int_ip(rng.randint(ip_int(item[1]), ip_int(item[2])))
        size = 1 << (32 - item[2])
        return int_ip(ip_int(item[1]) + (rng.randrange(1, size - 1) if size > 2 else 0))

    packets = []
    for _ in range(count):
        src_side = rng.randrange(3)
        choice = rng.random()
        dst_side = rng.choice([s for s in range(3) if s != src_side])
        dst = world_host(rng, dst_side)
        aimed = None
        if choice >= 0.4 and rng.random() < 0.6:
            # Aimed at a rule: from and to the sides it names, inside its addresses.
            rules = [r for r in cfg["policy"] + cfg["nat"] if "sides" in r]
            if rules:
                aimed = rng.choice(rules)
                src_side, dst_side = aimed["sides"]
                if "to_side" in aimed:
                    dst = aimed["dst"][0][1]
                    if src_side == aimed["to_side"]:
                        src_side = rng.choice([k for k in range(3) if k != aimed["to_side"]])
                else:
                    dst = host_in(aimed["dst"], dst_side)
        if choice < 0.25 and cfg["servers"]:
            s = rng.choice(cfg["servers"])
            if s["side"] != src_side:
                dst = s["global"]
        elif choice < 0.4:
            dnat = [r for r in cfg["nat"] if r["action"][0] == "dnat" and r["to_side"] != src_side]
            if dnat:
                dst = rng.choice(dnat)["dst"][0][1]
        src = host_in(aimed["src"], src_side) if aimed else world_host(rng, src_side)
        if rng.random() < 0.2:
            # A server's inside address as the source: its reverse translation.
            servers = [s for s in cfg["servers"] if s["side"] == src_side]
            if servers:
                src = rng.choice(servers)["inside"]
        proto = rng.choice(["tcp", "tcp", "udp", "icmp"])
        dport = None
        if proto == "tcp":
            dport = rng.choice(TCP_PORTS + [8000])
        elif proto == "udp":
            dport = rng.choice(UDP_PORTS)
        if aimed and aimed["svc"] and rng.random() < 0.7:
            kind, name = rng.choice(aimed["svc"])
            if kind == "pre":
                proto, dport = PREDEFINED[name]
            else:
                svc = next((x for x in cfg["svc_sets"] if x["name"] == name), None)
                if svc:
                    proto, lo, hi = rng.choice(svc["items"])
                    dport = rng.randint(lo, hi) if lo is not None else None
        for s in cfg["servers"]:
            if dst == s["global"] and s["gport"] and rng.random() < 0.7:
                proto, dport = s["proto"], s["gport"]
        packets.append({"side": src_side, "proto": proto, "src": src, "dst": dst,
                        "sport": 10000 + next_id % 50000, "dport": dport, "id": next_id})
        next_id += 1
    return packets, next_id


def flow_line(p):
    line = (f"--input {SIDES[p['side']]['ifc']} --protocol {p['proto']} --source {p['src']} "
            f"--destination {p['dst']} --source-port {p['sport']}")
    if p["dport"] is not None:
        line += f" --destination-port {p['dport']}"
    return line


def parse_flow_line(line, next_id):
    words = line.split()
    opts = dict(zip(words[::2], words[1::2]))
    side = next(k for k, s in enumerate(SIDES) if s["ifc"] == opts["--input"])
    dport = opts.get("--destination-port")
    return {"side": side, "proto": opts["--protocol"], "src": opts["--source"],
            "dst": opts["--destination"], "sport": 10000 + next_id % 50000,
            "dport": int(dport) if dport else None, "id": next_id}


# ---------------------------------------------------------------------------------------------
# Packets on the wire: built with correct checksums (conntrack drops what does not add up), sent
# with raw sockets from the side hosts, captured on the side hosts' interfaces.

MARK = b"vfwdiff!"


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def build(p):
    src, dst = socket.inet_aton(p["src"]), socket.inet_aton(p["dst"])
    payload = MARK + struct.pack("!I", p["id"])
    if p["proto"] == "icmp":
        l4 = struct.pack("!BBHHH", 8, 0, 0, p["sport"], 1) + payload
        l4 = l4[:2] + struct.pack("!H", checksum(l4)) + l4[4:]
        number = 1
    else:
        if p["proto"] == "tcp":
            l4 = struct.pack("!HHIIBBHHH", p["sport"], p["dport"], 1000, 0, 5 << 4, 0x02, 65535, 0,
                             0) + payload
            number, at = 6, 16
        else:
            l4 = struct.pack("!HHHH", p["sport"], p["dport"], 8 + len(payload), 0) + payload
            number, at = 17, 6
        pseudo = src + dst + struct.pack("!BBH", 0, number, len(l4))
        l4 = l4[:at] + struct.pack("!H", checksum(pseudo + l4)) + l4[at + 2:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), p["id"] & 0xFFFF, 0, 64, number,
                         0, src, dst)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + l4


def parse(frame):
    """(id, protocol, src, sport, dst, dport) of a captured IPv4 packet of ours, else None."""
    if len(frame) < 28 or frame[0] >> 4 != 4:
        return None
    ihl = (frame[0] & 15) * 4
    proto = frame[9]
    src, dst = socket.inet_ntoa(frame[12:16]), socket.inet_ntoa(frame[16:20])
    l4 = frame[ihl:]
    if proto == 1:
        body, sport, dport = l4[8:], struct.unpack("!H", l4[4:6])[0], None
    elif proto == 6:
        body, (sport, dport) = l4[20:], struct.unpack("!HH", l4[:4])
    elif proto == 17:
        body, (sport, dport) = l4[8:], struct.unpack("!HH", l4[:4])
    else:
        return None
    if not body.startswith(MARK) or len(body) < len(MARK) + 4:
        return None
    return (struct.unpack("!I", body[len(MARK):len(MARK) + 4])[0],
            {1: "icmp", 6: "tcp", 17: "udp"}[proto], src, sport, dst, dport)


libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def in_namespace(name, make):
    """make() run with this thread in network namespace name; what it makes (sockets) stays there."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {name}")
        return make()
    finally:
        libc.setns(home, CLONE_NEWNET)
        os.close(target)
        os.close(home)


def sh(*command, ns=None):
    full = (["ip", "netns", "exec", ns] if ns else []) + list(command)
    subprocess.run(full, check=True, capture_output=True)


def namespaces_up():
    namespaces_down()
    for ns in [FW] + [s["ns"] for s in SIDES]:
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    for s in SIDES:
        sh("ip", "link", "add", s["linux"], "netns", FW, "type", "veth", "peer", "name", "eth0",
           "netns", s["ns"])
        sh("ip", "addr", "add", s["fw"] + "/24", "dev", s["linux"], ns=FW)
        sh("ip", "link", "set", s["linux"], "up", ns=FW)
        sh("ip", "addr", "add", s["host"] + "/24", "dev", "eth0", ns=s["ns"])
        sh("ip", "link", "set", "eth0", "up", ns=s["ns"])
        sh("ip", "route", "add", "default", "via", s["fw"], ns=s["ns"])
        # A side host is an end: what the firewall sends it must stop there, never come back.
        sh("sysctl", "-qw", "net.ipv4.ip_forward=0", ns=s["ns"])
        net, length = s["route"]
        if length:
            sh("ip", "route", "add", f"{net}/{length}", "via", s["host"], ns=FW)
        else:
            sh("ip", "route", "add", "default", "via", s["host"], ns=FW)
    for key in ["net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.all.send_redirects=0"]:
        sh("sysctl", "-qw", key, ns=FW)
    for s in SIDES:
        sh("sysctl", "-qw", f"net.ipv4.conf.{s['linux']}.rp_filter=0", ns=FW)
        # The side host answers ARP for its address; the firewall learns it once, here.
        sh("ping", "-c1", "-W1", s["host"], ns=FW)


def namespaces_down():
    for ns in [FW] + [s["ns"] for s in SIDES]:
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


class Wire:
    """A raw sending socket and a capturing socket on each side host."""

    def __init__(self):
        self.send, self.capture = [], []
        for s in SIDES:
            def make():
                tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
                rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
                rx.bind(("eth0", 0x0800))
                rx.setblocking(False)
                rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
                return tx, rx
            tx, rx = in_namespace(s["ns"], make)
            self.send.append(tx)
            self.capture.append(rx)

    def drain(self, quiet=0.05, limit=1.0):
        """Every packet of ours that arrived on a side: {id: (side, parsed)}, until quiet."""
        seen = {}
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            ready, _, _ = select.select(self.capture, [], [], quiet)
            if not ready:
                break
            for sock in ready:
                while True:
                    try:
                        frame, address = sock.recvfrom(65535)
                    except BlockingIOError:
                        break
                    if address[2] == socket.PACKET_OUTGOING:
                        continue
                    parsed = parse(frame)
                    if parsed and parsed[0] not in seen:
                        seen[parsed[0]] = (self.capture.index(sock), parsed)
        return seen

    def run(self, packets):
        self.drain(quiet=0.01)
        for p in packets:
            self.send[p["side"]].sendto(build(p), (p["dst"], 0))
        return self.drain()


# ---------------------------------------------------------------------------------------------
# Both opinions for one configuration, and their comparison.

def leaving_of(text):
    """vfw's "tcp 1.1.1.10:2048 -> 8.8.8.8:80" / "icmp A -> B type 8 code 0 id N" as a tuple."""
    words = text.split()
    proto = words[0]
    if proto == "icmp":
        return (proto, words[1], int(words[-1]), words[3], None)
    src, sport = words[1].rsplit(":", 1)
    dst, dport = words[3].rsplit(":", 1)
    return (proto, src, int(sport), dst, int(dport))


def vfw_opinion(work, cfg_text, packets):
    path = os.path.join(work, "diff.cfg")
    with open(path, "w") as f:
        f.write(cfg_text)
    flows = os.path.join(work, "flows.txt")
    with open(flows, "w") as f:
        f.write("".join(flow_line(p) + "\n" for p in packets))
    run = subprocess.run([VFW, "packet-trace", "--config", path, "--flows", flows, "--json"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError("vfw packet-trace failed: " + run.stderr[-2000:])
    out = []
    for line in run.stdout.splitlines():
        trace = json.loads(line)
        result = trace["result"]
        snat = next((s for s in trace["steps"] if s["stage"] in ("snat", "server-map")
                     and s["result"] == "translated"), None)
        rule = None
        for s in trace["steps"]:
            m = s["detail"].get("matched") or ""
            if s["stage"] == "snat" and m.startswith("nat-policy rule "):
                rule = m[len("nat-policy rule "):]
        out.append({"action": result["action"], "output": result["output"],
                    "drop": result["drop_reason"],
                    "leaving": leaving_of(result["leaving"]) if result["leaving"] else None,
                    "snat_rule": rule, "snat": snat is not None})
    if len(out) != len(packets):
        raise RuntimeError(f"vfw traced {len(out)} flows of {len(packets)}")
    return out


def kernel_opinion(work, cfg_text, packets, wire):
    path = os.path.join(work, "diff.cfg")
    with open(path, "w") as f:
        f.write(cfg_text)
    binds = []
    for s in SIDES:
        binds += ["--bind", f"{s['ifc']}={s['linux']}"]
    applied = subprocess.run([VFW, "export", "nft", "--config", path, "--apply", "--netns", FW]
                             + binds, capture_output=True, text=True)
    if applied.returncode != 0:
        raise RuntimeError("vfw export nft --apply failed: " + applied.stderr[-2000:])
    return wire.run(packets)


def disagreements(cfg, packets, mine, kernel):
    """For each packet that the two see differently, a line saying how; documented differences
    are checked as facts and counted in stats."""
    found = {}
    pools = {p["name"]: p for p in cfg["pools"]}
    nat_rules = {r["name"]: r for r in cfg["nat"]}
    for p, v in zip(packets, mine):
        k = kernel.get(p["id"])
        original_sport = p["sport"]
        if v["action"] != "forward":
            in_pool = k is not None and any(
                not pool["pat"] and ip_int(pool["start"]) <= ip_int(k[1][2]) <= ip_int(pool["end"])
                for pool in cfg["pools"])
            if v["drop"] == "nat-pool-exhausted" and in_pool:
                # Documented: a no-pat group gives each host an address of its own on the device,
                # and a host more than it has addresses is dropped; the kernel has no such
                # reservation and translates it anyway.
                DOCUMENTED["no-pat group exhausted"] += 1
                continue
            if k is not None:
                found[p["id"]] = f"vfw: {v['action']}; kernel: forwarded out of {SIDES[k[0]]['ifc']}"
            continue
        if k is None:
            found[p["id"]] = f"vfw: forwarded out of {v['output']} as {v['leaving']}; kernel: dropped"
            continue
        side, (_, proto, src, sport, dst, dport) = k
        kernel_out = (proto, src, sport, dst, dport)
        if SIDES[side]["ifc"] != v["output"]:
            found[p["id"]] = (f"vfw: out of {v['output']} as {v['leaving']}; kernel: out of "
                              f"{SIDES[side]['ifc']} as {kernel_out}")
            continue
        vp, vsrc, vsport, vdst, vdport = v["leaving"]
        how = []
        if (vp, vdst, vdport) != (proto, dst, dport):
            how.append("destination")
        reverse = next((s for s in cfg["servers"] if s["inside"] == p["src"] and not s["no_reverse"]
                        and s["global"] == src and vsrc == p["src"]), None)
        if reverse and vdst != p["dst"] and "destination" not in how:
            # Documented: a flow from one server's inside address to another server's global
            # address takes one server-map entry on vfw (the destination's, forward); the kernel
            # translates the destination and, in postrouting, the source by the first server's
            # reverse rule too.
            DOCUMENTED["server to server"] += 1
            continue
        pool = None
        rule = nat_rules.get(v["snat_rule"]) if v["snat_rule"] else None
        if rule and rule["action"][0] == "pool":
            pool = pools[rule["action"][1]]
        if pool:
            DOCUMENTED["address group: any address of the range"] += 1
            lo, hi = ip_int(pool["start"]), ip_int(pool["end"])
            if not (lo <= ip_int(vsrc) <= hi and lo <= ip_int(src) <= hi):
                how.append("source address outside the group")
        elif vsrc != src:
            how.append("source address")
        pat = rule is not None and (rule["action"][0] == "easy-ip" or (pool and pool["pat"]))
        if pat:
            # Documented: the kernel keeps the port of a flow when it is free; vfw moves it.
            DOCUMENTED["PAT port kept by the kernel"] += 1
            if sport != original_sport:
                how.append(f"the kernel moved the port ({original_sport} -> {sport})")
        elif vsport != sport:
            how.append("source port")
        if how:
            found[p["id"]] = (f"{', '.join(how)} differ: vfw {v['leaving']}, kernel "
                              f"{kernel_out}")
    return found


def opinions(work, cfg, packets, wire):
    text = render(cfg)
    return (disagreements(cfg, packets, vfw_opinion(work, text, packets),
                          kernel_opinion(work, text, packets, wire)))


fresh_ids = iter(range(60000, 1 << 31))


def renewed(packets):
    """The same packets as new flows: the kernel's conntrack remembers the ones it has seen."""
    out = []
    for p in packets:
        fresh = dict(p, id=next(fresh_ids))
        fresh["sport"] = 10000 + fresh["id"] % 50000
        out.append(fresh)
    return out


def shrink(work, cfg, packets, wire):
    """The smallest configuration and packet sequence (by taking things away) under which the last
    packet still disagrees. The packets before it stay candidates too: what they leave behind
    (a pool's addresses, a port) may be the cause."""
    def still(candidate, sequence):
        sequence = renewed(sequence)
        try:
            return sequence[-1]["id"] in opinions(work, candidate, sequence, wire)
        except RuntimeError:
            return False

    changed = True
    while changed:
        changed = False
        i = 0
        while i < len(packets) - 1:
            if still(cfg, packets[:i] + packets[i + 1:]):
                packets, changed = packets[:i] + packets[i + 1:], True
            else:
                i += 1
        for key in ["policy", "nat", "servers", "addr_sets", "svc_sets", "pools"]:
            i = 0
            while i < len(cfg[key]):
                candidate = json.loads(json.dumps(cfg))
                del candidate[key][i]
                if still(candidate, packets):
                    cfg, changed = candidate, True
                else:
                    i += 1
        for key in ["policy", "nat"]:
            for r in range(len(cfg[key])):
                for field in ["src_zones", "dst_zones", "src", "dst", "svc"]:
                    j = 0
                    while j < len(cfg[key][r][field]):
                        candidate = json.loads(json.dumps(cfg))
                        del candidate[key][r][field][j]
                        if still(candidate, packets):
                            cfg, changed = candidate, True
                        else:
                            j += 1
    return cfg, packets


def main():
    need_namespaces("vfwd-probe")

    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="vfw-diff-")
    if args.reproduce:
        try:
            namespaces_up()
            wire = Wire()
            with open(args.reproduce + ".cfg") as f:
                text = f.read()
            with open(args.reproduce + ".flow") as f:
                packets = [parse_flow_line(line, next(fresh_ids)) for line in f
                           if line.strip() and not line.startswith("#")]
            mine = vfw_opinion(work, text, packets)
            kernel = kernel_opinion(work, text, packets, wire)
            for p, v in zip(packets, mine):
                k = kernel.get(p["id"])
                print(flow_line(p))
                print(f"  vfw:    {v['action']} {v['output']} {v['leaving']}")
                print("  kernel: " + (f"forward {SIDES[k[0]]['ifc']} {k[1][1:]}" if k else "drop"))
        finally:
            if not os.environ.get("VFWD_STAY"):
                namespaces_down()
            shutil.rmtree(work, ignore_errors=True)
        return
    started = time.monotonic()
    try:
        namespaces_up()
        wire = Wire()
        next_id = 1
        counts = {"packets": 0, "forwarded": 0, "dropped": 0, "snat": 0, "dnat": 0, "pat": 0}
        bad = []
        for n in range(args.configs):
            cfg = generate(rng, n)
            packets, next_id = generate_packets(rng, cfg, args.packets, next_id)
            text = render(cfg)
            mine = vfw_opinion(work, text, packets)
            kernel = kernel_opinion(work, text, packets, wire)
            found = disagreements(cfg, packets, mine, kernel)
            counts["packets"] += len(packets)
            for p, v in zip(packets, mine):
                counts["forwarded" if v["action"] == "forward" else "dropped"] += 1
                if v["leaving"] and v["leaving"][3] != p["dst"]:
                    counts["dnat"] += 1
                if v["leaving"] and v["leaving"][1] != p["src"]:
                    counts["snat"] += 1
                    if v["leaving"][2] != p["sport"]:
                        counts["pat"] += 1
            for k, p in enumerate(packets):
                if p["id"] in found:
                    bad.append((n, cfg, packets[:k + 1], found[p["id"]]))
            if found:
                break
        if bad:
            n, cfg, sequence, how = bad[0]
            small, steps = shrink(work, cfg, sequence, wire)
            retry = renewed(steps)
            again = opinions(work, small, retry, wire).get(retry[-1]["id"], "(agrees now)")
            reproducer = os.path.join(args.keep or work, f"disagreement-seed{args.seed}-config{n}")
            os.makedirs(os.path.dirname(reproducer), exist_ok=True)
            with open(reproducer + "-original.cfg", "w") as f:
                f.write(render(cfg))
            with open(reproducer + ".cfg", "w") as f:
                f.write(render(small))
            with open(reproducer + ".flow", "w") as f:
                f.write("".join(flow_line(p) + "\n" for p in steps))
            print(f"configuration {n} of seed {args.seed}: {how}\n"
                  f"shrunk to {reproducer}.cfg and {reproducer}.flow (the last flow disagrees): "
                  f"{again}\n" + render(small) + "".join(flow_line(p) + "\n" for p in steps))
            if not args.keep:
                work = None  # keep the reproducer's folder
        check(f"{counts['packets']} packets of {args.configs if not bad else bad[0][0] + 1} "
              f"configurations (seed {args.seed}): the kernel and vfw agree",
              not bad, "" if not bad else bad[0][3])
        print(f"     forwarded {counts['forwarded']}, dropped {counts['dropped']}, source-translated "
              f"{counts['snat']} (PAT {counts['pat']}), destination-translated {counts['dnat']}; "
              f"{time.monotonic() - started:.0f} s")
        print("     documented differences met: " +
              ", ".join(f"{k} {v}" for k, v in DOCUMENTED.items()))
        check("the generator exercises both verdicts and both translations",
              bad or (counts["forwarded"] and counts["dropped"] and counts["snat"] and counts["dnat"]
                      and counts["pat"]), str(counts))
        # The comparison itself: a difference made on purpose (the kernel given the configuration
        # without its one permit rule) must be seen.
        control = {"zones": ["trust", "untrust", "dmz"], "addr_sets": [], "svc_sets": [],
                   "pools": [], "servers": [], "nat": [], "default": "deny",
                   "policy": [{"name": "control", "src_zones": [], "dst_zones": [], "src": [],
                               "dst": [], "svc": [], "action": "permit"}]}
        probe = [{"side": 0, "proto": "tcp", "src": "10.10.0.5", "dst": "203.0.113.5",
                  "sport": 10000 + next_id % 50000, "dport": 80, "id": next_id}]
        mine = vfw_opinion(work, render(control), probe)
        kernel = kernel_opinion(work, render(dict(control, policy=[])), probe, wire)
        check("a difference made on purpose (the kernel without the permit rule) is seen",
              mine[0]["action"] == "forward" and disagreements(control, probe, mine, kernel))
    finally:
        namespaces_down()
        if work:
            shutil.rmtree(work, ignore_errors=True)
    finish()


main()
