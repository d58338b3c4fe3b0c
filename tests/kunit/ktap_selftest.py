#!/usr/bin/env python3
"""Self-test of ktap.py: feeds it console logs of every kind of run (all
pass, failures, a crash mid-case, a hang, a lost suite, a failed insmod,
inconsistent KTAP) and checks its verdicts.  Prints
`TEST kunit/ktap_selftest/<name> PASS|FAIL` lines; exits 1 on any failure.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ktap  # noqa: E402

BOOT = """\
Linux version 6.1.192 (root@host) #1
KTAP version 1
1..0
Run /init as init process
lv-kunit: begin
labvisor_kunit: loading out-of-tree module taints kernel.
"""


def suite(name, num, cases, status='ok'):
    """cases: list of (name, 'ok'|'not ok'|'skip', [diagnostic lines])."""
    out = ['    KTAP version 1', f'    # Subtest: {name}', f'    1..{len(cases)}']
    p = f = s = 0
    for i, (c, st, diags) in enumerate(cases, 1):
        out.append(f'    # {c}: lv-kunit: running')
        out += diags
        if st == 'skip':
            out.append(f'    ok {i} {c} # SKIP no reason')
            s += 1
        else:
            out.append(f'    {st} {i} {c}')
            p += st == 'ok'
            f += st == 'not ok'
    out.append(f'# {name}: pass:{p} fail:{f} skip:{s} total:{len(cases)}')
    out.append(f'# Totals: pass:{p} fail:{f} skip:{s} total:{len(cases)}')
    out.append(f'{status} {num} {name}')
    return '\n'.join(out) + '\n'


END = 'lv-kunit: end insmod rc=0\nreboot: Restarting system\n'
A = suite('alpha', 1, [('a1', 'ok', []), ('a2', 'ok', [])])
B = suite('beta', 2, [('b1', 'ok', [])])
FAILED = ['    # b1: EXPECTATION FAILED at /tmp/x/mod/beta_test.c:12',
          '    Expected 1 == 2, but', '        1 == 1', '        2 == 2']
B_FAIL = suite('beta', 2, [('b1', 'not ok', FAILED)], 'not ok')
CRASH_B = """\
    KTAP version 1
    # Subtest: beta
    1..3
    # b1: lv-kunit: running
    ok 1 b1
    # b2: lv-kunit: running
