#!/usr/bin/env python3
"""vfw export nft against the kernel: every example and every real configuration of the corpus is
exported as text and applied through libnftnl in one netlink batch (in a network namespace of its
own); what `nft list table ip vfw` prints back must be the text vfw printed. The batch replaces
vfw's table and nothing else. Root and nft; exit 77 (skipped, with the reason) otherwise.

The only freedom allowed: the order of an interface set's elements, which the kernel keeps in a
hash table and lists in its own order (address sets are interval trees and list sorted, as vfw
prints them). Usage: nft_test.py VFW SOURCE_DIR"""
import glob
import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # nothing written beside the sources
from checks import check, finish, need_namespaces  # noqa: E402

VFW, SRC = sys.argv[1], sys.argv[2]
NS = "vfwn-nft"


def normalized(text):
    """The listing with each interface set's elements sorted."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("elements = {") and i > 0 and "type ifname" in lines[i - 1]:
            block = line
            while not block.rstrip().endswith("}"):
                i += 1
                block += lines[i]
            names = sorted(re.findall(r'"[^"]*"', block))
            out.append("\t\telements = { " + ", ".join(names) + " }")
        else:
            out.append(line)
        i += 1
    return "\n".join(out)


need_namespaces(NS)
subprocess.run(["ip", "netns", "add", NS], check=True)
try:
    nft = ["ip", "netns", "exec", NS, "nft"]
    subprocess.run(nft + ["add table ip other; add chain ip other keep"], check=True)
    configs = sorted(glob.glob(os.path.join(SRC, "examples", "*.cfg"))) + sorted(
        glob.glob(os.path.join(SRC, "tests", "data", "real-configs", "*.cfg")))
    batches = []
    for path in configs:
        name = os.path.basename(path)
        text = subprocess.run([VFW, "export", "nft", "--config", path], capture_output=True)
        applied = subprocess.run([VFW, "export", "nft", "--config", path, "--apply", "--netns", NS],
                                 capture_output=True, text=True, errors="replace")
        listed = subprocess.run(nft + ["list", "table", "ip", "vfw"], capture_output=True)
        ok = (text.returncode == 0 and applied.returncode == 0 and
              normalized(listed.stdout.decode(errors="surrogateescape")) ==
              normalized(text.stdout.decode(errors="surrogateescape")))
        detail = applied.stderr[-500:]
        if not ok and applied.returncode == 0:
            import difflib
            detail = "".join(difflib.unified_diff(
                normalized(text.stdout.decode(errors="replace")).splitlines(True),
                normalized(listed.stdout.decode(errors="replace")).splitlines(True)))[:3000]
        check(f"{name}: applied in one batch, listed back as vfw printed it", ok, detail)
        m = re.search(r"one netlink batch of (\d+) messages, (\d+) bytes", applied.stderr)
        if m:
            batches.append((name, int(m.group(1)), int(m.group(2))))
    # A batch of several pages and thousands of messages (one send, one acknowledgement).
    big = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"vfw-nft-big-{os.getpid()}.cfg")
    with open(big, "w") as f:
        f.write("#\ninterface GigabitEthernet0/0/1\n ip address 10.1.0.1 255.255.0.0\n#\n"
                "firewall zone trust\n add interface GigabitEthernet0/0/1\n#\nsecurity-policy\n")
        for n in range(3000):
            f.write(f" rule name r{n}\n  source-zone trust\n  destination-zone untrust\n"
                    f"  source-address 172.16.{n // 256}.{n % 256} mask 255.255.255.255\n"
                    f"  service http\n  action permit\n")
        f.write("#\nreturn\n")
    try:
        text = subprocess.run([VFW, "export", "nft", "--config", big], capture_output=True)
        applied = subprocess.run([VFW, "export", "nft", "--config", big, "--apply", "--netns", NS],
                                 capture_output=True, text=True, errors="replace")
        listed = subprocess.run(nft + ["list", "table", "ip", "vfw"], capture_output=True)
        check("3,000 rules: a batch of several pages, applied and listed back as printed",
              applied.returncode == 0 and normalized(listed.stdout.decode()) ==
              normalized(text.stdout.decode()) and listed.stdout.decode().count("comment \"rule r") == 3000,
              applied.stderr[-300:])
    finally:
        os.unlink(big)
    tables = subprocess.run(nft + ["list", "tables"], capture_output=True, text=True).stdout
    check("the batches replaced vfw's table and left the other tables alone",
          tables.split() == ["table", "ip", "other", "table", "ip", "vfw"], tables)
    # A batch the kernel refuses: vfw's table held by another process with `flags owner` (the
    # kernel lets only its owner change it). Nothing of the batch may be applied.
    subprocess.run(nft + ["delete", "table", "ip", "vfw"], check=True)
    holder = subprocess.Popen(nft + ["-i"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, text=True)
    holder.stdin.write("add table ip vfw { flags owner; }\nadd chain ip vfw keep\n")
    holder.stdin.flush()
    held = ""
    for _ in range(50):
        held = subprocess.run(nft + ["list", "table", "ip", "vfw"], capture_output=True,
                              text=True).stdout
        if "chain keep" in held:
            break
        time.sleep(0.1)
    refused = subprocess.run([VFW, "export", "nft", "--config", configs[0], "--apply", "--netns",
                              NS], capture_output=True, text=True)
    after = subprocess.run(nft + ["list", "table", "ip", "vfw"], capture_output=True, text=True).stdout
    holder.stdin.close()
    holder.wait()
    check("a batch the kernel refuses changes nothing: exit 1, the reason, the previous table whole",
          "chain keep" in held and refused.returncode == 1 and
          "the kernel refused the ruleset: Operation not permitted; the previous ruleset is "
          "unchanged" in refused.stderr and after == held, refused.stderr[-300:] + after)
    big = max(batches, key=lambda b: b[2]) if batches else None
    if big:
        print(f"     largest batch: {big[0]}, {big[1]} messages, {big[2]} bytes")
finally:
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)

finish()
