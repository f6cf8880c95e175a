#!/usr/bin/python3
"""Tunnel benchmarks for switchboardd; run through bench.sh, which builds bench-client.

Prints figures, asserts nothing: echo throughput through one tunnel (plain and
TLS, several runs, with the backend reached directly as a baseline), and the
daemon's resident memory per idle upgraded tunnel.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'integration'))
import harness as h  # noqa: E402


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError('no VmRSS for pid %d' % pid)


def settle_rss(pid, seconds=1.0):
    """RSS after the daemon has been left alone for a moment."""
    time.sleep(seconds)
    return rss_kib(pid)


def echo_mbps(client, port, tls, nbytes, raw=False):
    argv = [client, '--port', str(port), '--bytes', str(nbytes)] + (['--raw'] if raw else [])
    if tls:
        argv += ['--tls', '--sni', 'localhost']
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError('%s: %s' % (' '.join(argv), r.stderr.strip()))
    # "tls echo N bytes in S s: X MB/s each way"
    return float(r.stdout.split(':')[-1].split()[0])


def throughput(client, label, port, tls, nbytes, runs, raw=False):
    figures = [echo_mbps(client, port, tls, nbytes, raw) for _ in range(runs)]
    print('  %-30s best %7.1f MB/s   median %7.1f MB/s   (runs: %s)' % (label, max(figures),
        statistics.median(figures), ', '.join('%.0f' % f for f in figures)))


def idle_memory(client, daemon_pid, port, tls, count):
    before = settle_rss(daemon_pid)
    argv = [client, '--port', str(port), '--idle', str(count)]
    if tls:
        argv += ['--tls', '--sni', 'localhost']
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line.startswith('ready'):
            raise RuntimeError('bench-client --idle: %r' % line)
        opened = time.monotonic() - start
        during = settle_rss(daemon_pid)
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    after = settle_rss(daemon_pid, 2.0)
    print('  %-30s %6.1f KiB per tunnel   (RSS %d -> %d KiB with them open, %d KiB after '
        'they closed; opened in %.1f s)' % ('%s x %d' % ('TLS' if tls else 'plain', count),
        (during - before) / count, before, during, after, opened))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--bytes', type=int, default=64 << 20, help='bytes echoed per run')
    ap.add_argument('--runs', type=int, default=5, help='runs per throughput figure')
    ap.add_argument('--tunnels', type=int, default=1000, help='idle tunnels for the memory figure')
    args = ap.parse_args()
    client = os.environ.get('BENCH_CLIENT')
    if not client or not os.access(client, os.X_OK):
        sys.exit('bench.py: set BENCH_CLIENT (bench.sh does)')

    ctx = h.Context('bench')
    try:
        echo_port = h.free_port()
        echo = h.Process([client, '--echo-server', str(echo_port)], ctx.path('echo.log'))
        ctx.on_cleanup(echo.stop)
        echo.wait_port(echo_port, 10)

        def start_daemon(name):
            tls_port, plain_port = h.free_port(), h.free_port()
            d = ctx.daemon(h.policy(
                [h.tls_listener('tls', tls_port, h.localhost_pair()),
                 h.plain_listener('plain', plain_port)],
                [h.route('echo', echo_port, path='/echo')],
                limits={'max_connections': max(10000, 4 * args.tunnels),
                    'max_per_ip': max(10000, 4 * args.tunnels)}),
                args=['--log-level', 'info'], name=name)
            return d, tls_port, plain_port

        print('switchboardd %s, %s, %d CPUs, Linux %s' % (h.daemon_path(), platform.machine(),
            os.cpu_count(), platform.release()))
        d, tls_port, plain_port = start_daemon('throughput')
        print('echo of %d MiB through one tunnel, client and backend on the same host:'
            % (args.bytes >> 20))
        throughput(client, 'backend directly (no daemon)', echo_port, False, args.bytes,
            args.runs, raw=True)
        throughput(client, 'plain tunnel', plain_port, False, args.bytes, args.runs)
        throughput(client, 'TLS tunnel', tls_port, True, args.bytes, args.runs)
        d.stop(30)

        print('daemon resident memory per idle upgraded tunnel (a fresh daemon each):')
        for tls in (True, False):
            d, tls_port, plain_port = start_daemon('memory-%s' % ('tls' if tls else 'plain'))
            idle_memory(client, d.proc.pid, tls_port if tls else plain_port, tls, args.tunnels)
            d.stop(30)
    finally:
        problems = ctx.teardown()
        ctx.remove_tmp(keep=bool(problems))
        for p in problems:
            print('problem: %s' % p, file=sys.stderr)


main()