BUG: unable to handle page fault for address: ffffc9000001d000
Oops: 0000 [#1]
Kernel panic - not syncing: Fatal exception
"""


def run(log, nsuites, qemu_rc=0):
    rep = ktap.Report()
    lines = [ktap.TS.sub('', l) for l in log.split('\n')]
    problems = ktap.parse(lines, nsuites, qemu_rc, rep)
    for p in problems:
        rep.fail('ktap', p)
    return rep


def has(rep, prefix):
    return any(l.startswith(prefix) for l in rep.lines)


CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


@check
def all_pass():
    r = run(BOOT + A + B + END, 2)
    return (r.passed, r.failed) == (3, 0) and \
        has(r, 'TEST kunit/alpha/a2 PASS') and has(r, 'TEST kunit/beta/b1 PASS')


@check
def timestamps_stripped():
    log = ''.join(f'[    1.{i:06d}] {l}\n'
                  for i, l in enumerate((BOOT + A + B + END).splitlines()))
    r = run(log, 2)
    return (r.passed, r.failed) == (3, 0)


@check
def failing_case():
    r = run(BOOT + A + B_FAIL + END, 2)
    return (r.passed, r.failed) == (2, 1) and \
        has(r, 'TEST kunit/beta/b1 FAIL beta_test.c:12: Expected 1 == 2')


@check
def crash_mid_case_names_it():
    r = run(BOOT + A + CRASH_B, 3)
    return r.passed == 3 and \
        has(r, 'TEST kunit/beta/b2 FAIL no result') and \
        has(r, 'TEST kunit/beta/#3 FAIL no result') and \
        has(r, 'TEST kunit/ktap FAIL log truncated') and \
        has(r, 'TEST kunit/ktap FAIL 1 suites reported, the module has 3')


@check
def hang_is_failure():
    r = run(BOOT + A + CRASH_B.split('BUG')[0], 2, qemu_rc=124)
    return has(r, 'TEST kunit/beta/b2 FAIL') and \
        has(r, 'TEST kunit/ktap FAIL qemu exited with status 124')


@check
def missing_suite():
    r = run(BOOT + A + END, 2)
    return r.passed == 2 and r.failed == 1 and \
        has(r, 'TEST kunit/ktap FAIL 1 suites reported, the module has 2')


@check
def insmod_failure():
    log = BOOT + 'labvisor_kunit: Unknown symbol lv_decode_mmio (err -2)\n' + \
        'lv-kunit: end insmod rc=1\n'
    r = run(log, 2)
    return r.passed == 0 and has(r, 'TEST kunit/ktap FAIL insmod of the test module failed') \
        and 'Unknown symbol' in '\n'.join(r.lines)


@check
def never_booted():
    r = run('Kernel panic - not syncing: VFS: Unable to mount root fs\n', 2)
    return r.passed == 0 and has(r, 'TEST kunit/ktap FAIL the VM never reached /init')


@check
def empty_log():
    r = run('', 1)
    return r.passed == 0 and r.failed >= 1


@check
def skip_is_failure():
    r = run(BOOT + suite('alpha', 1, [('a1', 'skip', [])]) + END, 1)
    return has(r, 'TEST kunit/alpha/a1 FAIL skipped')


@check
def kernel_warning_fails_case():
    s = suite('alpha', 1, [('a1', 'ok', ['WARNING: CPU: 0 PID: 26 at lib/foo.c:1 bar+0x1/0x2'])])
    r = run(BOOT + s + END, 1)
    return has(r, 'TEST kunit/alpha/a1 FAIL kernel trouble')


@check
def stats_disagree():
    bad = A.replace('# alpha: pass:2 fail:0', '# alpha: pass:1 fail:1')
    r = run(BOOT + bad + B + END, 2)
    return has(r, 'TEST kunit/ktap FAIL suite alpha: stats')


@check
def case_numbering():
    bad = A.replace('    ok 2 a2', '    ok 3 a2')
    r = run(BOOT + bad + B + END, 2)
    return has(r, 'TEST kunit/ktap FAIL alpha/a2: numbered 3')


@check
def suite_numbering():
    bad = B.replace('ok 2 beta', 'ok 1 beta')
    r = run(BOOT + A + bad + END, 2)
    return has(r, 'TEST kunit/ktap FAIL suite beta: numbered 1')


@check
def suite_ok_despite_failure():
    bad = B_FAIL.replace('not ok 2 beta', 'ok 2 beta')
    r = run(BOOT + A + bad + END, 2)
    return has(r, 'TEST kunit/ktap FAIL suite beta reported ok despite')


@check
def suite_init_failure():
    s = '    # failed to initialize (-12)\nnot ok 1 alpha\n'
    r = run(BOOT + s + END, 1)
    return has(r, 'TEST kunit/alpha/(suite) FAIL failed to initialize (-12)')


@check
def short_plan():
    bad = A.replace('    1..2', '    1..3')
    r = run(BOOT + bad + B + END, 2)
    return has(r, 'TEST kunit/alpha/#3 FAIL no result')


@check
def nothing_passed_is_not_success():
    r = run(BOOT + END, 0)
    return r.passed == 0


def main():
    failed = 0
    for fn in CHECKS:
        try:
            ok = fn()
            why = '' if ok else ' verdict differs from the expected one'
        except Exception as e:  # a crash of the parser is a failure too
            ok, why = False, f' {type(e).__name__}: {e}'
        print(f'TEST kunit/ktap_selftest/{fn.__name__} {"PASS" if ok else "FAIL" + why}')
        failed += not ok
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
