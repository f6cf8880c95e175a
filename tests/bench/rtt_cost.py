#!/usr/bin/python3
"""rtt_cost.py - what one round trip costs on each core: the server's, the client's, the echo's.

Not a test: it prints figures and asserts nothing about them.

The round-trip row of bench_table.py (64 B through --conns TLS tunnels, the server pinned
to CPU 0, the client and the echo backend to CPU 1) run again with the cost of each round
trip split by process: user and system CPU microseconds, and sleeps (voluntary context
switches, every thread) per round trip, for the server, the load client and the echo
backend, and how busy the load core was. Round trips are counted from the kernel's own
count of the bytes the echo backend received in the measured seconds (64 each), so the
figures do not lean on the client's report. Medians of --runs, the servers taking turns.

It answers the question the p99 alone cannot: when the load core is full, the client and
the echo are what sets the tail, and what a server makes them pay per round trip (a wake-up
of a server that had gone to sleep, say) shows here and nowhere else.

  tests/bench/rtt_cost.py [--build DIR] [--runs 3] [--seconds 5] [--warmup 2]
      [--conns 16] [--servers switchboardd,haproxy-64k,nginx-64k]
"""

import os
import statistics
import subprocess
import time

import bench_compare as bc
import bench_table as bt
import cpu_per_byte as cpb
from bench_compare import h

SIZE = 64
WHO = ('server', 'client', 'echo')


def tree_sleeps(root):
    """Voluntary context switches so far of every thread of root and its descendants."""
    n = 0
    for p in bc.tree_pids(root):
        for tid in os.listdir('/proc/%d/task' % p):
            with open('/proc/%d/task/%s/status' % (p, tid)) as f:
                for line in f:
                    if line.startswith('voluntary_ctxt_switches:'):
                        n += int(line.split()[1])
    return n


def sample(pids):
    return {k: bc.tree_cpu_split_s(p) + (tree_sleeps(p),) for k, p in pids.items()}


def rtt_run(client, server, echo_pid, args):
    """One run: (p50, p99, {who: (user us, system us, sleeps) per round trip}, load core %)."""
    argv = bt.client_argv(server, False) + ['--load', 'rtt', '--conns', str(args.tunnels),
        '--size', str(SIZE), '--seconds', str(args.seconds + 1), '--warmup', str(args.warmup)]
    proc = subprocess.Popen(bt.on_load_cpu([client] + argv), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    time.sleep(args.warmup)
    pids = {'server': server.pid, 'client': proc.pid, 'echo': echo_pid}
    a, n0, t0 = sample(pids), cpb.bytes_to_backends(args.backend_ports), time.monotonic()
    time.sleep(args.seconds)
    b, n1, t1 = sample(pids), cpb.bytes_to_backends(args.backend_ports), time.monotonic()
    out, err = proc.communicate(timeout=120)
    if proc.returncode != 0:
        raise RuntimeError('bench-client %s against %s: %s' % (' '.join(argv), server.label,
            err.strip()))
    fig = dict(kv.split('=') for kv in out.split()[1:])
    trips = (n1 - n0) / SIZE
    per = {k: tuple((b[k][i] - a[k][i]) * (1e6 if i < 2 else 1) / trips for i in range(3))
        for k in WHO}
    load = 100 * sum(b[k][i] - a[k][i] for k in ('client', 'echo') for i in (0, 1)) / (t1 - t0)
    return float(fig['p50_us']), float(fig['p99_us']), per, load, trips / (t1 - t0)


def main():
    ap = bt.comparison_parser(__doc__, 'switchboardd,haproxy-64k,nginx-64k')
    ap.add_argument('--conns', dest='tunnels', type=int, default=16, help='TLS tunnels at once')
    args = ap.parse_args()
    bt.comparison_setup(args, 'rtt_cost.py')

    ctx = h.Context('rtt-cost')
    runs = {}
    try:
        client = os.environ.get('BENCH_CLIENT') or bc.compile_client(ctx.tmp)
        cert = h.localhost_pair()
        echo_port, upgrade_port = h.free_port(), h.free_port()
        args.backend_ports = (echo_port, upgrade_port)
        echo = ctx.process(bt.on_load_cpu([client, '--echo-server', str(echo_port)]), 'echo',
            port=echo_port)
        ctx.process(bt.on_load_cpu([client, '--upgrade-echo-server', str(upgrade_port)]),
            'upgrade-echo', port=upgrade_port)
        servers = bt.start_servers(ctx, cert, echo_port, upgrade_port, args, 'rtt')
        for s in servers:
            s.check_suite()
        print('\n'.join(bc.versions()))
        print('TLS 1.3 %s; %d connections of %d B round trips; server on CPU %d, client and '
            'echo on CPU %d; load average %s' % (args.cipher, args.tunnels, SIZE, bt.PROXY_CPU,
            bt.LOAD_CPU, bc.load_average()), flush=True)
        for run in range(args.runs):
            for s in bc.rotated(servers, run):
                runs.setdefault(s.label, []).append(rtt_run(client, s, echo.proc.pid, args))
        for s in servers:
            s.stop()
    finally:
        bc.teardown(ctx)

    labels = args.servers
    print('\n(load average %s at the end)\n' % bc.load_average())
    print('| median of %d | %s |' % (args.runs, ' | '.join(labels)))
    print('|---|' + '---:|' * len(labels))

    def line(title, fn, fmt):
        print('| %s | %s |' % (title, ' | '.join(fmt % statistics.median(fn(r)
            for r in runs[lb]) for lb in labels)))
    line('round trips/s', lambda r: r[4], '%.0f')
    line('p50 (µs)', lambda r: r[0], '%.0f')
    line('p99 (µs)', lambda r: r[1], '%.0f')
    line('load core busy (%)', lambda r: r[3], '%.0f')
    for who in WHO:
        line('%s CPU per round trip, user (µs)' % who, lambda r: r[2][who][0], '%.2f')
        line('… system (µs)', lambda r: r[2][who][1], '%.2f')
        line('… sleeps per round trip', lambda r: r[2][who][2], '%.2f')
    line('client + echo CPU per round trip (µs)', lambda r: sum(r[2][w][i]
        for w in ('client', 'echo') for i in (0, 1)), '%.2f')


if __name__ == '__main__':
    main()
