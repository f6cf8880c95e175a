#!/usr/bin/python3
"""bench_websocket.py - WebSocket-to-TCP throughput of switchboardd, next to its tunnel mode,
to websockify in front of the same backend, and to the backend reached directly.

Not a test: it prints a table of MB/s (10^6 bytes a second, payload only). One connection at a
time; the client sends 16 KiB binary messages. Three directions: up (client -> backend sink;
done when the sink's count, sent back, says every byte arrived), down (backend source ->
client) and echo (out and back; bytes counted once).

The client and the backends are ws-bench.c beside this file, compiled on the fly with GnuTLS:
python3-websockets tops out far below the daemon (its row in the table shows it), so it would
measure itself rather than the proxy. Client, proxy and backend share this machine's cores.

  tests/bench/bench_websocket.py [--build DIR] [--bytes N] [--websockify-bytes N] [--runs N]
"""

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_ROOT, 'tests', 'integration'))
import harness as h  # noqa: E402

MSG = 16384
ROLES = (('up', 'sink'), ('down', 'source'), ('echo', 'echo'))
CFLAGS = ['-std=c17', '-O2', '-Wall', '-Wextra', '-Werror', '-Wshadow', '-Wstrict-prototypes',
    '-Wmissing-prototypes']


def compile_client(out_dir):
    exe = os.path.join(out_dir, 'ws-bench')
    cc = os.environ.get('CC', 'cc')
    subprocess.run([cc] + CFLAGS + ['-o', exe, os.path.join(HERE, 'ws-bench.c'), '-lgnutls',
        '-lpthread'], check=True, timeout=120)
    return exe


class Procs:
    """Processes started by the bench, each in its own group; all ended by stop_all."""

    def __init__(self):
        self.procs = []

    def start(self, argv, ready=None, log=None):
        out = open(log, 'ab') if log else subprocess.DEVNULL
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE if ready
            else out, stderr=out, start_new_session=True)
        self.procs.append(p)
        if ready:
            line = p.stdout.readline().decode().strip()
            if line != ready:
                raise SystemExit('%s did not start: %r' % (argv[0], line))
        return p

    def stop(self, p):
        if p.poll() is None:
            os.killpg(p.pid, 15)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
                p.wait(10)

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p)


RUN_TIMEOUT = 120


class Stalled(Exception):
    """A run made no end within RUN_TIMEOUT seconds."""


