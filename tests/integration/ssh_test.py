#!/usr/bin/env python3
"""The VRP CLI over SSH (vfw run): Netmiko's Huawei driver unchanged, isolated sessions, paging,
`?` help, save's question, the refusals (wrong password, unknown user, a user without service-type
ssh, an interface without service-manage ssh, exec), the lock-out after repeated failures, the host
key kept across restarts, silent connections that must not lock the administrator out, SIGTERM
with a session open.

vfw listens on loopback addresses (127.1.0.2 on GigabitEthernet0/0/0 with service-manage ssh,
127.2.0.3 on GigabitEthernet0/0/3 without), so no namespace is needed.
Usage: ssh_test.py VFW SOURCE_DIR (Debian's python3-netmiko and python3-paramiko)."""
import os
import stat
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # nothing written beside the sources
from checks import check, finish  # noqa: E402

import logging

import paramiko
from netmiko import ConnectHandler

# paramiko logs every refused connection with a traceback; the checks say what happened.
logging.getLogger("paramiko").setLevel(logging.CRITICAL)

VFW, SRC = sys.argv[1], sys.argv[2]
MGMT, DATA = "127.1.0.2", "127.2.0.3"
PASSWORD = "Admin@123"


def free_port():
    s = socket.socket()
    s.bind((MGMT, 0))
    port = s.getsockname()[1]
    s.close()
    return port


work = tempfile.mkdtemp(prefix="vfw-ssh-")
config = os.path.join(work, "fw1.cfg")
with open(os.path.join(SRC, "examples/fw1.cfg")) as f:
    text = f.read()
text = text.replace(" ip address 192.168.0.1 255.255.255.0", f" ip address {MGMT} 255.255.0.0", 1)
extra = (
    f"interface GigabitEthernet0/0/3\n ip address {DATA} 255.255.0.0\n#\n"
    "firewall zone dmz\n set priority 50\n add interface GigabitEthernet0/0/3\n#\n"
    "aaa\n authentication-scheme default\n"
    f" manager-user admin\n  password cipher {PASSWORD}\n  service-type ssh terminal\n  level 15\n"
    f" manager-user webonly\n  password cipher {PASSWORD}\n  service-type web\n  level 3\n#\n"
)
text = text.replace("\nreturn", "\n" + extra + "return", 1)
with open(config, "w") as f:
    f.write(text)
port = free_port()
env = dict(os.environ, HOME=work, VFW_DEVICE_KEY=os.path.join(work, "device.key"))
# A fresh account's: neither ~/.config nor ~/.config/vfw exists yet; vfw makes both, private.
host_key = os.path.join(work, "fresh-home", ".config", "vfw", "ssh_host_ed25519_key")


class Daemon:
    def __init__(self):
        self.log_path = os.path.join(work, f"vfw-{time.time()}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [VFW, "run", "--config", config, "--no-terminal", "--socket", os.path.join(work, "s.sock"),
             "--ssh-port", str(port), "--ssh-host-key", host_key],
            stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        deadline = time.time() + 20
        while "VFW/6/START" not in self.text():
            if time.time() > deadline or self.proc.poll() is not None:
                raise SystemExit("vfw run did not start:\n" + self.text())
            time.sleep(0.1)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, pattern, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.text()):
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=20)
        self.log.close()
        return rc


def client(password=PASSWORD, user="admin", host=MGMT):
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        c.connect(host, port=port, username=user, password=password, look_for_keys=False,
                  allow_agent=False, timeout=5, banner_timeout=5, auth_timeout=5)
    except BaseException:
        c.close()  # as ssh does: a refused login closes its connection
        raise
    return c


def login_fails(**kwargs):
    try:
        client(**kwargs).close()
        return "logged in"
    except paramiko.AuthenticationException:
        return "authentication failed"
    except (paramiko.SSHException, OSError, EOFError):
        return "connection refused"


class Shell:
    def __init__(self, c, rows=24):
        self.channel = c.invoke_shell(term="vt100", width=120, height=rows)
        self.buffer = ""

    def read_until(self, pattern, timeout=10.0):
        deadline = time.time() + timeout
        while not re.search(pattern, self.buffer):
            if time.time() > deadline:
                raise AssertionError(f"timed out waiting for {pattern!r}:\n{self.buffer[-1500:]}")
            if self.channel.recv_ready():
                self.buffer += self.channel.recv(65536).decode(errors="replace")
            else:
                time.sleep(0.02)
        m = re.search(pattern, self.buffer)
        seen, self.buffer = self.buffer[:m.end()], self.buffer[m.end():]
        return seen

    def send(self, keys):
        self.channel.send(keys)


