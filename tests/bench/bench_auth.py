#!/usr/bin/python3
"""bench_auth.py - bcrypt-protected upgrades in bulk, and what they do to another tunnel's echo.

Not a test: it prints figures and asserts nothing. For each bcrypt cost (--costs, default 10
and 5 for contrast) a fresh switchboardd gets a route with `auth.basic` (an htpasswd line made
by `htpasswd -B -C COST`) and a route without auth. A witness tunnel on the second route
echoes a 64-byte message (--witness-bytes) every 2 ms (--witness-interval) while --clients
processes (8) make --upgrades (10,000) upgrades between them, one at a time each, with curl's
`Authorization: Basic` on a raw socket.

Every upgrade must run bcrypt, not be answered from the daemon's verdict cache (keyed by a hash
of the credential), and should still be admitted: bcrypt reads only the first 72 bytes of a
password, so the htpasswd password is 72 bytes long and each upgrade sends it followed by a
suffix of its own. The daemon's metrics count the admissions (bcrypt checks admitted).

Prints, per cost: upgrades/s, the witness's round trip p50/p99/max, how many upgrades were
answered 503 (the check queue was full) and anything else but 101, and the daemon's CPU time
(user + system, split by thread name: sbd-worker-N are the loops, sbd-check-N the checks).
The witness's figures alone (--quiet-seconds before the load) tell what the machine's own
load does to them.

  tests/bench/bench_auth.py [--build DIR] [--upgrades N] [--clients N] [--costs 10,5]
                            [--cpus LIST] [--witness-bytes N] [--witness-interval S]
"""

import argparse
import collections
import multiprocessing
import os
import platform
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import authload  # noqa: E402
import harness as h  # noqa: E402
import test_metrics  # noqa: E402

USER = 'bench'
PASSWORD = 'b' * 72  # bcrypt's whole input: what follows it is not checked
TICK = os.sysconf('SC_CLK_TCK')


def threads_of(pid):
    """Per thread name (summed), of pid's threads: CPU seconds (user + system), seconds spent
    runnable but waiting for a CPU (schedstat's run delay), and the slices it ran in."""
    out = collections.defaultdict(lambda: [0.0, 0.0, 0])
    for tid in os.listdir('/proc/%d/task' % pid):
        try:
            with open('/proc/%d/task/%s/stat' % (pid, tid)) as f:
                stat = f.read()
            with open('/proc/%d/task/%s/schedstat' % (pid, tid)) as f:
                sched = f.read().split()
        except FileNotFoundError:
            continue
        name = stat[stat.index('(') + 1:stat.rindex(')')]
        fields = stat[stat.rindex(')') + 2:].split()
        t = out[name]
        t[0] += (int(fields[11]) + int(fields[12])) / TICK
        t[1] += int(sched[1]) / 1e9
        t[2] += int(sched[2])
    return out


def since(after, before):
    return {k: [a - b for a, b in zip(v, before.get(k, (0, 0, 0)))] for k, v in after.items()}


def client(port, first, count, results):
    statuses, errors = [], []
    authload.load(h.connect, port, '/basic', USER,
                  ('%s-%d' % (PASSWORD, i) for i in range(first, first + count)),
                  statuses, errors)
    results.put((collections.Counter(statuses), errors))


