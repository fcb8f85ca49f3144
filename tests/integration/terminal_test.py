#!/usr/bin/env python3
"""The interactive CLI through a pseudo-terminal: prompts, ? help, Tab completion, paging,
screen-length, Ctrl+Z, history, the caret under the offending token, save's question.
Usage: terminal_test.py VFW SOURCE_DIR. Standard library only."""
import fcntl
import os
import pty
import select
import struct
import sys
import tempfile
import termios
import time

VFW, SRC = sys.argv[1], sys.argv[2]
passed = failed = 0


class Session:
    def __init__(self, *args, rows=24):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(VFW, [VFW, *args])
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, 120, 0, 0))
        self.buffer = ""

    def read_until(self, text, timeout=5.0):
        deadline = time.time() + timeout
        while text not in self.buffer:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {text!r}; screen so far:\n{self.buffer[-2000:]}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096).decode(errors="replace")
                except OSError:
                    chunk = ""
                if not chunk:
                    raise AssertionError(f"vfw ended while waiting for {text!r}:\n{self.buffer[-2000:]}")
                self.buffer += chunk
        at = self.buffer.index(text) + len(text)
        seen, self.buffer = self.buffer[:at], self.buffer[at:]
        return seen

    def send(self, keys):
        # A person types after the prompt is drawn: the editor has switched the terminal to its own
        # mode by then. Keys sent in the same microsecond as the prompt would race that switch.
        time.sleep(0.05)
        os.write(self.fd, keys.encode())

    def close(self):
        try:
            os.kill(self.pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
    except AssertionError as e:
        failed += 1
        print(f"FAILED: {name}\n  {e}")


def prompts_and_views():
    s = Session()
    try:
        s.read_until("<FW1>")
        s.send("sy\r")
        s.read_until("Enter system view, return user view with Ctrl+Z.")
        s.read_until("[FW1]")
        s.send("int g0/0/1\r")
        s.read_until("[FW1-GigabitEthernet0/0/1]")
        s.send("sec\r")
        s.read_until("[FW1-policy-security]")
        s.send("rule n r1\r")
        s.read_until("[FW1-policy-security-rule-r1]")
        s.send("\x1a")  # Ctrl+Z
        s.read_until("<FW1>")
    finally:
        s.close()


def help_and_completion():
    s = Session()
    try:
        s.read_until("<FW1>")
        s.send("dis?")
        seen = s.read_until("<FW1>dis")
        assert "  display" in seen, seen
        s.send(" ip ?")
        seen = s.read_until("<FW1>dis ip ")
        assert "interface" in seen and "routing-table" in seen, seen
        s.send("\x15")  # Ctrl+U: clear the line
        s.send("display cur\t")
        s.read_until("rent-configuration ")  # what Tab added (the editor may move the cursor first)
        s.send("| include sysname\r")
        seen = s.read_until("<FW1>")
        assert " sysname FW1" in seen and "interface" not in seen, seen
    finally:
        s.close()


def caret_errors():
    s = Session()
    try:
        s.read_until("<FW1>")
        s.send("system-view\r")
        s.read_until("[FW1]")
        s.send("ip route-static 10.0.0.0 33 1.1.1.2\r")
        seen = s.read_until("[FW1]")
        # "[FW1]" is 5 columns; "33" starts at column 25 of the line.
        assert "\r\n" + " " * 30 + "^\r\nError: Wrong parameter found at '^' position." in seen, repr(seen)
    finally:
        s.close()


def paging_and_screen_length():
    s = Session("--config", f"{SRC}/examples/nat-lab.cfg", rows=10)
    try:
        s.read_until("<NAT1>")
        s.send("display current-configuration\r")
        seen = s.read_until("  ---- More ----")
        # A screen of 10 rows: 9 lines of output, then the More prompt (counted from the echo of
        # the command, which typing ahead may show twice).
        page = seen.split("display current-configuration")[-1]
        assert page.count("\n") == 10, seen
        s.send("q")
        s.read_until("<NAT1>")
        s.send("screen-length 0 temporary\r")
        s.read_until("<NAT1>")
        s.send("display current-configuration\r")
        seen = s.read_until("return")
        assert "---- More ----" not in seen, seen
        s.read_until("<NAT1>")
    finally:
        s.close()


def history_recall():
    s = Session()
    try:
        s.read_until("<FW1>")
        s.send("display zone | include priority is 85\r")
        s.read_until("<FW1>")
        s.send("\x1b[A\r")  # up arrow: the same command again
        seen = s.read_until("<FW1>")
        assert "priority is 85" in seen, seen
    finally:
        s.close()


def save_asks_first():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "fw1.cfg")
        with open(f"{SRC}/examples/fw1.cfg") as f, open(path, "w") as g:
            g.write(f.read())
        s = Session("--config", path)
        try:
            s.read_until("<FW1>")
            s.send("system-view\r")
            s.send("sysname BRANCH\r")
            s.read_until("[BRANCH]")
            s.send("save\r")
            s.read_until("Are you sure to continue?[Y/N]")
            s.send("n")
            s.read_until("[BRANCH]")
            assert " sysname FW1\n" in open(path).read()
            s.send("save\r")
            s.read_until("Are you sure to continue?[Y/N]")
            s.send("y")
            s.read_until("Save the configuration successfully.")
            s.read_until("[BRANCH]")
            assert " sysname BRANCH\n" in open(path).read()
        finally:
            s.close()