def run_client(exe, port, path, kind, direction, total):
    try:
        r = subprocess.run([exe, 'run', str(port), path, kind, direction, str(total),
            str(MSG)], capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Stalled()
    if r.returncode != 0:
        raise RuntimeError('%s %s %s: %s' % (kind, path, direction, r.stderr.strip()))
    n, secs, _ = r.stdout.split()
    return int(n) / float(secs) / 1e6


def median_rate(runs, fn):
    """The median MB/s of the runs that finished, marked when some stalled."""
    rates, stalled = [], 0
    for _ in range(runs):
        try:
            rates.append(fn())
        except (Stalled, asyncio.TimeoutError):
            stalled += 1
        except RuntimeError as e:
            return 'error: %s' % str(e).splitlines()[0][:60]
    if not rates:
        return 'stalled'
    if stalled:
        return '%.0f (%d/%d stalled)' % (statistics.median(rates), stalled, runs)
    return statistics.median(rates)


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while h.refuses(port):
        if time.monotonic() > deadline:
            raise SystemExit('nothing listens on %d after %d s' % (port, timeout))
        time.sleep(0.05)


async def python_client_up(port, total):
    """python3-websockets sending 16 KiB messages to the sink; MB/s until the sink's count."""
    import websockets
    msg = bytes(range(256)) * (MSG // 256)
    total = total // MSG * MSG
    async with websockets.connect('ws://127.0.0.1:%d/sink' % port, max_size=None,
            ping_interval=None, compression=None) as ws:
        start = time.monotonic()

        async def send():
            for _ in range(total // MSG):
                await ws.send(msg)
        sender = asyncio.ensure_future(send())
        stream = b''  # the sink's 8-byte counts; trimmed by whole counts only
        while True:
            stream += await ws.recv()
            done = len(stream) // 8 * 8
            if done and int.from_bytes(stream[done - 8:done], 'big') >= total:
                break
            stream = stream[max(0, done - 8):]
        await sender
        return total / (time.monotonic() - start) / 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', default=os.path.join(SOURCE_ROOT, 'build'))
    ap.add_argument('--bytes', type=int, default=1 << 30, help='per run, switchboardd/direct')
    ap.add_argument('--websockify-bytes', type=int, default=256 << 20)
    ap.add_argument('--python-bytes', type=int, default=128 << 20)
    ap.add_argument('--runs', type=int, default=3)
    args = ap.parse_args()
    os.environ['SB_BUILD_ROOT'] = args.build
    if not os.access(h.daemon_path(), os.X_OK):
        raise SystemExit('no daemon at %s (--build)' % h.daemon_path())
    websockify = shutil.which('websockify')

    work = tempfile.mkdtemp(prefix='sb-bench-ws-')
    procs = Procs()
    ctx = h.Context('bench-websocket')
    try:
        exe = compile_client(work)
        pair = h.localhost_pair()
        backends = {}
        for direction, role in ROLES:
            port = h.free_port()
            procs.start([exe, 'serve', str(port), role, str(args.bytes)], ready='ready')
            backends[direction] = port
        # websockify runs get their own source, sized for them
        small_source = h.free_port()
        procs.start([exe, 'serve', str(small_source), 'source', str(args.websockify_bytes)],
            ready='ready')

        routes = []
        for direction, role in ROLES:
            routes.append(h.route('ws-' + role, backends[direction], path='/' + role,
                upgrade='websocket', mode='websocket'))
            routes.append(h.route('t-' + role, backends[direction], path='/' + role,
                upgrade='sb-bench', mode='tunnel'))
        tls_port, plain_port = h.free_port(), h.free_port()
        d = ctx.daemon(h.policy([h.tls_listener('tls', tls_port, pair),
            h.plain_listener('plain', plain_port)], routes), args=['--log-level', 'info'])

        columns = [('direct TCP', lambda dr: (backends[dr], '/', 'raw', args.bytes)),
            ('sb tunnel', lambda dr: (plain_port, '/' + dict(ROLES)[dr], 'tunnel', args.bytes)),
            ('sb ws', lambda dr: (plain_port, '/' + dict(ROLES)[dr], 'ws', args.bytes)),
            ('websockify ws', None),
            ('sb tunnel TLS', lambda dr: (tls_port, '/' + dict(ROLES)[dr], 'tunnel-tls',
                args.bytes)),
            ('sb wss', lambda dr: (tls_port, '/' + dict(ROLES)[dr], 'wss', args.bytes)),
            ('websockify wss', None)]
        table = {}
        for name, target in columns:
            for direction, role in ROLES:
                if target is None:
                    table[name, direction] = bench_websockify(procs, exe, websockify, pair,
                        name.endswith('wss'), direction, small_source if direction == 'down'
                        else backends[direction], args, work)
                    continue
                port, path, kind, total = target(direction)
                table[name, direction] = median_rate(args.runs, lambda: run_client(exe, port,
                    path, kind, direction, total))
                print('# %-15s %-5s %s' % (name, direction, fmt(table[name, direction])),
                    file=sys.stderr, flush=True)

        py_rate = median_rate(args.runs, lambda: asyncio.run(asyncio.wait_for(
            python_client_up(plain_port, args.python_bytes), RUN_TIMEOUT)))
        d.stop(30)
    finally:
        procs.stop_all()
        ctx.teardown()
        ctx.remove_tmp(keep=False)
        shutil.rmtree(work, ignore_errors=True)

    print_table(columns, table, args, py_rate, websockify)


def bench_websockify(procs, exe, websockify, pair, tls, direction, backend, args, work):
    if websockify is None:
        return 'not installed'
    port = h.free_port()
    argv = [websockify, '127.0.0.1:%d' % port, '127.0.0.1:%d' % backend]
    if tls:
        argv[1:1] = ['--cert', pair.cert, '--key', pair.key, '--ssl-only']
    p = procs.start(argv, log=os.path.join(work, 'websockify.log'))
    try:
        wait_port(port)
        path = '/' + dict(ROLES)[direction]
        rate = median_rate(args.runs, lambda: run_client(exe, port, path, 'wss' if tls
            else 'ws', direction, args.websockify_bytes))
    finally:
        procs.stop(p)
    print('# websockify %-4s %-5s %s' % ('wss' if tls else 'ws', direction, fmt(rate)),
        file=sys.stderr, flush=True)
    return rate


def fmt(v):
    return '%.0f' % v if isinstance(v, float) else v


def print_table(columns, table, args, py_rate, websockify):
    names = [n for n, _ in columns]
    width = max(len(x) for x in names + [fmt(v) for v in table.values()]) + 2
    print('WebSocket-to-TCP throughput, MB/s (median of %d runs; %d-byte messages; '
        '%d MiB a run, websockify %d MiB)' % (args.runs, MSG, args.bytes >> 20,
        args.websockify_bytes >> 20))
    print('%-6s' % 'dir' + ''.join('%*s' % (width, n) for n in names))
    for direction, _ in ROLES:
        print('%-6s' % direction + ''.join('%*s' % (width, fmt(table[n, direction]))
            for n in names))
    print('python3-websockets client, ws:// up through switchboardd: %s MB/s' % fmt(py_rate))
    print('"stalled": no end within %d s (the client waits for bytes the proxy kept)' %
        RUN_TIMEOUT)
    print('machine: %d CPUs; daemon %s; websockify %s' % (os.cpu_count(), h.daemon_path(),
        package_version('websockify') if websockify else 'not installed'))


def package_version(name):
    try:
        r = subprocess.run(['dpkg-query', '-W', '-f', '${Version}', name], capture_output=True,
            text=True, timeout=10)
    except OSError:
        return 'unknown'
    return r.stdout.strip() or 'unknown'


if __name__ == '__main__':
    main()
