#!/usr/bin/python3
"""bench_table.py - issue 11's table in one command: switchboardd next to HAProxy and nginx.

Not a test: it prints figures and asserts nothing about them.

Fairness, the same for every server: one ECDSA P-256 certificate, TLS 1.3 with one suite
(--cipher, checked on every TLS port with a client that offers them all); HAProxy
(nbthread 1) and nginx (worker_processes 1) once with 64 KiB buffers, the size switchboardd
reads with (tune.bufsize, proxy_buffer_size), and once with their defaults; switchboardd
with --threads 1. The server under test is pinned to CPU 0 (taskset -a, every thread), the
load client and the backends to CPU 1. Each figure is the median of --runs runs, the
servers taking turns run by run (the order rotates); each run warms up for --warmup seconds,
then measures --seconds (the client's own figure covers one second more, so that it is still
running when its CPU is read). Per run the CPU each process used in the measured part is read
from /proc (server, backend, client; in % of one core), and throughput per server core is
the figure divided by the server's share of its core.

Rows (bench-client --load, one thread per connection):
- TLS tunnel echo through 1 and 16 connections (MB/s one way): switchboardd upgrades
  /echo (tunnel mode) first; HAProxy and nginx proxy TCP from the first byte (mode tcp,
  stream) to the same echo backend;
- WebSocket echo over TLS, 16 connections, 16 KiB messages: switchboardd in websocket
  mode in front of the TCP echo backend (it unmasks and frames); HAProxy and nginx in HTTP
  mode pass the upgrade to a backend that answers 101 and echoes the frames as they came;
- upgrades/s with 32 connections at once (a new TLS connection, the upgrade, 64 B echoed,
  close; no session resumption): HAProxy and nginx in HTTP mode, the same backend answers;
- round trip of 64 B through 16 TLS tunnels: p50 and p99;
- request -> 101 over TLS, one connection at a time, with Python's ssl (OpenSSL) as it
  comes: Nagle's algorithm on, and (second row, TCP_NODELAY set) its one X25519 key share
  (median and p99 from the end of the handshake, and the median from connect, in ms);
- resident memory per idle upgraded connection (KiB): tunnel and websocket mode, TLS and
  plain, and switchboardd's tls mode (RFC 2817: TLS starts after the 101 on a plain
  listener; HAProxy and nginx, which do not speak it, hold a TLS tunnel there), with
  --mem-counts held (each proxy holds two descriptors per connection, so the count is capped
  by the hard descriptor limit, which is raised first where this process may); fresh
  servers for every figure; VmRSS summed over the server's processes, with them open minus
  before, over their number. Then a few bytes go through every held connection and back:
  the connections that did not echo are counted (a row of its own).

  tests/bench/bench_table.py [--build DIR] [--runs 3] [--seconds 5] [--warmup 2]
      [--only tls1,tls16,ws16,upgrades,rtt,latency,memory] [--mem-counts 2000,10000]
      [--mem-runs 3] [--servers switchboardd,haproxy-64k,haproxy,nginx-64k,nginx]

Needs haproxy, nginx (nginx-light is enough) and libnginx-mod-stream, taskset, cc,
libgnutls28-dev and certtool.
"""

import argparse
import os
import platform
import resource
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import time

import bench_compare as bc
from bench_compare import h

# label -> (server, buffer bytes; 0 for its default)
SERVERS = {
    'switchboardd': ('switchboardd', 0),
    'haproxy-64k': ('haproxy', 65536),
    'haproxy': ('haproxy', 0),
    'nginx-64k': ('nginx', 65536),
    'nginx': ('nginx', 0),
}
SB = 'switchboardd'
PROXY_CPU, LOAD_CPU = 0, 1

