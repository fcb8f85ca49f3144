#!/usr/bin/python3
"""Every JSON vfw prints matches its schema (docs/schemas), and so does every example in docs/.

What is validated: the examples in docs/*.md (each ```json block names its schema in the comment
above it), and real output: packet-trace --json over every example configuration (with --reverse,
through tunnels and NAT), diagnose --json on the seed's pair and on each broken one, and the lab's
trace of the seed network in both directions. The schemas' enumerations are checked against the
tables in the source they come from, so that a stage or a drop reason added there fails here until
the schema has it.

usage: json_schema_test.py VFW SOURCE_DIR
"""
import json
import pathlib
import re
import subprocess
import sys

import jsonschema

vfw, source = sys.argv[1], pathlib.Path(sys.argv[2])
schemas_dir = source / "docs" / "schemas"
schemas = {p.name.removesuffix(".schema.json"): json.loads(p.read_text())
           for p in schemas_dir.glob("*.schema.json")}
store = {s["$id"]: s for s in schemas.values()}
failures = []
checked = 0


def validate(name, value, where):
    global checked
    schema = schemas[name]
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.path))
    checked += 1
    for e in errors[:3]:
        failures.append(f"{where}: {'/'.join(map(str, e.path))}: {e.message}")


def run(args):
    r = subprocess.run([vfw, *args], capture_output=True, text=True, timeout=120)
    return r.stdout


# The schemas say what the source's tables say.
vocabulary = (source / "pipeline" / "trace_vocabulary.hpp").read_text()
stage_block = vocabulary.split("enum class StageId")[0]
outcome_block = vocabulary.split("VFW_STEP_OUTCOMES(X)")[1].split("enum class Outcome")[0]
stages = re.findall(r'X\(\w+, "([a-z-]+)"\)', stage_block)
outcomes = re.findall(r'X\(\w+, "([a-z-]+)"\)', outcome_block)
drops = [d for d in re.findall(r'X\(\w+, "([a-z0-9-]+)",',
                               (source / "packet" / "drop_reason.hpp").read_text()) if d != "none"]
step = schemas["packet-trace"]["properties"]["steps"]["items"]["properties"]
if step["stage"]["enum"] != stages:
    failures.append(f"packet-trace schema stages {step['stage']['enum']} != the table's {stages}")
if step["result"]["enum"] != outcomes:
    failures.append(f"packet-trace schema results != the table's {outcomes}")
schema_drops = step["detail"]["properties"]["drop_reason"]["oneOf"][1]["enum"]
if schema_drops != drops:
    failures.append(f"packet-trace schema drop reasons != the table's {drops}")
kinds = [k for k in re.findall(r'X\(\w+, "([a-z-]+)"\)', vocabulary.split("VFW_MATCHED_KINDS(X)")[1]
                                                          .split("enum class MatchedKind")[0])
         if k != "none"]
schema_kinds = step["detail"]["properties"]["matched_object"]["oneOf"][1]["properties"]["kind"]["enum"]
if schema_kinds != kinds:
    failures.append(f"packet-trace schema matched kinds {schema_kinds} != the table's {kinds}")
lab_header = (source / "lab" / "lab.hpp").read_text()
outcomes_lab = re.findall(r'X\(\w+, "([a-z-]+)"\)',
                          lab_header.split("VFW_LEG_OUTCOMES(X)")[1].split("enum class LegOutcome")[0])
schema_outcomes = schemas["lab-trace"]["properties"]["legs"]["items"]["properties"]["outcome"]["enum"]
if schema_outcomes != outcomes_lab:
    failures.append(f"lab-trace schema outcomes {schema_outcomes} != the table's {outcomes_lab}")
# The docs' tables name every value, no more: a kind or an outcome added in the source fails here
# until the reader is told what it means.
def words_of_row(doc, row):
    for line in (source / "docs" / doc).read_text().splitlines():
        if line.startswith(f"| `{row}` |"):
            # The list is the cell's first clause: what follows the first ';' is prose.
            return re.findall(r"`([a-z-]+)`", line.split("|")[2].split(";")[0])
    failures.append(f"docs/{doc} has no row for {row}")
    return []
if words_of_row("packet-trace.md", "detail.matched_object.kind") != kinds:
    failures.append(f"docs/packet-trace.md's matched_object.kind row does not list exactly {kinds}")
if words_of_row("lab.md", "outcome") != outcomes_lab:
    failures.append(f"docs/lab.md's outcome row does not list exactly {outcomes_lab}")
# docs/packet-trace.md's table of drop reasons: a row for each, in the table's order.
rows = [m.group(1) for m in re.finditer(r"^\| `([a-z0-9-]+)` \|",
                                         (source / "docs" / "packet-trace.md").read_text(), re.M)]
# The table starts at the first reason (the rows above it are other tables').
documented_drops = rows[rows.index(drops[0]):] if drops[0] in rows else []
if documented_drops != drops:
    failures.append(f"docs/packet-trace.md's drop reasons {documented_drops} != the table's {drops}")