def ping_and_ctrl_c():
    # The firewall's own ping prints as the answers come; Ctrl+C ends it with its statistics.
    s = Session()
    try:
        s.read_until("<FW1>")
        s.send("ping -c 2 10.1.1.1\r")
        s.read_until("    Reply from 10.1.1.1: bytes=56 Sequence=2 ttl=255")
        s.read_until("<FW1>")
    finally:
        s.close()
    s = Session("cli")
    try:
        s.read_until("<FW1>")
        s.send("ping -c 100 -a 1.1.1.1 192.0.2.1\r")
        s.read_until("press CTRL_C to break")
        s.read_until("    Request time out")
        s.send("\x03")
        screen = s.read_until("<FW1>")
        assert "  --- 192.0.2.1 ping statistics ---" in screen, screen
        assert " packet(s) transmitted" in screen and "100 packet(s)" not in screen, screen
    finally:
        s.close()


def lab_console():
    # `vfw` alone: the seed's lab, the console on FW1; lab commands beside the VRP CLI, and the
    # prompt following `lab attach`.
    s = Session()
    try:
        s.read_until("the console is on fw1")
        s.read_until("<FW1>")
        s.send("lab ?")
        s.read_until("lab trace HOST DEST [protocol icmp|tcp|udp] [port N] [detail] [json]")
        s.send("\x03")
        s.read_until("<FW1>")
        s.send("lab ping pc1 10.2.1.2 count 2\r")
        s.read_until("2 packets transmitted, 2 received, 0% packet loss")
        s.read_until("<FW1>")
        s.send("display ike sa\r")
        screen = s.read_until("<FW1>")
        assert "v2:1" in screen and "v2:2" in screen and "RD|ST" in screen, screen
        # Tab: the lab's words from the lab, the firewall's from its CLI.
        s.send("lab att\t")
        s.read_until("ach ")
        s.send("fw\t")
        s.read_until("fw3")  # the choices listed: fw1 fw2 fw3
        s.send("3\r")
        s.read_until("<FW3>")
        s.send("system-view\r")
        s.read_until("[FW3]")
        s.send("dis ike s?")
        s.read_until("sa")
        s.send("\x03")
        s.read_until("[FW3]")
        s.send("lab attach fw1\r")
        s.read_until("<FW1>")
    finally:
        s.close()


only = sys.argv[3] if len(sys.argv) > 3 else None
for name, fn in [("prompts and views", prompts_and_views), ("help and completion", help_and_completion),
                 ("caret errors", caret_errors), ("paging and screen-length", paging_and_screen_length),
                 ("history", history_recall), ("save asks first", save_asks_first),
                 ("ping and Ctrl+C", ping_and_ctrl_c),
                 ("the lab's console", lab_console)]:
    if only is None or only == name:
        check(name, fn)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
