#!/usr/bin/python3
"""The daemon's cost per upgrade: CPU time, system calls and instructions.

Each upgrade is a new TLS connection (no resumption), the upgrade to /echo, 64 B
echoed and the close (`bench-client --load upgrades`). The figures divide what the
daemon used (its own /proc/PID/stat, `strace -c -f`, callgrind) by the upgrades its
own counters saw, so other load on the machine changes the wall time, not them.
Prints figures, asserts nothing.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import bench_compare as bc  # noqa: E402


def cpu_split(pid):
    """(utime, stime) of every thread of pid, in clock ticks."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]), int(fields[12])


def cpu_ticks(pid):
    """utime + stime of every thread of pid, in clock ticks."""
    return sum(cpu_split(pid))


def upgraded(ctl):
    return ctl.call('status')['counters']['upgraded']


def load(client, port, seconds, conns):
    """bench-client --load upgrades against port; its figures ({'per_s': ...})."""
    r = subprocess.run([client, '--port', str(port), '--tls', '--sni', 'localhost', '--load',
        'upgrades', '--conns', str(conns), '--warmup', '0', '--seconds', str(seconds),
        '--size', '64'], capture_output=True, text=True, timeout=seconds + 120)
    if r.returncode != 0:
        raise RuntimeError('bench-client: %s' % r.stderr.strip())
    return {k: float(v) for k, v in (kv.split('=') for kv in r.stdout.split()[1:])}