for name, constant, header in [("packet-trace", "kTraceJsonVersion", "pipeline/trace.hpp"),
                               ("lab-trace", "kTraceJsonVersion", "pipeline/trace.hpp"),
                               ("diagnose", "kDiagnosisJsonVersion", "diagnose/diagnosis.hpp")]:
    version = int(re.search(constant + r" = (\d+);", (source / header).read_text()).group(1))
    if schemas[name]["properties"]["version"]["const"] != version or \
            not schemas[name]["$id"].endswith(f"/{version}"):
        failures.append(f"{name} schema is not version {version} ({constant} in {header})")
if [line.split()[1] for line in run(["stages"]).splitlines() if line.strip()] != stages:
    failures.append("vfw stages does not print the table's stages in order")

# The examples in docs/.
for doc in sorted((source / "docs").glob("*.md")):
    text = doc.read_text()
    for m in re.finditer(r"(?:<!-- schema: ([a-z-]+) -->\n)?```json\n(.*?)```", text, re.S):
        where = f"{doc.relative_to(source)}:{text[:m.start()].count(chr(10)) + 1}"
        if m.group(1) is None:
            failures.append(f"{where}: a JSON example without <!-- schema: NAME --> above it")
            continue
        try:
            value = json.loads(m.group(2))
        except json.JSONDecodeError as e:
            failures.append(f"{where}: not JSON: {e}")
            continue
        validate(m.group(1), value, where)

# Real output: every example configuration, a packet from each interface's subnet.
examples = source / "examples"
flows = [("fw1.cfg", "GigabitEthernet0/0/1", "icmp", "10.1.1.2", "10.2.1.2", []),
         ("fw1.cfg", "GigabitEthernet0/0/1", "tcp", "10.1.1.2", "8.8.8.8", ["--destination-port", "80"]),
         ("fw1-misordered-nat.cfg", "GigabitEthernet0/0/1", "icmp", "10.1.1.2", "10.2.1.2", []),
         ("nat-lab.cfg", "GigabitEthernet0/0/1", "tcp", "10.1.1.10", "8.8.8.8",
          ["--destination-port", "443"]),
         ("nat-lab.cfg", "GigabitEthernet0/0/2", "tcp", "8.8.8.8", "1.1.1.1",
          ["--destination-port", "8080"]),
         ("ipsec-manual-fw1.cfg", "GigabitEthernet0/0/1", "icmp", "10.1.1.2", "10.2.1.2", []),
         ("fw3.cfg", "GigabitEthernet0/0/2", "udp", "9.9.9.9", "2.1.1.1", ["--destination-port", "500"])]
for cfg, ifname, proto, src, dst, extra in flows:
    out = run(["packet-trace", "--config", str(examples / cfg), "--input", ifname, "--protocol",
               proto, "--source", src, "--destination", dst, "--json", "--reverse", "--repeat", "2",
               *extra])
    lines = [line for line in out.splitlines() if line.strip()]
    if not lines:
        failures.append(f"packet-trace on {cfg} printed nothing")
    for n, line in enumerate(lines, 1):
        validate("packet-trace", json.loads(line), f"packet-trace {cfg} {proto} {dst} line {n}")

# diagnose: the seed's pair, each side alone, and the misordered NAT.
for local, peer in [("fw1.cfg", "fw3.cfg"), ("fw1.cfg", None), ("fw1-misordered-nat.cfg", "fw3.cfg")]:
    args = ["diagnose", "--config", str(examples / local), "--from", "10.1.1.2", "--to", "10.2.1.2",
            "--json"]
    if peer:
        args += ["--peer", str(examples / peer)]
    out = run(args)
    validate("diagnose", json.loads(out), f"diagnose {local} {peer}")

# The lab's trace across the seed network, both ways (the first packet is held for IKE).
out = run(["lab", "seed", "-c", "lab trace pc1 10.2.1.2 json", "-c", "lab trace pc2 10.1.1.2 json"])
traces = [line for line in out.splitlines() if line.startswith('{"version":2,"legs"')]
if len(traces) != 2:
    failures.append(f"lab trace printed {len(traces)} JSON lines, 2 expected:\n{out[:2000]}")
for n, line in enumerate(traces, 1):
    validate("lab-trace", json.loads(line), f"lab trace {n}")

# A capture of the lab's seed network replayed through FW1: one object per packet.
import tempfile
with tempfile.TemporaryDirectory() as tmp:
    capture = pathlib.Path(tmp) / "carrier.pcap"
    run(["lab", "seed", "-c", f"lab capture fw1:GigabitEthernet0/0/1 {capture}",
         "-c", "lab ping pc1 10.2.1.2 count 3", "-c", "lab capture fw1:GigabitEthernet0/0/1 stop"])
    out = run(["packet-trace", "--config", str(examples / "fw1.cfg"), "--replay", str(capture),
               "--input", "GigabitEthernet0/0/1", "--json"])
    lines = [line for line in out.splitlines() if line.strip()]
    if len(lines) < 3:
        failures.append(f"packet-trace --replay --json printed {len(lines)} lines:\n{out[:2000]}")
    for n, line in enumerate(lines, 1):
        validate("packet-trace", json.loads(line), f"packet-trace --replay line {n}")

for f in failures:
    print("FAILED:", f)
print(f"{checked} documents validated against {len(schemas)} schemas")
print("1 passed, 0 failed" if not failures else "0 passed, 1 failed")
sys.exit(1 if failures else 0)