daemon = Daemon()
log0 = daemon.text()
check("the host key is made on first start, 0600",
      os.path.exists(host_key) and (os.stat(host_key).st_mode & 0o777) == 0o600, log0)
fingerprint = re.search(r"SSH/6/HOSTKEY: host key .*, (SHA256:\S+)", log0)
check("a fresh account: the key's folders are made, private to their owner (0700)",
      all(stat.S_IMODE(os.stat(os.path.join(work, "fresh-home", *p)).st_mode) == 0o700
          for p in ([".config"], [".config", "vfw"])))
check("the daemon logs the key's fingerprint and where SSH listens",
      fingerprint is not None and f"SSH/6/BIND: SSH on {MGMT}:{port} (GigabitEthernet0/0/0)" in log0, log0)

# Netmiko's Huawei driver, unchanged: login, display, configuration lines, save.
nm = ConnectHandler(device_type="huawei", host=MGMT, port=port, username="admin", password=PASSWORD)
check("netmiko finds the user-view prompt", nm.find_prompt() == "<FW1>", nm.find_prompt())
shown = nm.send_command("display current-configuration")
check("netmiko reads display current-configuration whole (no pager)",
      "sysname FW1" in shown and shown.rstrip().endswith("return") and "---- More ----" not in shown,
      shown[-400:])
check("the password shows sealed, never in clear",
      PASSWORD not in shown and re.search(r"password cipher %\^%#\S+%\^%#", shown) is not None)
out = nm.send_config_set(["ip route-static 10.9.0.0 255.255.0.0 1.1.1.254",
                          "interface GigabitEthernet0/0/3", "description from-netmiko"])
check("netmiko's configuration lines are taken", "Error" not in out, out)
saved = nm.save_config(confirm=True, confirm_response="y")
check("save asks its question and saves", "Save the configuration successfully." in saved, saved)
with open(config) as f:
    on_disk = f.read()
check("the saved file has the lines netmiko sent, and the password sealed",
      "ip route-static 10.9.0.0 255.255.0.0 1.1.1.254" in on_disk and "description from-netmiko" in on_disk
      and PASSWORD not in on_disk and "manager-user admin" in on_disk, on_disk[-800:])
nm.disconnect()
check("login and logout are logged as the device logs them",
      daemon.wait_log(r"SSH/5/SSH_USER_LOGIN: The SSH user succeeded in logging in\. \(ServiceType=stelnet, "
                      r"UserName=admin, IPAddress=127\.0\.0\.1")
      and daemon.wait_log(r"SSH/5/SSH_USER_LOGOUT: The SSH user logged out\."), daemon.text()[-800:])

# Two sessions at once, each with its own view and screen length.
a, b = client(), client()
sa, sb = Shell(a), Shell(b, rows=10)
banner = sa.read_until(r"<FW1>")
check("the login banner counts the VTY users", "of current VTY users on line is" in banner, banner)
sb.read_until(r"<FW1>")
sa.send("system-view\r")
sa.read_until(r"\[FW1\]")
sa.send("interface GigabitEthernet0/0/1\r")
sa.read_until(r"\[FW1-GigabitEthernet0/0/1\]")
sb.send("\r")
check("a second session keeps its own view", sb.read_until(r"<FW1>").strip().endswith("<FW1>"))
sa.send("screen-length 0 temporary\r")
sa.read_until(r"\]")
sb.send("display current-configuration\r")
page = sb.read_until(r"---- More ----")
check("the other session still pages at its terminal's height", page.count("\n") <= 12, page)
sb.send("q")
sb.read_until(r"<FW1>")
sb.send("display ?")
help_text = sb.read_until(r"<FW1>display ")
check("? lists what may follow and keeps the line typed",
      "current-configuration" in help_text and "firewall" in help_text, help_text)
