#!/usr/bin/python3
"""Two worker threads, nothing pinned: does the load spread over both cores?

One daemon with `--threads 2` (the default on this 2-core machine), neither it nor the
load client nor the echo backend pinned to a CPU, runs issue 11's TLS tunnel echo with 16
connections, the same with the connections opened one at a time on an idle daemon before
any echoes (`bench-client --stagger`), and its upgrade row (32 at once: a new TLS
connection, the upgrade, 64 B echoed, the close). Over each measured run it reads every
worker thread's CPU time (/proc/PID/task/TID/stat, utime + stime) and, every 20 ms, the
CPU each worker last ran on. Prints figures, asserts nothing.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import bench_compare as bc  # noqa: E402

# name, title, bench-client --load, its options, its figure, the figure's unit, seconds before
# the warm-up starts (--stagger: the connections open one at a time, 100 ms apart, while the
# daemon is idle, and only then echo, all at once: WebSocket clients that come in one by one
# and get busy later)
ROWS = (
    ('tls16', 'TLS tunnel echo, 16 conns', 'echo', ['--conns', '16'], 'mbps', 'MB/s', 0),
    ('tls16-stagger', 'TLS tunnel echo, 16 conns opened one at a time', 'echo',
        ['--conns', '16', '--stagger', '100'], 'mbps', 'MB/s', 1.6),
    ('upgrades', 'upgrades/s, 32 concurrent', 'upgrades', ['--conns', '32', '--size', '64'],
        'per_s', 'upgrades/s', 0),
)


def workers(pid):
    """{thread name: tid} of the daemon's worker loops."""
    out = {}
    for tid in os.listdir('/proc/%d/task' % pid):
        with open('/proc/%d/task/%s/comm' % (pid, tid)) as f:
            name = f.read().strip()
        if name.startswith('sbd-worker-'):
            out[name] = int(tid)
    return out


def thread_stat(pid, tid):
    """(utime + stime in seconds, the CPU it last ran on) of one thread."""
    with open('/proc/%d/task/%d/stat' % (pid, tid)) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK'), int(fields[36])


def load(client, port, row, seconds, warmup):
    _, _, kind, extra, key, _, _ = row
    r = subprocess.run([client, '--port', str(port), '--tls', '--sni', 'localhost', '--load',
        kind, '--warmup', str(warmup), '--seconds', str(seconds)] + extra,
        capture_output=True, text=True, timeout=seconds + warmup + row[6] + 120)
    if r.returncode != 0:
        raise RuntimeError('bench-client: %s' % r.stderr.strip())
    figures = dict(kv.split('=') for kv in r.stdout.split()[1:])
    return float(figures[key])


def measure(client, d, port, row, args):
    """One run: the client's figure, and each worker's CPU seconds and CPU samples."""
    pid = d.proc.pid
    names = workers(pid)
    result = {}
    stop = threading.Event()
    samples = {name: [0, 0] for name in names}

    def sample():
        t_start = time.monotonic()
        while not stop.wait(0.02):
            if time.monotonic() - t_start < lead + args.warmup:
                continue
            for name, tid in names.items():
                try:
                    samples[name][thread_stat(pid, tid)[1] % 2] += 1
                except (FileNotFoundError, ProcessLookupError):
                    pass

    t = threading.Thread(target=sample)
    before = {}
    lead = row[6]

    def at_warmup_end():
        for name, tid in names.items():
            before[name] = thread_stat(pid, tid)[0]

    timer = threading.Timer(lead + args.warmup, at_warmup_end)
    t.start()
    timer.start()
    try:
        result['figure'] = load(client, port, row, args.seconds, args.warmup)
    finally:
        stop.set()
        t.join()
        timer.join()
    result['cpu'] = {name: thread_stat(pid, tid)[0] - before.get(name, 0)
        for name, tid in names.items()}
    result['samples'] = samples
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', help='build dir (default: build/)')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--seconds', type=float, default=5)
    ap.add_argument('--warmup', type=float, default=2)
    ap.add_argument('--threads', type=int, default=2, help="the daemon's worker threads")
    args = ap.parse_args()
    if args.build:
        os.environ['SB_BUILD_ROOT'] = os.path.abspath(args.build)
    bc.raise_fd_limit()
    ctx = h.Context('bench-spread')
    try:
        client = os.environ.get('BENCH_CLIENT') or bc.compile_client(ctx.tmp)
        echo_port = h.free_port()
        ctx.process([client, '--echo-server', str(echo_port)], 'echo', port=echo_port)
        print('%s; %d worker threads; nothing pinned; %d CPUs; load average %s'
            % (h.daemon_path(), args.threads, os.cpu_count(), bc.load_average()))
        print('medians of %d runs of %.0f s after %.0f s of warm-up\n'
            % (args.runs, args.seconds, args.warmup))
        print('| workload | figure | CPU s per worker | share of the busier | '
            'samples on CPU 0 / 1, per worker |')
        print('|---|---:|---|---:|---|')
        for row in ROWS:
            port = h.free_port()
            d = ctx.daemon(h.policy([h.tls_listener('tls', port, h.localhost_pair())],
                [h.route('echo', echo_port, path='/echo')],
                limits={'max_connections': 10000, 'max_per_ip': 10000}),
                args=['--threads', str(args.threads)], name=row[0])
            runs = [measure(client, d, port, row, args) for _ in range(args.runs)]
            d.stop(30)
            names = sorted(runs[0]['cpu'])
            cpu = {n: statistics.median(r['cpu'][n] for r in runs) for n in names}
            busier = max(cpu.values()) / max(1e-9, sum(cpu.values()))
            cpus = ', '.join('%s %s' % (n.replace('sbd-worker-', 'w'), '/'.join(
                '%d' % sum(r['samples'][n][c] for r in runs) for c in (0, 1))) for n in names)
            print('| %s (%s) | %.0f | %s | %.0f %% | %s |' % (row[1], row[5],
                statistics.median(r['figure'] for r in runs),
                ', '.join('%.2f' % cpu[n] for n in names), busier * 100, cpus))
        print('\n(load average %s at the end)' % bc.load_average())
    finally:
        bc.teardown(ctx)


if __name__ == '__main__':
    main()
