#!/usr/bin/env python3
"""Strict reader of the KTAP that KUnit (Linux 6.1) prints when a test module
is loaded, as captured from the serial console of the test VM.

    ktap.py --suites N [--qemu-rc RC] CONSOLE_LOG

The VM's /init prints `lv-kunit: begin` before it insmods the module and
`lv-kunit: end insmod rc=RC` after.  Between the two, KUnit prints, per suite:

        KTAP version 1
        # Subtest: SUITE
        1..M
        # CASE: ...                 diagnostics of the case about to report
        ok|not ok K CASE [# SKIP why]
            (parameterised cases nest one level deeper first)
    # SUITE: pass:P fail:F skip:S total:M
    # Totals: ...
    ok|not ok S SUITE

Prints `TEST kunit/<suite>/<case> PASS` or `... FAIL <why>` for every case,
then `kunit: N passed, N failed`; exits 1 unless every case passed AND the log
is complete and consistent: N suites (the module's .kunit_test_suites count),
every suite's plan fulfilled in order, stats lines agreeing, the end marker
present with insmod rc=0.  Anything else (a crash, a hang, a truncated log, a
kernel WARNING/BUG/Oops during a case, a skipped case) is a failure.
"""

import argparse
import re
import sys

TS = re.compile(r'^\[\s*\d+\.\d+\]\s?')
BEGIN = 'lv-kunit: begin'
END = re.compile(r'^lv-kunit: end insmod rc=(\d+)$')
SUBTEST = re.compile(r'^    # Subtest: (\S+)$')
PLAN = re.compile(r'^    1\.\.(\d+)$')
CASE = re.compile(r'^    (ok|not ok) (\d+) (\S+)(?: # SKIP ?(.*))?$')
PARAM_SUBTEST = re.compile(r'^        # Subtest: (\S+)$')
PARAM = re.compile(r'^        (ok|not ok) (\d+) (.*?)(?: # SKIP ?(.*))?$')
RUNNING = re.compile(r'^    # (\S+): lv-kunit: running$')
INIT_FAIL = re.compile(r'^    # failed to initialize \((-?\d+)\)$')
STATS = re.compile(r'^# (?!Totals:)(\S+): pass:(\d+) fail:(\d+) skip:(\d+) total:(\d+)$')
TOTALS = re.compile(r'^# Totals: ')
SUITE_END = re.compile(r'^(ok|not ok) (\d+) (\S+)(?: # SKIP ?(.*))?$')
KERNEL_TROUBLE = re.compile(
    r'(WARNING: |BUG: |Oops|Kernel panic|general protection fault|'
    r'kernel BUG at|Call Trace:|UBSAN:|KASAN:)')


class Report:
    def __init__(self):
        self.lines = []
        self.passed = 0
        self.failed = 0

    def ok(self, name):
        self.lines.append(f'TEST kunit/{name} PASS')
        self.passed += 1

    def fail(self, name, why):
        why = ' '.join(why.split())
        if len(why) > 600:
            why = why[:600] + '...'
        self.lines.append(f'TEST kunit/{name} FAIL {why}')
        self.failed += 1


FAILED_AT = re.compile(r'^# \S+: (EXPECTATION|ASSERTION) FAILED at (\S+)$')


def diag_summary(diags):
    """The useful part of a case's diagnostics, on one line: the first two
    failed expectations (file:line and KUnit's explanation), and how many
    more there were."""
    lines = [d.strip() for d in diags if not RUNNING.match(d)]
    lines = [l for l in lines if l and l != 'KTAP version 1' and
             not re.fullmatch(r'[=-]{8,}', l)]
    blocks, cur = [], None
    for l in lines:
        m = FAILED_AT.match(l)
        if m:
            cur = [m.group(2).rsplit('/', 1)[-1] + ':']
            blocks.append(cur)
        elif cur is not None:
            cur.append(re.sub(r'^# \S+: ', '', l))
        else:
            blocks.append([l.lstrip('#').strip()])
    if not blocks:
        return ''
    out = '; '.join(' '.join(b) for b in blocks[:2])
    failed = sum(1 for l in lines if FAILED_AT.match(l))
    if failed > 2:
        out += f' (+{failed - 2} more failed expectations)'
    return out