def load_args(doc, seconds):
    """The options of an upgrade load: --build, --seconds, --conns, --threads."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument('--build', help='build dir (default: build/)')
    ap.add_argument('--seconds', type=float, default=seconds, help='load per measurement')
    ap.add_argument('--conns', type=int, default=4, help='connections at once')
    ap.add_argument('--threads', type=int, default=1, help="the daemon's worker threads")
    return ap


def measure_cpu(ctx, client, d, port, args):
    ctl = ctx.control(d)
    load(client, port, 2, args.conns)  # warm-up
    n0, t0 = upgraded(ctl), cpu_ticks(d.proc.pid)
    load(client, port, args.seconds, args.conns)
    n1, t1 = upgraded(ctl), cpu_ticks(d.proc.pid)
    hz = os.sysconf('SC_CLK_TCK')
    print('  cpu: %d upgrades, %.2f s daemon CPU, %.1f us per upgrade'
        % (n1 - n0, (t1 - t0) / hz, (t1 - t0) / hz * 1e6 / max(1, n1 - n0)))


def measure_syscalls(ctx, client, d, port, args):
    ctl = ctx.control(d)
    out = ctx.path('strace.txt')
    n0 = upgraded(ctl)
    st = subprocess.Popen(['strace', '-c', '-f', '-o', out, '-p', str(d.proc.pid)],
        stderr=subprocess.DEVNULL)
    try:
        h.wait_for(lambda: os.path.exists('/proc/%d/task' % st.pid) and
            any(l.startswith('TracerPid:\t%d' % st.pid) for l in open('/proc/%d/status'
            % d.proc.pid)), 10, 'strace attached')
        load(client, port, args.seconds, args.conns)
        n1 = upgraded(ctl)
    finally:
        st.send_signal(2)
        st.wait(timeout=30)
    n = max(1, n1 - n0)
    text = open(out).read()
    total = re.search(r'^-+.*\n\s*\S+\s+\S+\s+\S+\s+(\d+)\s+(\d+)?\s*total', text, re.M)
    rows = []
    for line in text.splitlines():
        m = re.match(r'\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$', line)
        if m and m.group(2) != 'total':
            rows.append((int(m.group(1)), m.group(2)))
    rows.sort(reverse=True)
    calls = sum(c for c, _ in rows)
    print('  syscalls: %d upgrades under strace, %.1f system calls per upgrade%s'
        % (n, calls / n, '' if total else ' (no total line)'))
    print('    ' + ', '.join('%s %.1f' % (name, c / n) for c, name in rows[:12]))


def measure_callgrind(ctx, client, port_of, args):
    """A daemon under callgrind: counters zeroed after a warm-up, dumped after the run."""
    if shutil.which('valgrind') is None or shutil.which('callgrind_control') is None:
        print('  callgrind: valgrind not installed')
        return
    out = ctx.path('callgrind.out')
    d, port = port_of(['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out + '.%p'])
    ctl = ctx.control(d)
    load(client, port, 2, 2)
    subprocess.run(['callgrind_control', '-z', str(d.proc.pid)], check=True,
        capture_output=True)
    n0 = upgraded(ctl)
    load(client, port, args.seconds, 2)
    n1 = upgraded(ctl)
    subprocess.run(['callgrind_control', '-d', str(d.proc.pid)], check=True,
        capture_output=True)
    dump = max(glob.glob(out + '.*'), key=os.path.getmtime)
    ir = 0
    for line in open(dump):
        if line.startswith('summary:') or line.startswith('totals:'):
            ir = max(ir, int(line.split()[1]))
    n = max(1, n1 - n0)
    print('  callgrind: %d upgrades, %.0f instructions per upgrade' % (n, ir / n))
    # By library: "1,234 (5.6%)  file:function [/path/lib.so]" lines, self cost.
    text = subprocess.run(['callgrind_annotate', '--inclusive=no', '--threshold=100', dump], capture_output=True,
        text=True).stdout
    by_obj = {}
    for line in text.splitlines():
        m = re.match(r'\s*([\d,]+)\s+(?:\([^)]*\)\s+)?\S.*\[(.+)\]\s*$', line)
        if m and int(m.group(1).replace(',', '')) < ir // 2:  # not the frames on the stack
            obj = os.path.basename(m.group(2)).split('.so')[0]
            by_obj[obj] = by_obj.get(obj, 0) + int(m.group(1).replace(',', ''))
    top = sorted(by_obj.items(), key=lambda kv: -kv[1])[:8]
    print('    ' + ', '.join('%s %.0f' % (k, v / n) for k, v in top))
    d.stop(60)


def main():
    ap = load_args(__doc__, 10)
    ap.add_argument('--what', default='cpu,syscalls',
        help='any of cpu, syscalls, callgrind (comma-separated)')
    args = ap.parse_args()
    if args.build:
        os.environ['SB_BUILD_ROOT'] = os.path.abspath(args.build)
    what = args.what.split(',')
    tmp = tempfile.mkdtemp(prefix='sb-upgrade-cost-')
    ctx = h.Context('upgrade-cost')
    try:
        client = os.environ.get('BENCH_CLIENT') or bc.compile_client(tmp)
        echo_port = h.free_port()
        echo = h.Process([client, '--echo-server', str(echo_port)], ctx.path('echo.log'))
        ctx.on_cleanup(echo.stop)
        echo.wait_port(echo_port, 10)

        def start(prefix=None):
            port = h.free_port()
            d = ctx.daemon(h.policy([h.tls_listener('tls', port, h.localhost_pair())],
                [h.route('echo', echo_port, path='/echo')],
                limits={'max_connections': 10000, 'max_per_ip': 10000}),
                args=['--log-level', 'info', '--threads', str(args.threads)],
                name='d%d' % len(os.listdir(ctx.path())), start=False)
            if prefix:
                d.argv = (lambda orig: lambda check=False: prefix + orig(check))(d.argv)
            d.start(timeout=120 if prefix else 10)
            return d, port

        print('switchboardd %s: %d worker thread(s), %d connections at once, %.0f s each'
            % (h.daemon_path(), args.threads, args.conns, args.seconds))
        if 'cpu' in what or 'syscalls' in what:
            d, port = start()
            if 'cpu' in what:
                measure_cpu(ctx, client, d, port, args)
            if 'syscalls' in what:
                measure_syscalls(ctx, client, d, port, args)
            d.stop(30)
        if 'callgrind' in what:
            measure_callgrind(ctx, client, start, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        bc.teardown(ctx)


if __name__ == '__main__':
    main()
