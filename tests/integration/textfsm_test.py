#!/usr/bin/python3
"""Automation users parse display output with ntc-templates' TextFSM templates: vfw's output must
parse with them, field for field. Usage: textfsm_test.py VFW SOURCE_DIR TEMPLATE_DIR"""
import subprocess
import sys

import textfsm

VFW, SRC, TEMPLATES = sys.argv[1:4]
passed = failed = 0


def parse(template, command, config):
    out = subprocess.run([VFW, "cli", "--config", f"{SRC}/examples/{config}", "-c", command],
                         capture_output=True, text=True, check=True).stdout
    with open(f"{TEMPLATES}/{template}") as t:
        fsm = textfsm.TextFSM(t)
        return [dict(zip(fsm.header, row)) for row in fsm.ParseText(out)]


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
    except (AssertionError, textfsm.TextFSMError, subprocess.CalledProcessError) as e:
        failed += 1
        print(f"FAILED: {name}: {e!r}")


def version():
    rows = parse("huawei_vrp_display_version.textfsm", "display version", "fw1.cfg")
    assert len(rows) == 1, rows
    r = rows[0]
    assert (r["VRP_VERSION"], r["PRODUCT_VERSION"], r["MODEL"]) == \
        ("5.170", "USG6000V1 V500R005C10SPC300", "USG6000V1"), r
    assert r["UPTIME"].startswith("0 weeks, 0 days, 0 hours, "), r


def acl_all():
    # The template records a row at each ACL header as well (as in its own sample): the rules are
    # the rows with a sequence number.
    rows = [r for r in parse("huawei_vrp_display_acl_all.textfsm", "display acl all", "fw1.cfg") if r["SN"]]
    assert len(rows) == 1, rows
    r = rows[0]
    assert (r["ACL_NUMBER"], r["SN"], r["ACTION"], r["PROTOCOL"]) == ("3000", "5", "permit", "ip"), r
    assert r["SOURCE"] == "10.1.1.0 0.0.0.255" and r["DESTINATION"] == "10.2.1.0 0.0.0.255", r


def interface_brief():
    rows = parse("huawei_vrp_display_interface_brief.textfsm", "display interface brief", "nat-lab.cfg")
    by_name = {r["INTERFACE"]: r for r in rows}
    assert len(rows) == 7, rows
    assert by_name["GigabitEthernet0/0/1"]["PHY"] == "up", by_name
    assert by_name["GigabitEthernet0/0/5"]["PHY"] == "*down", by_name


check("display version parses with ntc-templates", version)
check("display acl all parses with ntc-templates", acl_all)
check("display interface brief parses with ntc-templates", interface_brief)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