# row -> (title, bench-client --load, extra client args, peers speak HTTP, TLS)
ROWS = {
    'tls1': ('TLS tunnel echo, 1 conn (MB/s)', 'echo', ['--conns', '1'], False),
    'tls16': ('TLS tunnel echo, 16 conns (MB/s)', 'echo', ['--conns', '16'], False),
    'ws16': ('WebSocket 16 KiB echo over TLS, 16 conns (MB/s)', 'echo',
        ['--conns', '16', '--ws', '--path', '/ws', '--size', '16384'], True),
    'upgrades': ('upgrades/s, 32 concurrent (TLS, upgrade, 64 B echo, close)', 'upgrades',
        ['--conns', '32', '--size', '64'], True),
    'rtt': ('round trip 64 B, 16 TLS conns (us)', 'rtt', ['--conns', '16', '--size', '64'],
        False),
}
# Python's ssl (OpenSSL) as it comes: Nagle on unless TCP_NODELAY is set, and one key share,
# X25519, with P-256 among the groups it would accept (a server preferring P-256 then asks
# again: a HelloRetryRequest).
LATENCY = (('nagle', 'request -> 101, Nagle on (ms)', False),
    ('x25519', 'request -> 101, X25519 key share, TCP_NODELAY (ms)', True))


def client_argv(server, http, tls=True):
    """How the client reaches server for a row: an upgrade (switchboardd, or a peer in HTTP
    mode), or TCP from the first byte (a peer in TCP mode)."""
    if server.name == SB or http:
        port = server.tls_port if server.name == SB else server.http_tls_port
        if not tls:
            port = server.plain_port if server.name == SB else server.http_plain_port
        a = ['--port', str(port)]
    else:
        a = ['--port', str(server.tls_port if tls else server.plain_port), '--raw']
    return a + (['--tls', '--sni', 'localhost'] if tls else [])


def on_load_cpu(argv):
    return ['taskset', '-c', str(LOAD_CPU)] + argv


def cpu_of(pids):
    return sum(bc.tree_cpu_s(p) for p in pids)


