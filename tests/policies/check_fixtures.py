#!/usr/bin/python3
"""Runs `switchboardd --check` on every policy fixture and prints TAP.

argv[1] is the path to switchboardd. Each fixture is checked from its own
folder, named by its basename, so FILE in `FILE: JSON.PATH: message` is
the basename. valid/*.json must exit 0; invalid/*.json must exit 1 and
print exactly the lines of the sibling .expected file.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def fixtures(kind):
    folder = os.path.join(HERE, kind)
    return folder, sorted(n for n in os.listdir(folder) if n.endswith('.json'))


def run(daemon, folder, name):
    proc = subprocess.run([daemon, '--check', '--policy', name], cwd=folder,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=30)
    return proc.returncode, proc.stdout.splitlines() + proc.stderr.splitlines()


def diagnose(lines, prefix='# '):
    return ''.join(prefix + line + '\n' for line in lines)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write('usage: check_fixtures.py PATH/TO/switchboardd\n')
        return 2
    daemon = os.path.abspath(sys.argv[1])
    valid_dir, valid = fixtures('valid')
    invalid_dir, invalid = fixtures('invalid')
    print('1..%d' % (len(valid) + len(invalid)))
    n = 0
    failed = 0
    for name in valid:
        n += 1
        code, lines = run(daemon, valid_dir, name)
        if code == 0:
            print('ok %d - valid/%s' % (n, name))
        else:
            failed += 1
            print('not ok %d - valid/%s: exit %d' % (n, name, code))
            sys.stdout.write(diagnose(lines))
    for name in invalid:
        n += 1
        expected_file = os.path.join(invalid_dir, name[:-len('.json')] + '.expected')
        try:
            with open(expected_file, encoding='utf-8') as f:
                expected = f.read().splitlines()
        except OSError as e:
            failed += 1
            print('not ok %d - invalid/%s: %s' % (n, name, e))
            continue
        code, lines = run(daemon, invalid_dir, name)
        if code == 1 and lines == expected:
            print('ok %d - invalid/%s' % (n, name))
            continue
        failed += 1
        print('not ok %d - invalid/%s: exit %d' % (n, name, code))
        sys.stdout.write(diagnose(expected, '# expected: '))
        sys.stdout.write(diagnose(lines, '# got:      '))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