sb.send("\x15")  # Ctrl+U
sb.read_until(r"^")
sb.send("screen-length 0 temporary\r")
sb.read_until(r"<FW1>")
sb.send("disp\tcur\t\r")
completed = sb.read_until(r"return\r\n<FW1>", timeout=20)
check("Tab completes keywords", "sysname FW1" in completed, completed[-300:])
sa.send("\x1a")
check("Ctrl+Z returns to user view", sa.read_until(r"<FW1>").endswith("<FW1>"))
try:
    a.get_transport().open_session()
    second = "opened"
except paramiko.SSHException:
    second = "refused"
check("a session has one channel", second == "refused")
a.close()
x = client()
try:
    x.get_transport().open_session().exec_command("display version")
    refused = False
except paramiko.SSHException:
    refused = True
check("exec is refused: the VTY is an interactive CLI", refused)
x.close()
b.close()

# Refusals, each logged with its reason; the client learns only that authentication failed.
check("a wrong password is refused", login_fails(password="wrong") == "authentication failed")
check("an unknown user is refused", login_fails(user="nobody") == "authentication failed")
check("a user without service-type ssh is refused", login_fails(user="webonly") == "authentication failed")
check("the refusals are logged with their reasons",
      daemon.wait_log(r"FailedReason=The password is wrong, UserName=admin")
      and daemon.wait_log(r"FailedReason=The user does not exist, UserName=nobody")
      and daemon.wait_log(r"FailedReason=The service type of the user is not ssh, UserName=webonly"),
      daemon.text()[-1500:])
# The lock-out: five failures within five minutes lock the address, the right password included.
results = [login_fails(password=f"guess{i}") for i in range(7)]
check("repeated failures lock the address out",
      results[:2] == ["authentication failed"] * 2 and results[-1] == "connection refused", str(results))
check("a locked address is refused even with the right password", login_fails() == "connection refused")
text = daemon.text()
check("the lock is logged once, and the refusal once",
      text.count("SSH/4/IP_LOCKED: IP was locked. (IpAddress=127.0.0.1") == 1
      and text.count("Reason=the address is locked after failed logins") == 1, text[-1500:])

# A restart forgets the lock, as a rebooted device does.
# A user name from outside is data in the log: a newline does not start a forged record, an
# escape sequence does not reach the reader's terminal (from its own source address, so that the
# lock-out counted above is not touched).
forged = "admin\nFW1 SSH/5/SSH_USER_LOGIN: forged\x1b[2J"
raw = socket.create_connection((MGMT, port), timeout=5, source_address=("127.0.0.9", 0))
forger = paramiko.SSHClient()
forger.set_missing_host_key_policy(paramiko.AutoAddPolicy())
try:
    forger.connect(MGMT, port=port, username=forged, password="wrong", sock=raw,
                   look_for_keys=False, allow_agent=False, timeout=5, banner_timeout=5,
                   auth_timeout=5)
except (paramiko.SSHException, OSError, EOFError):
    pass
forger.close()
check("a user name with a newline and an escape sequence is logged as one line of data",
      daemon.wait_log(r"UserName=admin\\x0aFW1 SSH/5/SSH_USER_LOGIN: forged\\x1b\[2J")
      and "\nFW1 SSH/5/SSH_USER_LOGIN: forged" not in daemon.text()
      and "\x1b" not in daemon.text(), daemon.text()[-600:])
rc = daemon.stop()
check("SIGTERM stops the daemon cleanly", rc == 0, daemon.text()[-500:])

daemon = Daemon()
check("the host key is kept across restarts",
      fingerprint is not None and fingerprint.group(1) in daemon.text(), daemon.text())
open_session = client()
sh = Shell(open_session)
sh.read_until(r"<FW1>")
sh.send("display current-configuration | include route-static\r")
check("the restarted daemon runs the saved configuration",
      "ip route-static 10.9.0.0 255.255.0.0 1.1.1.254" in sh.read_until(r"<FW1>"))
try:
    probe = socket.create_connection((DATA, port), timeout=2)
    probe.settimeout(3)
    data = probe.recv(64)
    probe.close()
except OSError:
    data = b""
check("an interface without service-manage ssh does not answer SSH", not data.startswith(b"SSH-"), data)
check("the refusal names the interface and the rule",
      daemon.wait_log(r"SSH_CONNECT_DENY: .*Interface=GigabitEthernet0/0/3, Reason=service-manage-deny"),
      daemon.text()[-800:])
