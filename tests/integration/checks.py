"""What the Python integration tests share: named checks counted and reported the same way, the
skip that ctest reports as skipped (exit 77, with the reason), and the probe for network
namespaces that the interop tests need (a chroot can make one and still not enter it)."""
import os
import shutil
import subprocess
import sys

_counts = {"passed": 0, "failed": 0}


def check(name, ok, detail=""):
    """One named check: `ok   name`, or `FAIL name` with the detail that explains it."""
    if ok:
        _counts["passed"] += 1
        print(f"ok   {name}", flush=True)
    else:
        _counts["failed"] += 1
        print(f"FAIL {name}" + (f"\n{detail}" if detail else ""), flush=True)


def skip(reason):
    print(f"skipped: {reason}", flush=True)
    sys.exit(77)


def finish():
    """The summary line and the exit status: 1 when any check failed."""
    print(f"{_counts['passed']} passed, {_counts['failed']} failed")
    sys.exit(1 if _counts["failed"] else 0)


def failed():
    return _counts["failed"]


def need_namespaces(probe):
    """Skips unless this is root with nft, and a network namespace can be made and entered."""
    if os.geteuid() != 0:
        skip("needs root (network namespaces, nftables)")
    if shutil.which("nft") is None:
        skip("nft is not installed (Debian's nftables)")
    subprocess.run(["ip", "netns", "del", probe], stderr=subprocess.DEVNULL)
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        skip("cannot make a network namespace here")
    entered = subprocess.run(["ip", "netns", "exec", probe, "true"], capture_output=True, text=True)
    subprocess.run(["ip", "netns", "del", probe], stderr=subprocess.DEVNULL)
    if entered.returncode != 0:
        skip("cannot enter a network namespace here (ip netns exec: " + entered.stderr.strip() + ")")
