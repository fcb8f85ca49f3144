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


def routing_verbose():
    rows = parse("huawei_vrp_display_ip_routing-table_verbose.textfsm",
                 "display ip routing-table verbose", "fw1.cfg")
    by_dest = {r["DESTINATION"]: r for r in rows}
    default = by_dest["0.0.0.0/0"]
    assert (default["PROTOCOL"], default["PREFERENCE"], default["NEXT_HOP"], default["INTERFACE"],
            default["FLAGS"], default["PRIORITY"]) == \
        ("Static", "60", "1.1.1.2", "GigabitEthernet0/0/2", "RD", "medium"), default
    assert by_dest["10.1.1.0/24"]["PROTOCOL"] == "Direct", by_dest
    assert by_dest["127.0.0.0/8"]["INTERFACE"] == "InLoopBack0", by_dest
    # One row per route of the brief table.
    brief = subprocess.run([VFW, "cli", "--config", f"{SRC}/examples/fw1.cfg", "-c",
                            "display ip routing-table"], capture_output=True, text=True).stdout
    assert len(rows) == sum(1 for l in brief.splitlines() if "/" in l and "Destination" not in l), rows


def routing_for_address():
    # ntc's template does not read the "Summary Count" a destination's form has on the device
    # (docs/research/daily-displays.txt 6b): the block after it must read as the template's.
    out = subprocess.run([VFW, "cli", "--config", f"{SRC}/examples/fw1.cfg", "-c",
                          "display ip routing-table 10.2.1.2 verbose"],
                         capture_output=True, text=True, check=True).stdout
    head, _, block = out.partition("Summary Count : 1\n")
    assert head.endswith("Routing Table : Public\n"), out
    with open(f"{TEMPLATES}/huawei_vrp_display_ip_routing-table_verbose.textfsm") as t:
        fsm = textfsm.TextFSM(t)
        rows = [dict(zip(fsm.header, row)) for row in fsm.ParseText(block)]
    assert [(r["DESTINATION"], r["NEXT_HOP"]) for r in rows] == [("0.0.0.0/0", "1.1.1.2")], rows


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
check("display ip routing-table verbose parses with ntc-templates", routing_verbose)
check("display ip routing-table ADDRESS verbose: the longest match", routing_for_address)
check("display acl all parses with ntc-templates", acl_all)
check("display interface brief parses with ntc-templates", interface_brief)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
