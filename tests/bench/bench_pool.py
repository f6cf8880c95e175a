#!/usr/bin/python3
"""Upgrades through a pool of 4 echo servers next to a single backend.

The same workload as upgrade_cost.py (`bench-client --load upgrades`: a new TLS
connection without resumption, the upgrade to /echo, 64 B echoed, the close; --conns
at once) against one daemon per configuration: a route whose backend is one address,
and a route whose backend is a pool of 4 `bench-client --echo-server` processes with
health checks on, once per balance mode. The configurations take turns run by run (the
order rotates); each figure is the median of --runs. The daemon's CPU time per upgrade
(its /proc/PID/stat over the upgrades its own counters saw) hardly moves with the
machine's load, upgrades/s does. Prints figures, asserts nothing.
"""

import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import bench_compare as bc  # noqa: E402
import upgrade_cost as uc  # noqa: E402

BALANCES = ('round_robin', 'least_connections', 'source_hash', 'first')
POOL_SIZE = 4


def pool_backend(ports, balance, interval_s):
    return {'servers': ['127.0.0.1:%d' % p for p in ports], 'balance': balance,
        'health': {'interval_s': interval_s, 'timeout_ms': 1000, 'rise': 2, 'fall': 3}}


def start_daemon(ctx, name, backend, args, prefix=None):
    """A daemon whose one route leads to backend; prefix: a command to run it under."""
    port = h.free_port()
    d = ctx.daemon(h.policy([h.tls_listener('tls', port, h.localhost_pair())],
        [h.route('echo', backend, path='/echo')],
        limits={'max_connections': 10000, 'max_per_ip': 10000}),
        args=['--log-level', 'info', '--threads', str(args.threads)],
        name='%s%d' % (name, len(ctx.daemons)), start=False)
    if prefix:
        d.argv = (lambda orig: lambda check=False: prefix + orig(check))(d.argv)
    d.start(timeout=120 if prefix else 10)
    return d, port


def callgrind(ctx, client, names, ports, args):
    """Instructions per upgrade (user space), each configuration under callgrind in turn."""
    print()
    print('Under callgrind, %.0f s each (2 connections at once):' % args.seconds)
    for name in names:
        print('%s:' % name, flush=True)
        uc.measure_callgrind(ctx, client, lambda prefix: start_daemon(ctx, name,
            backend_of(name, ports, args), args, prefix), args)


def backend_of(name, ports, args):
    return ports[0] if name == 'single' else pool_backend(ports, name, args.interval)


def wait_pool_up(ctx, d):
    ctl = ctx.control(d)
    h.wait_for(lambda: all(r['state'] == 'up' for r in ctl.call('backends.list')), 30,
        'every server of the pool up')


def one_run(ctx, client, d, port, args):
    """(upgrades/s as the client saw it, daemon CPU µs per upgrade: user, system; upgrades)."""
    ctl = ctx.control(d)
    uc.load(client, port, args.warmup, args.conns)
    n0, (u0, s0) = uc.upgraded(ctl), uc.cpu_split(d.proc.pid)
    fig = uc.load(client, port, args.seconds, args.conns)
    n1, (u1, s1) = uc.upgraded(ctl), uc.cpu_split(d.proc.pid)
    n = max(1, n1 - n0)
    us = 1e6 / os.sysconf('SC_CLK_TCK') / n
    return fig['per_s'], (u1 - u0) * us, (s1 - s0) * us, n


def spread(ctx, d, ports):
    """Upgrades each server of the pool took (backends.list totals), in the policy's order."""
    rows = {r['address']: r['total'] for r in ctx.control(d).call('backends.list')}
    return '/'.join(str(rows.get('127.0.0.1:%d' % p, '?')) for p in ports)


def ratio(a, b):
    return '%.3f' % (a / b) if b else '—'


def main():
    ap = uc.load_args(__doc__, 5)
    ap.add_argument('--runs', type=int, default=3, help='runs of each configuration')
    ap.add_argument('--warmup', type=float, default=1, help='load before each run')
    ap.add_argument('--interval', type=int, default=1, help='health check interval_s')
    ap.add_argument('--callgrind', action='store_true',
        help='then instructions per upgrade of each configuration under callgrind')
    ap.add_argument('--only', help='configurations (single and/or balance modes, comma-separated)')
    args = ap.parse_args()
    if args.build:
        os.environ['SB_BUILD_ROOT'] = os.path.abspath(args.build)
    names = ('single',) + BALANCES
    if args.only:
        names = tuple(n for n in names if n in args.only.split(','))
    ctx = h.Context('bench-pool')
    try:
        bc.raise_fd_limit()
        client = os.environ.get('BENCH_CLIENT') or bc.compile_client(ctx.tmp)
        ports = []
        for i in range(POOL_SIZE):
            p = h.free_port()
            ctx.process([client, '--echo-server', str(p)], 'echo%d' % i, port=p)
            ports.append(p)
        daemons = {}
        for name in names:
            daemons[name] = start_daemon(ctx, name, backend_of(name, ports, args), args)
            if name != 'single':
                wait_pool_up(ctx, daemons[name][0])
        load0 = os.getloadavg()[0]
        print('switchboardd %s: %d worker thread(s), %d connections at once, %.0f s a run, '
            'median of %d; the configurations take turns run by run'
            % (h.daemon_path(), args.threads, args.conns, args.seconds, args.runs))
        results = {n: [] for n in names}
        for run in range(args.runs):
            order = names[run % len(names):] + names[:run % len(names)]
            for name in order:
                d, port = daemons[name]
                per_s, user, system, n = one_run(ctx, client, d, port, args)
                results[name].append((per_s, user + system, user, system))
                print('  run %d %-17s %7.1f upgrades/s %7.1f us CPU per upgrade (user %.1f, '
                    'system %.1f; %d upgrades)' % (run + 1, name, per_s, user + system, user,
                    system, n), flush=True)
        load1 = os.getloadavg()[0]
        print()
        print('Load average %.1f at the start, %.1f at the end: the machine is shared, so '
            'upgrades/s moves with what else runs; CPU per upgrade carries the comparison.'
            % (load0, load1))
        print()
        print('| backend | upgrades/s | ratio | daemon CPU per upgrade (µs) | ratio '
            '| user / system (µs) | upgrades per server |')
        print('|---|---:|---:|---:|---:|---:|---|')
        base = None
        for name in names:
            rate, cpu, user, system = (statistics.median(r[i] for r in results[name])
                for i in range(4))
            if name == 'single':
                base = (rate, cpu)
            label = ('one server' if name == 'single'
                else 'pool of %d, %s' % (POOL_SIZE, name))
            print('| %s | %.0f | %s | %.0f | %s | %.0f / %.0f | %s |' % (label, rate,
                ratio(rate, base and base[0]), cpu, ratio(cpu, base and base[1]), user, system,
                '—' if name == 'single' else spread(ctx, daemons[name][0], ports)))
        if args.callgrind:
            for d, _ in daemons.values():
                d.stop(30)
            callgrind(ctx, client, names, ports, args)
    finally:
        bc.teardown(ctx)


if __name__ == '__main__':
    main()
