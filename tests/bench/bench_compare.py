#!/usr/bin/python3
"""bench_compare.py - switchboardd next to HAProxy and nginx, run side by side in one go.

Not a test: it prints figures and asserts nothing about them. In front of the same echo
backend (bench-client --echo-server), with the same certificate, TLS 1.3 only and one pinned
cipher suite on every server, and the same client (bench-client, GnuTLS):

- echo throughput through one TLS connection and through one plain TCP connection
  (--bytes, 64 MiB by default), best and median of --runs runs, the three servers taking
  turns run by run (the order rotates) so that the machine's load falls on them alike; next
  to it the CPU time the server used per run (median), which load moves less than MB/s;
- resident memory per idle TLS connection (and per idle plain one) with --conns connections
  open, every one of them proxied to the backend: the server's VmRSS (summed over its
  processes) with them open minus before, divided by their number; a fresh set of servers
  for each run.

switchboardd runs with --threads 1 and answers an upgrade on /echo (tunnel mode) before it
bridges; HAProxy ("mode tcp", "bind ... ssl crt", nbthread 1) and nginx (stream module,
"listen ... ssl", worker_processes 1) proxy from the first byte. Their configurations are
written into a temp dir; every server runs in the foreground and is ended at the end.
HAProxy and nginx keep their default 16 KiB buffers unless --proxy-buffer sets both
(switchboardd reads 64 KiB at a time).

  tests/bench/bench_compare.py [--build DIR] [--bytes N] [--runs N] [--conns N]
                               [--cipher SUITE] [--proxy-buffer BYTES] [--only tls,plain,memory]

Needs haproxy, nginx and libnginx-mod-stream (Debian), cc, libgnutls28-dev and certtool.
"""

import argparse
import glob
import os
import platform
import resource
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_ROOT, 'tests', 'integration'))
import harness as h  # noqa: E402

# TLS 1.3 suites: the OpenSSL name (HAProxy, nginx) and the GnuTLS cipher (switchboardd).
SUITES = {
    'TLS_AES_256_GCM_SHA384': 'AES-256-GCM',
    'TLS_AES_128_GCM_SHA256': 'AES-128-GCM',
    'TLS_CHACHA20_POLY1305_SHA256': 'CHACHA20-POLY1305',
}
NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so'
SERVER_NAMES = ('switchboardd', 'haproxy', 'nginx')
# Descriptors a proxy keeps besides two a connection (listeners, epoll, logs, the control
# socket): what is left of the hard limit, halved, is the most connections it may hold.
FD_MARGIN = 100