# An address given to an interface while the daemon runs gets SSH within seconds.
late = "127.3.0.4"
subprocess.run([VFW, "cli", "--connect", os.path.join(work, "s.sock"), "-c", "system-view",
                "-c", "interface GigabitEthernet0/0/4",
                "-c", f"ip address {late} 255.255.0.0", "-c", "service-manage enable", "-c",
                "service-manage ssh permit", "-c", "quit", "-c", "firewall zone trust", "-c",
                "add interface GigabitEthernet0/0/4"], check=True, capture_output=True, env=env)
check("an address given while the daemon runs gets SSH within seconds",
      daemon.wait_log(rf"SSH/6/BIND: SSH on {re.escape(late)}:{port} \(GigabitEthernet0/0/4\)", timeout=12)
      and login_fails(host=late) == "logged in", daemon.text()[-600:])
# Connections not yet logged in (issue 25): each address has at most three; connections that
# never speak do not hold the VTYs (only logged-in users count); the key exchange's own deadline
# (10 s) closes them, not the 60 s login timeout.
same = [socket.create_connection((MGMT, port), timeout=5, source_address=("127.0.6.1", 0))
        for _ in range(4)]
same[3].settimeout(3)
try:
    fourth = same[3].recv(64)
except OSError:
    fourth = b"(no answer)"
check("a fourth connection not yet logged in from one address is refused",
      fourth == b"" and daemon.wait_log(r"IPAddress=127\.0\.6\.1, .*Reason=the address has 3 "
                                        r"connections not yet logged in"),
      repr(fourth) + daemon.text()[-600:])
for s in same:
    s.close()
time.sleep(1)
opened = time.time()
silent = [socket.create_connection((MGMT, port), timeout=5, source_address=(f"127.0.5.{i + 1}", 0))
          for i in range(12)]
time.sleep(0.5)
admin = "connection refused"
for attempt in range(10):  # past 10 unproven connections newcomers are refused at random (30%+)
    admin = login_fails()
    if admin == "logged in":
        break
check("twelve silent connections do not lock the administrator out", admin == "logged in",
      f"{admin} after {attempt + 1} attempts\n" + daemon.text()[-800:])


def closed_by_server(s, deadline):
    s.settimeout(1)
    while time.time() < deadline:
        try:
            if s.recv(4096) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


gone = all(closed_by_server(s, opened + 20) for s in silent)
check("silent connections are closed by the key exchange's deadline, not the login timeout",
      gone and time.time() - opened < 15
      and daemon.wait_log(r"Key exchange with 127\.0\.5\.1 failed: not finished within 10 s"),
      f"{time.time() - opened:.1f} s\n" + daemon.text()[-600:])
for s in silent:
    s.close()


def greeted(source):
    """A new silent connection from source: True when the server greets it, False when refused."""
    s = socket.create_connection((MGMT, port), timeout=5, source_address=(source, 0))
    s.settimeout(3)
    try:
        ok = s.recv(64).startswith(b"SSH-")
    except OSError:
        ok = False
    if not ok:
        s.close()
        return None
    return s


# The ceiling: connections not yet logged in are refused at random from 10, all of them at 30.
time.sleep(1)
held, attempts = [], 0
while len(held) < 30 and attempts < 600:
    s = greeted(f"127.0.{8 + attempts // 200}.{attempts % 200 + 1}")
    attempts += 1
    if s is not None:
        held.append(s)
time.sleep(1.1)  # the refusals' log lines (10 a second) have room again
beyond = [greeted(f"127.0.11.{i + 1}") for i in range(20)]
check("at 30 connections not yet logged in every newcomer is refused",
      len(held) == 30 and all(b is None for b in beyond)
      and daemon.wait_log(r"Reason=too many connections are not yet logged in\)"),
      f"{len(held)} held after {attempts} attempts; {sum(b is not None for b in beyond)} of 20 "
      "greeted beyond\n" + daemon.text()[-600:])
for s in held + [b for b in beyond if b is not None]:
    s.close()
rc = daemon.stop()
# SIGTERM with a session open: a clean stop, the session logged out.
check("SIGTERM with a session open stops cleanly and logs the session out",
      rc == 0 and "LogOutReason=The device stops" in daemon.text(), daemon.text()[-800:])

finish()