def run(ctx, cost, args):
    users = ctx.path('users-%d.htpasswd' % cost)
    with open(users, 'w') as f:
        f.write(authload.bcrypt_line(USER, PASSWORD, cost) + '\n')
    echo = ctx.backend(h.EchoBackend)
    port, mport = h.free_port(), h.free_port()
    # Limits far above the clients: a tunnel lasts until both of its directions end, and
    # the Python echo backend, loaded, closes its side late; at cost 5 a limit of 96
    # filled with such tunnels and turned most upgrades away with 503.
    d = ctx.daemon(h.policy([h.plain_listener('plain', port)], [
        h.route('basic', echo, path='/basic', auth={'basic': users}),
        h.route('witness', echo, path='/witness')], metrics='127.0.0.1:%d' % mport,
        limits={'max_connections': 10000, 'max_per_ip': 10000}),
        args=['--log-level', 'info'], name='cost-%d' % cost, start=False)
    if args.cpus:
        d.launcher = ['taskset', '-c', args.cpus]
    d.start()
    witness = ctx.tunnel(port, '/witness')
    payload = bytes(i % 256 for i in range(args.witness_bytes))
    witness.sendall(payload)
    h.check_eq(witness.recv_exact(len(payload)), payload, 'witness echo before the load')

    deadline = time.monotonic() + args.quiet_seconds
    quiet = sorted(authload.witness_rtts(witness, payload, lambda: time.monotonic() < deadline,
                                         args.witness_interval, limit=100000000))

    mp = multiprocessing.get_context('fork')
    results = mp.Queue()
    per = [args.upgrades // args.clients + (i < args.upgrades % args.clients)
           for i in range(args.clients)]
    procs = [mp.Process(target=client, args=(port, sum(per[:i]), per[i], results), daemon=True)
             for i in range(args.clients)]
    before, witness_before = threads_of(d.proc.pid), threads_of(os.getpid())
    start = time.monotonic()
    for p in procs:
        p.start()
    rtts = authload.witness_rtts(witness, payload, lambda: any(p.is_alive() for p in procs),
                                 args.witness_interval, limit=100000000)
    wall = time.monotonic() - start
    daemon = since(threads_of(d.proc.pid), before)
    own = since(threads_of(os.getpid()), witness_before)
    statuses, errors = collections.Counter(), []
    for _ in procs:
        got, errs = results.get(timeout=60)
        statuses.update(got)
        errors += errs
    for p in procs:
        p.join(10)
    metrics = test_metrics.scrape(mport)
    witness.close()
    d.stop(30)

    rtts.sort()
    answered = sum(statuses.values())
    admitted = metrics.get('switchboard_auth_total{method="basic",result="admitted"}', 0)
    others = {s: n for s, n in statuses.items() if s not in (101, 503)}
    print('bcrypt cost %d: %d upgrades from %d clients in %.1f s: %.1f upgrades/s' % (
        cost, answered, args.clients, wall, answered / wall))
    print('  answers: 101 %d, 503 %d (check queue full: %d in the metrics), other %s' % (
        statuses[101], statuses[503], metrics.get('switchboard_auth_busy_total', 0),
        ', '.join('%d %d' % kv for kv in sorted(others.items())) or 'none'))
    print('  bcrypt checks admitted (metrics): %d' % admitted)
    for what, got in (('during the load', rtts), ('alone, %g s before it' % args.quiet_seconds,
                                                   quiet)):
        if got:
            print('  witness %s: %d round trips of %d bytes, p50 %.2f ms, p99 %.2f ms, '
                  'max %.2f ms' % (what, len(got), len(payload),
                                   authload.percentile(got, 0.5) * 1000,
                                   authload.percentile(got, 0.99) * 1000, got[-1] * 1000))
    cpu = sum(t[0] for t in daemon.values())
    print('  daemon CPU %.1f s (%.0f %% of one core): %s' % (cpu, 100 * cpu / wall, ', '.join(
        '%s %.1f s' % (k, v[0]) for k, v in sorted(daemon.items()) if v[0] > 0.005)))
    print('  waiting for a CPU while runnable (schedstat), mean per slice: %s' % ', '.join(
        '%s %.2f ms' % (k, 1000 * v[1] / v[2]) for k, v in sorted(daemon.items()) +
        [('the witness (this process)', own.get('python3', [0, 0, 1]))]
        if v[2] > 0))
    for e in errors:
        print('  client error: %s' % e)
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', help='the build dir with daemon/switchboardd (default: build)')
    ap.add_argument('--upgrades', type=int, default=10000, help='upgrades per cost')
    ap.add_argument('--clients', type=int, default=8, help='client processes, one upgrade '
                    'at a time each')
    ap.add_argument('--costs', default='10,5', help='bcrypt costs, one daemon each')
    ap.add_argument('--witness-bytes', type=int, default=64)
    ap.add_argument('--witness-interval', type=float, default=0.002, help='seconds')
    ap.add_argument('--cpus', help='pin the daemon to these CPUs (taskset -c LIST)')
    ap.add_argument('--quiet-seconds', type=float, default=10, help='the witness alone first, '
                    'for its figures without the load')
    args = ap.parse_args()
    if args.build:
        os.environ['SB_BUILD_ROOT'] = os.path.abspath(args.build)
    if args.upgrades < 1 or args.clients < 1 or args.witness_bytes < 1:
        sys.exit('bench_auth.py: --upgrades, --clients and --witness-bytes must be positive')

    print('switchboardd %s, %s, %d CPUs, Linux %s, load average %s' % (
        h.daemon_path(), platform.machine(), os.cpu_count(), platform.release(),
        ' '.join('%.1f' % x for x in os.getloadavg())))
    ctx = h.Context('bench-auth')
    try:
        for cost in (int(c) for c in args.costs.split(',')):
            run(ctx, cost, args)
    except h.Skip as e:
        sys.exit('bench_auth.py: %s' % e)
    finally:
        problems = ctx.teardown()
        ctx.remove_tmp(keep=bool(problems))
        for p in problems:
            print('problem: %s' % p, file=sys.stderr)
    print('load average after: %s' % ' '.join('%.1f' % x for x in os.getloadavg()))


main()
