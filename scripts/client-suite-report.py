"""The report of scripts/client-suite.sh: its pytest runs compared, side by side.

    client-suite-report.py RUN TESTS_DIR EXPECTED_FILE PROTOCOL...

Reads RUN/proxy-P.xml and RUN/direct-P.xml (JUnit XML) for each protocol P, prints passed, failed
and skipped per side, then each test whose outcome through the proxy is worse than directly
(failed, or skipped where it ran): "expected" with its reason when a line of EXPECTED_FILE
("REGEX :: reason", the regex searched in the test's id) matches it, else "UNEXPECTED". Exits 1
when there is an unexpected one.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

RANK = {"passed": 0, "skipped": 1, "failed": 2}


def test_id(tests_dir, classname, name):
    """pytest's node id (tests/test_x.py::TestClass::test_name) of a JUnit test case."""
    parts = classname.split(".")
    for i in range(len(parts), 0, -1):
        module = "/".join(parts[:i]) + ".py"
        if os.path.isfile(os.path.join(tests_dir, module)):
            return "::".join([module] + parts[i:] + [name])
    return classname + "::" + name


def outcomes(path, tests_dir):
    """test id -> passed | failed | skipped; a missing file (the run did not start) is empty."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"warning: no results in {path} ({e})")
        return {}
    result = {}
    for case in root.iter("testcase"):
        test = test_id(tests_dir, case.get("classname", ""), case.get("name", ""))
        if case.find("failure") is not None or case.find("error") is not None:
            result[test] = "failed"
        elif case.find("skipped") is not None:
            result[test] = "skipped"
        else:
            result[test] = "passed"
    return result


def counts(result):
    return [sum(1 for o in result.values() if o == k) for k in ("passed", "failed", "skipped")]


def main(run, tests_dir, expected_file, protocols):
    expected = []
    with open(expected_file) as f:
        for line in f:
            if " :: " in line:
                pattern, reason = line.split(" :: ", 1)
                expected.append((re.compile(pattern.strip()), reason.strip()))
    unexpected = 0
    print(f"{'':8}{'side':10}{'passed':>8}{'failed':>8}{'skipped':>9}")
    runs = {}
    for p in protocols:
        for side in ("proxy", "direct"):
            runs[p, side] = outcomes(f"{run}/{side}-{p}.xml", tests_dir)
            print(f"{'RESP' + p:8}{side:10}" + "".join(f"{n:>8} " for n in counts(runs[p, side])))
    for p in protocols:
        proxy, direct = runs[p, "proxy"], runs[p, "direct"]
        worse = sorted(t for t, o in proxy.items() if RANK[o] > RANK[direct.get(t, "failed")])
        better = sorted(t for t, o in direct.items() if RANK[o] > RANK[proxy.get(t, "failed")])
        print(f"\nRESP{p}: {len(worse)} worse through the proxy, {len(better)} worse directly")
        for test in worse:
            reasons = [reason for pattern, reason in expected if pattern.search(test)]
            if not reasons:
                unexpected += 1
            label = "expected  " if reasons else "UNEXPECTED"
            print(f"  {label} {proxy[test]:8} {test}" + (f"  ({reasons[0]})" if reasons else ""))
        for test in better:
            print(f"  direct    {direct[test]:8} {test}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