def measure(client, server, backends, argv, args):
    """Runs the client; returns its figures (a dict) and CPU % of server, backends, client
    over --seconds after the warm-up."""
    proc = subprocess.Popen(on_load_cpu([client] + argv), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    time.sleep(args.warmup)
    s0, b0, t0 = bc.tree_cpu_s(server.pid), cpu_of(backends), time.monotonic()
    c0 = bc.tree_cpu_s(proc.pid)
    time.sleep(args.seconds)
    s1, b1, t1 = bc.tree_cpu_s(server.pid), cpu_of(backends), time.monotonic()
    c1 = bc.tree_cpu_s(proc.pid)
    out, err = proc.communicate(timeout=120)
    if proc.returncode != 0:
        raise RuntimeError('bench-client %s against %s: %s' % (' '.join(argv), server.label,
            err.strip()))
    fig = dict(kv.split('=') for kv in out.split()[1:])
    wall = t1 - t0
    return ({k: float(v) for k, v in fig.items()},
        {'server': 100 * (s1 - s0) / wall, 'backend': 100 * (b1 - b0) / wall,
         'client': 100 * (c1 - c0) / wall})


def start_servers(ctx, cert, echo_port, upgrade_port, args, tag):
    servers = []
    for label in args.servers:
        name, buf = SERVERS[label]
        s = bc.Server(name, ctx, cert, echo_port, args, tag, upgrade_port=upgrade_port,
            buffer=buf, label=label)
        s.pin(PROXY_CPU)
        servers.append(s)
    return servers


def load_rows(client, ctx, cert, args, results):
    echo_port, upgrade_port = h.free_port(), h.free_port()
    echo = ctx.process(on_load_cpu([client, '--echo-server', str(echo_port)]), 'echo',
        port=echo_port)
    uecho = ctx.process(on_load_cpu([client, '--upgrade-echo-server', str(upgrade_port)]),
        'upgrade-echo', port=upgrade_port)
    backends = [echo.proc.pid, uecho.proc.pid]
    servers = start_servers(ctx, cert, echo_port, upgrade_port, args, 'load')
    for s in servers:
        s.check_suite()
        if s.http_tls_port != s.tls_port:
            s.check_suite(s.http_tls_port)
        print('  %-13s %d process(es), %d thread(s), pinned to CPU %d; TLSv1.3 %s checked'
            % (s.label, s.processes(), s.threads(), PROXY_CPU, args.cipher))
    rows = [r for r in ROWS if r in args.only]
    for run in range(args.runs):
        for s in bc.rotated(servers, run):
            for r in rows:
                title, load, extra, http = ROWS[r]
                # The client runs a second past the sampled part, so it is alive at both ends.
                argv = client_argv(s, http) + ['--load', load, '--seconds',
                    str(args.seconds + 1), '--warmup', str(args.warmup)] + extra
                results.setdefault((r, s.label), []).append(
                    measure(client, s, backends, argv, args))
            if 'latency' in args.only:
                for key, title, nodelay in LATENCY:
                    port = s.tls_port if s.name == SB else s.http_tls_port
                    argv = [sys.executable, os.path.abspath(__file__), '--latency-client',
                        '%d,%d,%d' % (port, nodelay, args.latency_conns)]
                    r = subprocess.run(on_load_cpu(argv), capture_output=True, text=True,
                        timeout=300)
                    if r.returncode != 0:
                        raise RuntimeError('latency against %s: %s' % (s.label, r.stderr))
                    fig = dict(kv.split('=') for kv in r.stdout.split()[1:])
                    results.setdefault((key, s.label), []).append(
                        ({k: float(v) for k, v in fig.items()}, {}))
        print('  run %d of %d done (load average %s)' % (run + 1, args.runs,
            bc.load_average()), flush=True)
    for s in servers:
        s.stop()


# RFC 2817 (switchboardd's tls mode): HAProxy and nginx do not speak it; their row shows their
# idle TLS tunnel (TLS ends at them, then bytes), the same work after the handshake.
MEM_MODES = (('tunnel', 'tls'), ('tunnel', 'plain'), ('websocket', 'tls'),
    ('websocket', 'plain'), ('rfc2817', 'tls'))


def memory_rows(client, ctx, cert, args, results):
    bc.raise_fd_limit(2 * max(args.mem_counts) + 1000)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    cap = (hard - bc.FD_MARGIN) // 2 if hard != resource.RLIM_INFINITY else max(args.mem_counts)
    counts = [min(c, cap) for c in args.mem_counts]
    if counts != args.mem_counts:
        print('  memory: at most %d held per proxy here (hard descriptor limit %d, two per '
            'connection, and no CAP_SYS_RESOURCE to raise it)' % (cap, hard))
    args.conns = max(counts)
    echo_port, upgrade_port = h.free_port(), h.free_port()
    ctx.process(on_load_cpu([client, '--echo-server', str(echo_port)]), 'echo-mem',
        port=echo_port)
    ctx.process(on_load_cpu([client, '--upgrade-echo-server', str(upgrade_port)]),
        'upgrade-echo-mem', port=upgrade_port)
    for run in range(args.mem_runs):
        for count in counts:
            for mode, t in MEM_MODES:
                tls = t == 'tls'
                servers = start_servers(ctx, cert, echo_port, upgrade_port, args,
                    'mem-%s-%s-%d-%d' % (mode, t, count, run))
                for s in bc.rotated(servers, run):
                    argv = client_argv(s, True, tls)
                    if mode == 'websocket':
                        argv += ['--ws', '--path', '/ws']
                    elif mode == 'rfc2817' and s.name == SB:
                        argv = ['--port', str(s.plain_port), '--starttls', '--sni', 'localhost']
                    port = echo_port if s.name == SB else upgrade_port
                    key = 'mem-%s-%s-%d' % (mode, t, count)
                    try:
                        per, before, lost = bc.idle_kib_per_conn(client, s, tls, count, port,
                            argv=argv, prefix=on_load_cpu([]))
                    except (RuntimeError, h.Fail) as e:
                        print('  %s, %s: no figure: %s' % (key, s.label, e), flush=True)
                        continue
                    results.setdefault((key, s.label), []).append(({'kib': per}, {}))
                    results.setdefault(('lost-%d' % count, s.label), []).append(
                        ({'lost': lost}, {}))
                for s in servers:
                    s.stop()
        print('  memory run %d of %d done' % (run + 1, args.mem_runs), flush=True)
    return counts


def med(results, key, label, field):
    v = [f[field] for f, _ in results.get((key, label), []) if field in f]
    return statistics.median(v) if v else None


def med_cpu(results, key, label, who):
    v = [c[who] for _, c in results.get((key, label), []) if who in c]
    return statistics.median(v) if v else None


def fmt(v, digits=0):
    return '—' if v is None else ('{:,.%df}' % digits).format(v)


def report(results, args, counts):
    labels = args.servers
    peers = [lb for lb in labels if lb != SB]
    print('\n### Every figure (median of %d runs; memory: %d)\n' % (args.runs, args.mem_runs))
    print('| workload | ' + ' | '.join(labels) + ' |')
    print('|---|' + '---:|' * len(labels))
    summary = []

    def line(title, key, field, digits=0, higher=True, per_core=False, cpu=False):
        vals = {lb: med(results, key, lb, field) for lb in labels}
        if all(v is None for v in vals.values()):
            return
        print('| %s | %s |' % (title, ' | '.join(fmt(vals[lb], digits) for lb in labels)))
        if cpu:
            cells = []
            for lb in labels:
                c = [med_cpu(results, key, lb, w) for w in ('server', 'backend', 'client')]
                cells.append('—' if c[0] is None else '%.0f / %.0f / %.0f' % tuple(c))
            print('| … CPU %% server / backend / client | %s |' % ' | '.join(cells))
        core = {}
        if per_core:
            for lb in labels:
                c = med_cpu(results, key, lb, 'server')
                core[lb] = vals[lb] / (c / 100) if vals[lb] is not None and c else None
            print('| … per server core | %s |' % ' | '.join(fmt(core[lb], digits)
                for lb in labels))
        pv = {lb: vals[lb] for lb in peers if vals[lb] is not None}
        if vals.get(SB) is None or not pv:
            return
        best = (max if higher else min)(pv, key=pv.get)
        ratio = vals[SB] / pv[best] if pv[best] else None
        core_ratio = None
        if per_core:
            pc = {lb: core[lb] for lb in peers if core.get(lb)}
            if pc and core.get(SB):
                core_ratio = core[SB] / max(pc.values())
        summary.append((title, fmt(vals[SB], digits), '%s (%s)' % (fmt(pv[best], digits), best),
            '%.2f×' % ratio if ratio else '—', '%.2f×' % core_ratio if core_ratio else '—'))

    for r, (title, load, _, _) in ROWS.items():
        if load == 'echo':
            line(title, r, 'mbps', per_core=True, cpu=True)
        elif load == 'upgrades':
            line(title, r, 'per_s', per_core=True, cpu=True)
        else:
            line(title.replace('(us)', 'p50 (µs)'), r, 'p50_us', 0, higher=False)
            line(title.replace('(us)', 'p99 (µs)'), r, 'p99_us', 0, higher=False, cpu=True)
    for key, title, _ in LATENCY:
        line(title + ', median', key, 'request_to_101_ms', 2, higher=False)
        line(title.replace('request', 'connect') + ', median', key, 'connect_to_101_ms', 2,
            higher=False)
        line(title + ', p99', key, 'request_to_101_p99_ms', 2, higher=False)
    for count in counts:
        for mode, t in MEM_MODES:
            what = 'TLS upgrade (RFC 2817)' if mode == 'rfc2817' else '%s %s' % (mode,
                'TLS' if t == 'tls' else t)
            line('memory per idle %s conn, %s held (KiB)' % (what, fmt(count)),
                'mem-%s-%s-%d' % (mode, t, count), 'kib', 1, higher=False)
    for count in counts:
        # Every held connection echoes a few bytes after the memory is read: the worst run.
        lost = {lb: max((f['lost'] for f, _ in results.get(('lost-%d' % count, lb), [])),
            default=None) for lb in labels}
        if any(v is not None for v in lost.values()):
            print('| %s held, then echoing: connections lost (of every mode, worst run) | %s |'
                % (fmt(count), ' | '.join(fmt(lost[lb]) for lb in labels)))
    print('\n### switchboardd next to the best peer\n')
    print('| workload | switchboardd | best peer | ratio | per proxy core |')
    print('|---|---:|---:|---:|---:|')
    for s in summary:
        print('| %s | %s | %s | %s | %s |' % s)


def latency_client(spec):
    """PORT,NODELAY,COUNT: connections one at a time with Python's ssl; prints the medians and
    p99 of connect -> 101 and of end of handshake -> 101 in ms."""
    port, nodelay, count = (int(x) for x in spec.split(','))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    total, req = [], []
    for _ in range(count):
        t0 = time.monotonic()
        raw = socket.create_connection(('127.0.0.1', port), timeout=10)
        if nodelay:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with ctx.wrap_socket(raw, server_hostname='localhost') as s:
            t1 = time.monotonic()
            s.sendall(b'GET /echo HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n'
                b'Upgrade: bench\r\n\r\n')
            head = b''
            while b'\r\n\r\n' not in head:
                more = s.recv(4096)
                if not more:
                    sys.exit('latency client: no 101 from port %d' % port)
                head += more
            if not head.startswith(b'HTTP/1.1 101'):
                sys.exit('latency client: %r' % head[:40])
            t2 = time.monotonic()
        total.append((t2 - t0) * 1e3)
        req.append((t2 - t1) * 1e3)

    def p99(v):
        return sorted(v)[min(len(v) - 1, int(0.99 * (len(v) - 1) + 0.5))]
    print('latency n=%d connect_to_101_ms=%.3f connect_to_101_p99_ms=%.3f request_to_101_ms=%.3f '
        'request_to_101_p99_ms=%.3f' % (count, statistics.median(total), p99(total),
        statistics.median(req), p99(req)))


def comparison_parser(doc, servers):
    """The arguments of every side-by-side script: the build, runs, seconds, warm-up, the
    cipher and --servers (default servers)."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument('--build', help='the build dir with daemon/switchboardd (default: build)')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--seconds', type=float, default=5)
    ap.add_argument('--warmup', type=float, default=2)
    ap.add_argument('--cipher', default='TLS_AES_128_GCM_SHA256', choices=sorted(bc.SUITES))
    ap.add_argument('--servers', default=servers)
    return ap


def comparison_setup(args, script):
    """After parsing: --servers as a list (each checked), the build to run, descriptors raised
    and SIGTERM an exit that still stops the servers and backends (each in a session of its
    own)."""
    args.servers = args.servers.split(',')
    if any(s not in SERVERS for s in args.servers):
        sys.exit('%s: --servers: any of %s' % (script, ', '.join(SERVERS)))
    args.proxy_buffer, args.conns = 0, 1000
    if args.build:
        os.environ['SB_BUILD_ROOT'] = os.path.abspath(args.build)
    bc.raise_fd_limit()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--latency-client':
        latency_client(sys.argv[2])
        return
    ap = comparison_parser(__doc__, ','.join(SERVERS))
    ap.add_argument('--latency-conns', type=int, default=50,
        help='connections, one at a time, per latency figure')
    ap.add_argument('--only', default='tls1,tls16,ws16,upgrades,rtt,latency,memory')
    ap.add_argument('--mem-counts', default='2000,10000')
    ap.add_argument('--mem-runs', type=int, default=3)
    args = ap.parse_args()
    args.only = set(args.only.split(','))
    args.mem_counts = [int(c) for c in args.mem_counts.split(',')]
    comparison_setup(args, 'bench_table.py')
    if SB not in args.servers:
        sys.exit('bench_table.py: --servers: switchboardd and any of %s' % ', '.join(SERVERS))
    for tool in ('haproxy', 'nginx', 'taskset'):
        if shutil.which(tool) is None:
            sys.exit('bench_table.py: %s not found (Debian: apt-get install haproxy nginx-light '
                'libnginx-mod-stream util-linux)' % tool)
    if os.cpu_count() < 2:
        sys.exit('bench_table.py: needs two CPUs (the server on one, the load on the other)')

    ctx = h.Context('table')
    results, counts = {}, []
    try:
        client = os.environ.get('BENCH_CLIENT') or bc.compile_client(ctx.tmp)
        cert = h.localhost_pair()
        print('\n'.join(bc.versions()))
        print('%s, %d CPUs (%s), Linux %s; load average %s at the start' % (platform.machine(),
            os.cpu_count(), cpu_model(), platform.release(), bc.load_average()))
        print('TLS 1.3 %s only, ECDSA P-256; server on CPU %d, client and backends on CPU %d; '
            'medians of %d runs of %.0f s after %.0f s of warm-up' % (args.cipher, PROXY_CPU,
            LOAD_CPU, args.runs, args.seconds, args.warmup), flush=True)
        if args.only & (set(ROWS) | {'latency'}):
            load_rows(client, ctx, cert, args, results)
            if 'memory' in args.only:
                report(results, args, [])  # in case the memory part fails
        if 'memory' in args.only:
            counts = memory_rows(client, ctx, cert, args, results)
        report(results, args, counts)
        print('\n(load average %s at the end)' % bc.load_average())
    finally:
        bc.teardown(ctx)


def cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'unknown CPU'


if __name__ == '__main__':
    main()