def run_text(argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return (r.stdout + r.stderr).strip()


def compile_client(out_dir):
    exe = os.path.join(out_dir, 'bench-client')
    flags = run_text(['pkg-config', '--cflags', '--libs', 'gnutls']).split()
    sources = sorted(glob.glob(os.path.join(HERE, 'client', '*.c')))
    subprocess.run([os.environ.get('CC', 'cc'), '-O2', '-std=gnu17', '-D_GNU_SOURCE', '-Wall',
        '-Wextra', '-pthread', '-o', exe] + sources + flags, check=True, timeout=120)
    return exe


def raise_fd_limit(want=65536):
    """Each connection costs a descriptor in the client, the server and the backend: the soft
    limit goes up to want (at most the hard one), the hard one too where this process may
    (CAP_SYS_RESOURCE). The servers and clients started later inherit both."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return
        except (ValueError, OSError):
            pass
    want = want if hard == resource.RLIM_INFINITY else min(hard, want)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def tree_pids(root):
    """root and its descendants (nginx: the master and its worker)."""
    parent = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                stat = f.read()
        except OSError:
            continue
        parent[int(name)] = int(stat.rsplit(')', 1)[1].split()[1])
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(p for p, pp in parent.items() if pp == pid)
    return pids


def proc_status(pid, field):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError('no %s for pid %d' % (field, pid))


def tree_cpu_split_s(root):
    """(user, system) CPU seconds used so far by root and its descendants, every thread."""
    user = system = 0
    for p in tree_pids(root):
        with open('/proc/%d/stat' % p) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        user += int(fields[11])
        system += int(fields[12])
    hz = os.sysconf('SC_CLK_TCK')
    return user / hz, system / hz


def tree_cpu_s(root):
    """User plus system CPU seconds used so far by root and its descendants, every thread."""
    return sum(tree_cpu_split_s(root))


def tree_rss_kib(root):
    return sum(proc_status(p, 'VmRSS') for p in tree_pids(root))


def established_to(port):
    """Established IPv4 connections whose remote end is 127.0.0.1:port (proxy -> backend)."""
    n = 0
    with open('/proc/net/tcp') as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] == '01' and int(fields[2].split(':')[1], 16) == port:
                n += 1
    return n


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError('timed out waiting for %s' % what)
        time.sleep(0.05)


class Server:
    """One of the three, listening on a TLS port and a plain port in front of the backend."""

    def __init__(self, name, ctx, cert, echo_port, args, tag, upgrade_port=None, buffer=None,
            label=None):
        """upgrade_port: a backend that answers an upgrade itself (bench-client
        --upgrade-echo-server); HAProxy and nginx then also listen in HTTP mode in front of
        it (http_tls_port, http_plain_port), for the rows where the client upgrades.
        buffer: HAProxy tune.bufsize and nginx proxy_buffer_size (default: args.proxy_buffer)."""
        self.name, self.ctx, self.cert, self.echo_port, self.args = name, ctx, cert, echo_port, args
        self.label = label or name
        self.upgrade_port = upgrade_port
        self.buffer = args.proxy_buffer if buffer is None else buffer
        self.tls_port, self.plain_port = h.free_port(), h.free_port()
        self.http_tls_port, self.http_plain_port = self.tls_port, self.plain_port
        if upgrade_port is not None and name != 'switchboardd':
            self.http_tls_port, self.http_plain_port = h.free_port(), h.free_port()
        self.dir = ctx.path('%s-%s' % (self.label, tag))
        os.makedirs(self.dir, exist_ok=True)
        self.upgrade = name == 'switchboardd'
        getattr(self, '_start_' + name)()

    def max_conns(self):
        """Room for the idle connections; each also costs a descriptor to the backend, and
        no more than the hard descriptor limit allows (HAProxy sizes itself by maxconn)."""
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        cap = (hard - FD_MARGIN) // 2 if hard != resource.RLIM_INFINITY else 1 << 20
        return min(max(2000, 3 * self.args.conns), cap)

    def _start_switchboardd(self):
        suite = SUITES[self.args.cipher]
        # One suite, and the client's group order as OpenSSL's servers take it: with
        # %SERVER_PRECEDENCE GnuTLS would pick NORMAL's P-256 over a client's X25519 key share
        # and answer a HelloRetryRequest, a round trip more on every handshake.
        tls = {'cert': self.cert.cert, 'key': self.cert.key, 'min_version': '1.3',
            'priority': 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+%s' % suite}
        pol = h.policy([{'name': 'tls', 'bind': '127.0.0.1:%d' % self.tls_port, 'tls': tls},
            h.plain_listener('plain', self.plain_port)],
            [h.route('echo', self.echo_port, path='/echo'),
             h.route('ws', self.echo_port, path='/ws', upgrade='websocket', mode='websocket'),
             h.route('starttls', self.echo_port, upgrade='TLS/1.0', mode='tls',
                 listeners=['plain'], tls={'cert': self.cert.cert, 'key': self.cert.key})],
            limits={'max_connections': self.max_conns(), 'max_per_ip': self.max_conns()})
        self.daemon = self.ctx.daemon(pol, args=['--threads', '1', '--log-level', 'info'],
            name=os.path.basename(self.dir))
        self.pid = self.daemon.proc.pid

    def _start_haproxy(self):
        pem = os.path.join(self.dir, 'haproxy.pem')
        with open(pem, 'w') as out:
            for part in (self.cert.cert, self.cert.key):
                with open(part) as f:
                    out.write(f.read())
        cfg = os.path.join(self.dir, 'haproxy.cfg')
        with open(cfg, 'w') as f:
            f.write('\n'.join([
                'global',
                '    nbthread 1',
                '    maxconn %d' % self.max_conns(),
                '    tune.bufsize %d' % self.buffer if self.buffer else '',
                '    ssl-default-bind-options ssl-min-ver TLSv1.3',
                '    ssl-default-bind-ciphersuites %s' % self.args.cipher,
                'defaults',
                '    mode tcp',
                '    timeout connect 10s',
                '    timeout client 10m',
                '    timeout server 10m',
                'frontend tls',
                '    bind 127.0.0.1:%d ssl crt %s' % (self.tls_port, pem),
                '    default_backend echo',
                'frontend plain',
                '    bind 127.0.0.1:%d' % self.plain_port,
                '    default_backend echo',
                'backend echo',
                '    server echo 127.0.0.1:%d' % self.echo_port,
                ''] + self._haproxy_http(pem)))
        self.start_process(['haproxy', '-db', '-f', cfg])

    def _start_nginx(self):
        cfg = os.path.join(self.dir, 'nginx.conf')
        with open(cfg, 'w') as f:
            f.write('\n'.join([
                'load_module %s;' % NGINX_STREAM_MODULE,
                'daemon off;',
                'worker_processes 1;',
                'worker_rlimit_nofile %d;' % (2 * self.max_conns() + 100),
                'pid %s;' % os.path.join(self.dir, 'nginx.pid'),
                'error_log %s error;' % os.path.join(self.dir, 'nginx-error.log'),
                'events { worker_connections %d; }' % (2 * self.max_conns() + 50),
                'stream {',
                '    proxy_buffer_size %d;' % self.buffer if self.buffer else '',
                '    server {',
                '        listen 127.0.0.1:%d ssl;' % self.tls_port,
                '        ssl_certificate %s;' % self.cert.cert,
                '        ssl_certificate_key %s;' % self.cert.key,
                '        ssl_protocols TLSv1.3;',
                '        ssl_conf_command Ciphersuites %s;' % self.args.cipher,
                '        proxy_pass 127.0.0.1:%d;' % self.echo_port,
                '    }',
                '    server {',
                '        listen 127.0.0.1:%d;' % self.plain_port,
                '        proxy_pass 127.0.0.1:%d;' % self.echo_port,
                '    }',
                '}',
                ''] + self._nginx_http()))
        self.start_process(['nginx', '-p', self.dir, '-e', os.path.join(self.dir, 'stderr.log'),
            '-c', cfg])

    def _haproxy_http(self, pem):
        """Upgrades forwarded to a backend that answers them; then a tunnel."""
        if self.upgrade_port is None:
            return []
        return [
            'frontend http_tls',
            '    mode http',
            '    timeout tunnel 10m',
            '    bind 127.0.0.1:%d ssl crt %s' % (self.http_tls_port, pem),
            '    default_backend upgrade',
            'frontend http_plain',
            '    mode http',
            '    timeout tunnel 10m',
            '    bind 127.0.0.1:%d' % self.http_plain_port,
            '    default_backend upgrade',
            'backend upgrade',
            '    mode http',
            '    timeout tunnel 10m',
            '    server upgrade 127.0.0.1:%d' % self.upgrade_port,
            '']

    def _nginx_http(self):
        if self.upgrade_port is None:
            return []
        location = ('        location / { proxy_pass http://127.0.0.1:%d; proxy_http_version 1.1; '
            'proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; '
            'proxy_read_timeout 600s; proxy_send_timeout 600s; }' % self.upgrade_port)
        return [
            'http {',
            '    access_log off;',
            '    client_body_temp_path %s;' % os.path.join(self.dir, 'body'),
            '    proxy_temp_path %s;' % os.path.join(self.dir, 'proxy'),
            '    proxy_buffer_size %d; proxy_buffers 4 %d; proxy_busy_buffers_size %d;'
            % (self.buffer, self.buffer, 2 * self.buffer) if self.buffer else '',
            '    server {',
            '        listen 127.0.0.1:%d ssl;' % self.http_tls_port,
            '        ssl_certificate %s;' % self.cert.cert,
            '        ssl_certificate_key %s;' % self.cert.key,
            '        ssl_protocols TLSv1.3;',
            '        ssl_conf_command Ciphersuites %s;' % self.args.cipher,
            location,
            '    }',
            '    server {',
            '        listen 127.0.0.1:%d;' % self.http_plain_port,
            location,
            '    }',
            '}',
            '']

    def pin(self, cpu):
        """Every thread of every process of this server on one CPU (taskset)."""
        for p in tree_pids(self.pid):
            subprocess.run(['taskset', '-a', '-p', '-c', str(cpu), str(p)], check=True,
                stdout=subprocess.DEVNULL)

    def start_process(self, argv):
        self.daemon = None
        self.proc = self.ctx.process(argv, os.path.basename(self.dir), port=self.tls_port)
        self.proc.wait_port(self.plain_port, 10)
        self.pid = self.proc.proc.pid

    def stop(self):
        if self.daemon is not None:
            self.daemon.stop(30)
        else:
            self.proc.stop()

    def threads(self):
        return sum(proc_status(p, 'Threads') for p in tree_pids(self.pid))

    def processes(self):
        return len(tree_pids(self.pid))

    def client_args(self, tls):
        a = ['--port', str(self.tls_port if tls else self.plain_port)]
        if tls:
            a += ['--tls', '--sni', 'localhost']
        return a if self.upgrade else a + ['--raw']

    def check_suite(self, port=None):
        """A client offering every version and suite (Python's) must get TLS 1.3 and --cipher."""
        c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
        with socket.create_connection(('127.0.0.1', port or self.tls_port), timeout=10) as raw:
            with c.wrap_socket(raw, server_hostname='localhost') as s:
                version, suite = s.version(), s.cipher()[0]
        if version != 'TLSv1.3' or suite != self.args.cipher:
            raise RuntimeError('%s negotiated %s %s, not TLSv1.3 %s' % (self.name, version,
                suite, self.args.cipher))


def echo_mbps(client, argv, nbytes):
    r = subprocess.run([client] + argv + ['--bytes', str(nbytes)], capture_output=True,
        text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError('bench-client %s: %s' % (' '.join(argv), r.stderr.strip()))
    # "tls echo N bytes in S s: X MB/s each way"
    return float(r.stdout.split(':')[-1].split()[0])


def idle_kib_per_conn(client, server, tls, count, echo_port, argv=None, prefix=()):
    """The server's RSS growth per idle connection, every one bridged to the backend; then a
    few bytes echoed through each of them. Returns KiB per connection, the RSS before, and
    how many connections did not echo (lost)."""
    wait_until(lambda: established_to(echo_port) == 0, 60, 'earlier connections to close')
    time.sleep(1.0)
    before = tree_rss_kib(server.pid)
    proc = subprocess.Popen(list(prefix) + [client] + (argv or server.client_args(tls)) +
        ['--idle', str(count)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line.startswith('ready'):
            raise RuntimeError('bench-client --idle against %s: %r' % (server.name, line))
        wait_until(lambda: established_to(echo_port) >= count, 120,
            '%d connections from %s to the backend' % (count, server.name))
        time.sleep(1.0)
        during = tree_rss_kib(server.pid)
        proc.stdin.write('echo\n')
        proc.stdin.flush()
        answer = proc.stdout.readline().split()
        if len(answer) != 4 or answer[0] != 'echoed':
            raise RuntimeError('bench-client --idle against %s, echo: %r' % (server.name,
                ' '.join(answer)))
    finally:
        proc.stdin.close()
        proc.wait(timeout=120)
    return (during - before) / count, before, int(answer[3])


def rotated(seq, k):
    k %= len(seq)
    return list(seq[k:]) + list(seq[:k])


def row(label, figures, unit, lower_better=False, extra=None):
    best = min(figures) if lower_better else max(figures)
    fmt = '%.1f' if unit == 'KiB' else '%.0f'
    print('  %-28s %9.1f %9.1f  %-4s  %s(%s)' % (label, best, statistics.median(figures), unit,
        extra + ', median; ' if extra else '', ', '.join(fmt % f for f in figures)))


def teardown(ctx):
    """Stops what ctx started; keeps its temp dir (and says why) if anything went wrong."""
    problems = ctx.teardown()
    ctx.remove_tmp(keep=bool(problems))
    for p in problems:
        print('problem: %s' % p, file=sys.stderr)


def load_average():
    return '%.2f %.2f %.2f' % os.getloadavg()


def versions():
    out = [run_text([h.daemon_path(), '--version']).splitlines()[0],
        run_text(['haproxy', '-v']).splitlines()[0],
        run_text(['nginx', '-v']).splitlines()[0]]
    if shutil.which('dpkg-query'):
        out.append('libraries: ' + run_text(['dpkg-query', '-W', '-f', '${Package} ${Version}  ',
            'libgnutls30', 'libssl3']))
    return out


def throughput(client, servers, echo_port, args):
    """MB/s and the server's CPU seconds of each run, the servers taking turns run by run."""
    kinds = [k for k in ('tls', 'plain') if k in args.only]
    figs = {(k, s.name): [] for k in kinds for s in servers}
    cpu = {(k, s.name): [] for k in kinds for s in servers}
    direct = []
    for run in range(args.runs):
        direct.append(echo_mbps(client, ['--port', str(echo_port), '--raw'], args.bytes))
        for s in rotated(servers, run):
            for k in kinds:
                used = tree_cpu_s(s.pid)
                figs[(k, s.name)].append(echo_mbps(client, s.client_args(k == 'tls'),
                    args.bytes))
                cpu[(k, s.name)].append(tree_cpu_s(s.pid) - used)
    print('echo through one connection, %d MiB each way, MB/s (10^6 B/s)  best    median'
        % (args.bytes >> 20))
    row('backend directly (no proxy)', direct, 'MB/s')
    for k in kinds:
        for s in servers:
            row('%s %s' % ('TLS  ' if k == 'tls' else 'plain', s.name), figs[(k, s.name)],
                'MB/s', extra='server CPU %.2f s' % statistics.median(cpu[(k, s.name)]))


def memory(client, ctx, cert, args):
    """Fresh servers for every run and kind, so that no figure reuses memory an earlier freed."""
    kinds = ('tls', 'plain')
    figs = {(k, n): [] for k in kinds for n in SERVER_NAMES}
    base = {n: [] for n in SERVER_NAMES}
    echo_port = h.free_port()
    echo = ctx.process([client, '--echo-server', str(echo_port)], 'echo-mem', port=echo_port)
    for run in range(args.runs):
        for k in kinds:
            servers = [Server(n, ctx, cert, echo_port, args, 'mem-%s-%d' % (k, run))
                for n in SERVER_NAMES]
            for s in rotated(servers, run):
                if k == 'tls':
                    s.check_suite()
                per, before, lost = idle_kib_per_conn(client, s, k == 'tls', args.conns,
                    echo_port)
                if lost:
                    print('  %s %s: %d of %d idle connections did not echo' % (k, s.name, lost,
                        args.conns))
                figs[(k, s.name)].append(per)
                base[s.name].append(before)
            for s in servers:
                s.stop()
    echo.stop()
    print('resident memory per idle connection, %d open, KiB (lower is better)  best    median'
        % args.conns)
    for k in kinds:
        for n in SERVER_NAMES:
            row('%s %s' % ('TLS  ' if k == 'tls' else 'plain', n), figs[(k, n)], 'KiB',
                lower_better=True)
    print('  resident memory of each server before the connections, KiB (median): %s'
        % ', '.join('%s %d' % (n, statistics.median(base[n])) for n in SERVER_NAMES))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', help='the build dir with daemon/switchboardd (default: build)')
    ap.add_argument('--bytes', type=int, default=64 << 20, help='bytes echoed per run')
    ap.add_argument('--runs', type=int, default=5, help='runs per figure')
    ap.add_argument('--conns', type=int, default=1000, help='idle connections for memory')
    ap.add_argument('--cipher', default='TLS_AES_256_GCM_SHA384', choices=sorted(SUITES),
        help='the one TLS 1.3 suite every server allows')
    ap.add_argument('--proxy-buffer', type=int, default=0, help='HAProxy tune.bufsize and nginx '
        'proxy_buffer_size in bytes (default: theirs, 16 KiB)')
    ap.add_argument('--only', default='tls,plain,memory',
        help='comma-separated parts to run: tls, plain, memory')
    args = ap.parse_args()
    args.only = set(args.only.split(','))
    if args.build:
        os.environ['SB_BUILD_ROOT'] = os.path.abspath(args.build)
    for tool in ('haproxy', 'nginx'):
        if shutil.which(tool) is None:
            sys.exit('bench_compare.py: %s not found (Debian: apt-get install haproxy nginx '
                'libnginx-mod-stream)' % tool)
    if not os.path.exists(NGINX_STREAM_MODULE):
        sys.exit('bench_compare.py: no %s (Debian: libnginx-mod-stream)' % NGINX_STREAM_MODULE)
    raise_fd_limit()

    ctx = h.Context('compare')
    try:
        client = os.environ.get('BENCH_CLIENT') or compile_client(ctx.tmp)
        cert = h.localhost_pair()
        print('\n'.join(versions()))
        print('%s, %d CPUs, Linux %s; load average %s at the start' % (platform.machine(),
            os.cpu_count(), platform.release(), load_average()))
        print('TLS 1.3, %s only on every server; ECDSA P-256 certificate; client bench-client '
            '(GnuTLS)' % args.cipher)
        print('HAProxy and nginx buffers: %s' % ('%d bytes' % args.proxy_buffer
            if args.proxy_buffer else 'their defaults (16 KiB)'))
        if args.only & {'tls', 'plain'}:
            echo_port = h.free_port()
            ctx.process([client, '--echo-server', str(echo_port)], 'echo', port=echo_port)
            servers = [Server(n, ctx, cert, echo_port, args, 'throughput')
                for n in SERVER_NAMES]
            for s in servers:
                s.check_suite()
                print('  %-12s %d process(es), %d thread(s); a TLS client gets TLSv1.3 %s'
                    % (s.name, s.processes(), s.threads(), args.cipher))
            throughput(client, servers, echo_port, args)
            for s in servers:
                s.stop()
            print('  (load average %s after the throughput runs)' % load_average())
        if 'memory' in args.only:
            memory(client, ctx, cert, args)
            print('  (load average %s after the memory runs)' % load_average())
    finally:
        teardown(ctx)


if __name__ == '__main__':
    main()