def parse(lines, nsuites, qemu_rc, rep):
    """Returns a list of structural problems (empty if the log is whole)."""
    problems = []
    try:
        start = lines.index(BEGIN)
    except ValueError:
        problems.append('the VM never reached /init (no "lv-kunit: begin" '
                        'on the console)')
        return problems
    body = lines[start + 1:]

    suite = None          # dict while a suite is open
    suite_index = 0       # number of suites closed
    diags = []            # lines since the last case result
    end_rc = None

    def close_suite_truncated(why):
        # Report every case of an open suite that has no result.
        s = suite
        plan = s['plan']
        got = s['next'] - 1
        if plan is None:
            rep.fail(f"{s['name']}/(plan)", why)
            return
        for k in range(got + 1, plan + 1):
            name = s['running'] if k == got + 1 and s['running'] else f'#{k}'
            extra = ''
            if k == got + 1:
                d = diag_summary(diags)
                extra = f' [last output: {d}]' if d else ''
            rep.fail(f"{s['name']}/{name}",
                     f'no result: {why} (case {k} of {plan}){extra}')

    for line in body:
        m = END.match(line)
        if m:
            end_rc = int(m.group(1))
            break
        m = SUBTEST.match(line)
        if m:
            if suite is not None:
                problems.append(f"suite {suite['name']} has no result line "
                                f"before suite {m.group(1)} starts")
                close_suite_truncated('suite never finished')
            suite = {'name': m.group(1), 'plan': None, 'next': 1,
                     'running': None, 'k_ok': 0, 'k_fail': 0,
                     'k_skip': 0}
            diags = []
            continue
        if suite is not None and suite['plan'] is None:
            m = PLAN.match(line)
            if m:
                suite['plan'] = int(m.group(1))
                if suite['plan'] == 0:
                    problems.append(f"suite {suite['name']} has no cases")
                continue
        m = RUNNING.match(line)
        if m and suite is not None:
            suite['running'] = m.group(1)
            diags = [line]
            continue
        m = CASE.match(line)
        if m and suite is not None and suite['plan'] is not None:
            status, num, name, skip = m.group(1), int(m.group(2)), m.group(3), m.group(4)
            full = f"{suite['name']}/{name}"
            if num != suite['next']:
                problems.append(f'{full}: numbered {num}, expected '
                                f"{suite['next']}")
            if num > suite['plan']:
                problems.append(f"{full}: number {num} beyond the plan "
                                f"1..{suite['plan']}")
            if suite['running'] is not None and suite['running'] != name:
                problems.append(f"{full}: result follows the start of "
                                f"{suite['running']}")
            trouble = [d for d in diags if KERNEL_TROUBLE.search(d)]
            bad_params = [d for d in diags if PARAM.match(d) and
                          PARAM.match(d).group(1) == 'not ok']
            if skip is not None:
                suite['k_skip'] += 1
            elif status == 'ok':
                suite['k_ok'] += 1
            else:
                suite['k_fail'] += 1
            if skip is not None:
                rep.fail(full, f'skipped: {skip}')
            elif status == 'not ok':
                why = diag_summary(diags) or 'not ok'
                if bad_params:
                    why = ('failing params: ' + ', '.join(
                        PARAM.match(d).group(3) for d in bad_params) +
                        '; ' + why)
                rep.fail(full, why)
            elif trouble:
                rep.fail(full, 'kernel trouble during the case: ' +
                         '; '.join(t.strip() for t in trouble[:3]))
            else:
                rep.ok(full)
            suite['next'] = num + 1
            suite['running'] = None
            diags = []
            continue
        m = STATS.match(line)
        if m and suite is not None:
            name, p, f, sk, t = m.group(1), *map(int, m.groups()[1:])
            if name != suite['name']:
                problems.append(f"stats line for {name} inside suite "
                                f"{suite['name']}")
            if (p, f, sk, t) != (suite['k_ok'], suite['k_fail'],
                                 suite['k_skip'], suite['plan']):
                problems.append(
                    f"suite {suite['name']}: stats pass:{p} fail:{f} "
                    f"skip:{sk} total:{t} disagree with the results read "
                    f"(ok:{suite['k_ok']} not ok:{suite['k_fail']} "
                    f"skip:{suite['k_skip']} plan:{suite['plan']})")
            continue
        if TOTALS.match(line):
            continue
        m = INIT_FAIL.match(line)
        if m:
            diags.append(line)
            continue
        m = SUITE_END.match(line)
        if m:
            status, num, name = m.group(1), int(m.group(2)), m.group(3)
            expect = suite_index + 1
            if num != expect:
                problems.append(f'suite {name}: numbered {num}, expected {expect}')
            if suite is None:
                # A suite whose init failed prints only its result line.
                init = [d.strip().lstrip('# ') for d in diags if INIT_FAIL.match(d)]
                why = '; '.join(init) or diag_summary(diags) or \
                    'suite failed before its cases ran'
                rep.fail(f'{name}/(suite)', why)
            else:
                if suite['name'] != name:
                    problems.append(f"result line for suite {name} closes "
                                    f"suite {suite['name']}")
                if suite['plan'] is None or suite['next'] - 1 != suite['plan']:
                    close_suite_truncated('suite ended early')
                    problems.append(f"suite {suite['name']}: "
                                    f"{suite['next'] - 1} results for plan "
                                    f"1..{suite['plan']}")
                elif status == 'not ok' and suite['k_fail'] == 0:
                    rep.fail(f'{name}/(suite)', 'suite reported not ok '
                             'with no failing case: ' +
                             (diag_summary(diags) or 'no diagnostics'))
                elif status == 'ok' and suite['k_fail']:
                    problems.append(f'suite {name} reported ok despite '
                                    'failing cases')
            suite = None
            suite_index += 1
            diags = []
            continue
        diags.append(line)

    if suite is not None:
        close_suite_truncated('the kernel crashed, hung or the log was cut')
        problems.append(f"suite {suite['name']} never finished")
    if end_rc is None:
        trouble = [d.strip() for d in diags if KERNEL_TROUBLE.search(d)]
        problems.append('log truncated: no "lv-kunit: end" marker' +
                        (' (kernel: ' + '; '.join(trouble[:3]) + ')'
                         if trouble else ''))
    elif end_rc != 0:
        problems.append(f'insmod of the test module failed (rc={end_rc}): ' +
                        (diag_summary(diags) or 'no kernel message'))
    if suite_index != nsuites:
        problems.append(f'{suite_index} suites reported, the module has '
                        f'{nsuites}')
    if qemu_rc not in (None, 0):
        problems.append(f'qemu exited with status {qemu_rc}' +
                        (' (VM time limit)' if qemu_rc in (124, 137) else ''))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--suites', type=int, required=True,
                    help='number of suites the module registers')
    ap.add_argument('--qemu-rc', type=int, default=None)
    ap.add_argument('--no-summary', action='store_true',
                    help='leave out the closing "kunit: N passed, N failed"')
    ap.add_argument('log')
    a = ap.parse_args()
    with open(a.log, 'rb') as f:
        raw = f.read().decode('utf-8', 'replace')
    lines = [TS.sub('', l.rstrip('\r')) for l in raw.split('\n')]
    rep = Report()
    problems = parse(lines, a.suites, a.qemu_rc, rep)
    for l in rep.lines:
        print(l)
    for p in problems:
        rep.fail('ktap', p)
        print(rep.lines[-1])
    if not a.no_summary:
        print(f'kunit: {rep.passed} passed, {rep.failed} failed')
    return 0 if rep.failed == 0 and rep.passed > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
