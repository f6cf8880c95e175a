"""harness.py - switchboardd integration harness: TAP, daemon, certificates, backends, clients.

Tests build a Suite, register cases with @suite.case(name, timeout=...), and call
suite.run(). Each case gets a Context: a private temp dir, helpers that start a
daemon or backends and open client connections, all torn down at the end of the
case. Everything is bounded in time: every socket has a timeout, every loop a
limit, and each case an alarm.
"""

import ctypes
import fcntl
import hashlib
import json
import os
import random
import re
import resource
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

SOCK_TIMEOUT = 30.0
LOG_TAIL_LINES = 40
_CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS, _SIOCSIFFLAGS, _IFF_UP = 0x8913, 0x8914, 0x1


def _time_scale():
    try:
        return max(1.0, float(os.environ.get('SB_TIME_SCALE') or 1))
    except ValueError:
        return 1.0


# How much slower than usual this run may be: SB_TIME_SCALE, set where meson's
# timeouts are stretched too (.ci/run's sanitizer run: 3). Upper bounds on time
# in tests go through scaled(); lower bounds (a timeout must not fire early) do not.
TIME_SCALE = _time_scale()


def scaled(seconds):
    return seconds * TIME_SCALE


def build_root():
    return os.environ.get('SB_BUILD_ROOT', os.path.join(os.getcwd(), 'build'))


def daemon_path():
    return os.path.join(build_root(), 'daemon', 'switchboardd')


# ---------------------------------------------------------------------------
# TAP


class Fail(Exception):
    """A check failed; the message says what was expected and what came."""


class Skip(Exception):
    """
    A tool or resource the case needs is missing here; the message names it
    (and its Debian package). Where everything is installed (SB_CI=1, as
    .ci/run sets) the case fails instead of skipping.
    """


class CaseTimeout(BaseException):
    """Raised by the alarm; a BaseException so that broad handlers do not eat it."""


class Tap:
    def __init__(self, out=sys.stdout):
        self.out = out
        self.count = 0
        self.failed = 0

    def _print(self, line):
        self.out.write(line + '\n')
        self.out.flush()

    def plan(self, n):
        self._print('1..%d' % n)

    def diag(self, text):
        for line in str(text).splitlines() or ['']:
            self._print('# ' + line)

    def ok(self, passed, name, directive=None):
        self.count += 1
        name = name.replace('#', '\\#')
        line = '%s %d - %s' % ('ok' if passed else 'not ok', self.count, name)
        if directive:
            line += ' # ' + directive
        elif not passed:
            self.failed += 1
        self._print(line)

    def skip(self, name, reason):
        self.ok(True, name, 'SKIP ' + reason)

    def bail(self, reason):
        self._print('Bail out! ' + reason)
        sys.exit(2)


def check(cond, message):
    if not cond:
        raise Fail(message)


def check_eq(got, expected, what):
    if got != expected:
        raise Fail('%s: expected %r, got %r' % (what, expected, got))


def check_in(needle, haystack, what):
    if needle not in haystack:
        raise Fail('%s: %r not found in %r' % (what, needle, haystack))


def may_raise_nofile():
    """Whether this process, and so a daemon it starts, has CAP_SYS_RESOURCE in effect: then
    the daemon raises a hard RLIMIT_NOFILE below its need."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('CapEff:'):
                return bool(int(line.split()[1], 16) >> 24 & 1)  # CAP_SYS_RESOURCE
    return False


def raise_fd_limit(need):
    """Raises this process's soft RLIMIT_NOFILE to need; Skip when the hard limit is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return
    if hard != resource.RLIM_INFINITY and hard < need:
        raise Skip('RLIMIT_NOFILE hard limit %d is below the %d this test needs' % (hard,
            need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))


def nofile_argv(soft, hard):
    """A prefix that starts a program with these descriptor limits, which it cannot raise."""
    a = ['prlimit', '--nofile=%d:%d' % (soft, hard), '--']
    if may_raise_nofile():
        a += ['setpriv', '--inh-caps=-sys_resource', '--bounding-set=-sys_resource', '--']
    return a


def metric(port, name):
    """The value of an unlabelled sample switchboard_NAME in GET /metrics on 127.0.0.1:port."""
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=5) as r:
        text = r.read().decode()
    m = re.search(r'^switchboard_%s (\d+)$' % name, text, re.M)
    check(m is not None, 'switchboard_%s in /metrics' % name)
    return int(m.group(1))


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls predicate until it returns a true value; Fail after timeout (scaled) seconds."""
    timeout = scaled(timeout)
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise Fail('timed out after %.1f s waiting for %s' % (timeout, what))
        time.sleep(interval)


def _on_alarm(signum, frame):
    raise CaseTimeout()


class Suite:
    def __init__(self, title):
        self.title = title
        self.cases = []

    def case(self, name, timeout=60):
        def register(fn):
            self.cases.append((name, fn, timeout))
            return fn
        return register

    def run(self):
        tap = Tap()
        if not os.access(daemon_path(), os.X_OK):
            tap.bail('no daemon at %s (set SB_BUILD_ROOT)' % daemon_path())
        tap.diag('%s (%s)' % (self.title, daemon_path()))
        tap.plan(len(self.cases))
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        for name, fn, timeout in self.cases:
            self._run_case(tap, name, fn, timeout)
        sys.exit(1 if tap.failed else 0)

    def _run_case(self, tap, name, fn, timeout):
        timeout = int(scaled(timeout))
        ctx = Context(name)
        status, message, directive = 'ok', None, None
        started = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            try:
                fn(ctx)
                ctx.finish()
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except Skip as e:
            if os.environ.get('SB_CI'):
                status, message = 'fail', '%s (SB_CI is set: nothing may be missing)' % e
            else:
                status, directive = 'skip', 'SKIP ' + str(e)
        except Fail as e:
            status, message = 'fail', str(e)
        except CaseTimeout:
            status, message = 'fail', 'case timed out after %d s' % timeout
            message += '\n' + ''.join(traceback.format_stack(sys.exc_info()[2].tb_frame))
        except Exception:
            status, message = 'fail', traceback.format_exc()
        problems = ctx.teardown()
        if status == 'ok' and problems:
            status, message = 'fail', '\n'.join(problems)
        elapsed = time.monotonic() - started
        if status == 'fail':
            tap.ok(False, name)
            tap.diag(message)
            for d in ctx.daemons:
                if d.proc is not None and not d.killed and not d.expected_exit:
                    tap.diag('daemon %s had exited with %d' % (d.dir, d.proc.returncode))
                tap.diag('--- daemon log %s (last %d lines) ---' % (d.log_path, LOG_TAIL_LINES))
                tap.diag('\n'.join(d.log_text().splitlines()[-LOG_TAIL_LINES:]))
        else:
            tap.ok(True, name, directive)
        tap.diag('%s: %.2f s' % (name, elapsed))
        ctx.remove_tmp(keep=status == 'fail')


class Context:
    """One case: its temp dir and everything it started, torn down in reverse order."""

    def __init__(self, name):
        safe = re.sub(r'[^A-Za-z0-9]+', '-', name)[:40].strip('-')
        self.tmp = tempfile.mkdtemp(prefix='sb-it-%s-' % safe)
        self.daemons = []
        self._cleanups = []
        self.problems = []

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def on_cleanup(self, fn):
        self._cleanups.append(fn)
        return fn

    def daemon(self, policy=None, start=True, **kw):
        d = Daemon(self, policy, **kw)
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def process(self, argv, name, port=None, timeout=10, **kw):
        """
        Starts a helper program (a test server, a proxy) with its output in
        NAME.log in the temp dir; with port, waits until it accepts there.
        Stopped at the end of the case.
        """
        proc = Process(argv, self.path(name + '.log'), **kw)
        self.on_cleanup(proc.stop)
        if port is not None:
            proc.wait_port(port, timeout)
        return proc

    def backend(self, cls, *args, **kw):
        b = cls(*args, **kw)
        b.start()
        self.on_cleanup(b.stop)
        return b

    def connect(self, port, tls=None, timeout=SOCK_TIMEOUT, host='127.0.0.1'):
        conn = connect(port, tls=tls, timeout=timeout, host=host)
        self.on_cleanup(conn.close)
        return conn

    def control(self, daemon):
        """A Control client of the daemon's control socket, closed at the end of the case."""
        ctl = Control(daemon.control)
        self.on_cleanup(ctl.close)
        return ctl

    def tunnel(self, port, path, token='sb-test', tls=None, **kw):
        """Connects and upgrades; Fail unless the answer is 101."""
        conn = self.connect(port, tls=tls)
        resp = upgrade(conn, path, token, **kw)
        if resp.status != 101:
            raise Fail('upgrade %s %s: expected 101, got %d %r' % (path, token, resp.status,
                resp.body))
        return conn

    def private_network(self):
        """
        Moves this thread, and what it starts from now on (daemons, helpers,
        backend threads), into a network namespace of its own with only a
        loopback that is up, so fixed ports such as 8080 are free whatever the
        machine runs; back to the machine's namespace at the end of the case.
        Needs root (CI runs as root); Fail when the namespace cannot be made.
        """
        libc = ctypes.CDLL(None, use_errno=True)
        orig = os.open('/proc/self/ns/net', os.O_RDONLY)
        if libc.unshare(_CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            os.close(orig)
            raise Fail('unshare(CLONE_NEWNET): %s (a private network namespace needs root)' %
                os.strerror(err))

        def back():
            rc = libc.setns(orig, _CLONE_NEWNET)
            err = ctypes.get_errno()
            os.close(orig)
            if rc != 0:
                raise Fail('setns back to the machine\'s network: %s' % os.strerror(err))
        self.on_cleanup(back)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            req = bytearray(struct.pack('16sH', b'lo', 0).ljust(40, b'\0'))
            fcntl.ioctl(s, _SIOCGIFFLAGS, req)
            flags = struct.unpack_from('H', req, 16)[0] | _IFF_UP
            struct.pack_into('H', req, 16, flags)
            fcntl.ioctl(s, _SIOCSIFFLAGS, req)

    def finish(self):
        """The case passed its checks: every daemon still running must still be alive."""
        for d in self.daemons:
            if d.proc is not None and not d.expected_exit and d.proc.poll() is not None:
                raise Fail('daemon exited unexpectedly with %s' % d.proc.returncode)

    def teardown(self):
        for fn in reversed(self._cleanups):
            try:
                fn()
            except Exception as e:  # teardown must go on
                self.problems.append('cleanup: %r' % e)
        for d in self.daemons:
            d.kill()
            self.problems.extend(d.sanitizer_reports())
        return self.problems

    def remove_tmp(self, keep):
        if keep:
            return
        subprocess.run(['rm', '-rf', self.tmp], check=False)


# ---------------------------------------------------------------------------
# Ports, certificates, policies


_ports_given = set()


def free_port(host='127.0.0.1'):
    """
    A port nobody uses right now, never the same twice in a process. Taken
    below the kernel's ephemeral range, so that outgoing connections (ours,
    the daemon's) cannot take it before the daemon binds it.
    """
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    low = max(low, 12000)
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10000, low)
        if port in _ports_given or not port_is_free(port, host):
            continue
        _ports_given.add(port)
        return port
    raise Fail('no free port found')


def port_is_free(port, host='127.0.0.1'):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def refuses(port, host='127.0.0.1'):
    """True when a TCP connect to the port is refused (nobody listens)."""
    try:
        socket.create_connection((host, port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False  # e.g. reset by a listener closing right then: ask again
    return False


class CertPair:
    def __init__(self, cert, key, cn):
        self.cert, self.key, self.cn = cert, key, cn


def _certtool(args, template=None):
    argv = ['certtool'] + args
    if template is not None:
        argv += ['--template', template]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise Fail('certtool %s failed: %s' % (' '.join(args), r.stderr.strip()))
    return r.stdout


class CA:
    """A certificate authority in dir, issuing leaf certificates with certtool."""

    def __init__(self, dir, cn='Switchboard Test CA'):
        os.makedirs(dir, exist_ok=True)
        self.dir = dir
        self.key = os.path.join(dir, 'ca-key.pem')
        self.cert = os.path.join(dir, 'ca.pem')
        _certtool(['--generate-privkey', '--key-type', 'ecdsa', '--outfile', self.key])
        tmpl = os.path.join(dir, 'ca.tmpl')
        with open(tmpl, 'w') as f:
            f.write('cn = "%s"\nca\ncert_signing_key\nexpiration_days = 30\n' % cn)
        _certtool(['--generate-self-signed', '--load-privkey', self.key,
            '--outfile', self.cert], tmpl)

    def issue(self, cn, dns=(), ips=(), name=None, days=30, purpose='tls_www_server',
        extra=()):
        """
        A leaf for cn; purpose tls_www_client for a client certificate (certtool drops
        an email SAN from a server one), extra: more template lines (organization, email).
        """
        name = name or re.sub(r'[^A-Za-z0-9.-]', '_', cn)
        key = os.path.join(self.dir, name + '-key.pem')
        cert = os.path.join(self.dir, name + '.pem')
        _certtool(['--generate-privkey', '--key-type', 'ecdsa', '--outfile', key])
        tmpl = os.path.join(self.dir, name + '.tmpl')
        with open(tmpl, 'w') as f:
            f.write('cn = "%s"\n' % cn)
            for d in dns:
                f.write('dns_name = "%s"\n' % d)
            for ip in ips:
                f.write('ip_address = "%s"\n' % ip)
            for line in extra:
                f.write(line + '\n')
            f.write('%s\nsigning_key\nencryption_key\nexpiration_days = %d\n' % (purpose,
                days))
        _certtool(['--generate-certificate', '--load-privkey', key, '--load-ca-certificate',
            self.cert, '--load-ca-privkey', self.key, '--outfile', cert], tmpl)
        return CertPair(cert, key, cn)


_shared = {}


def shared_ca():
    """One CA and a 'localhost' leaf per test process: key generation is not free."""
    if 'ca' not in _shared:
        d = tempfile.mkdtemp(prefix='sb-it-ca-')
        import atexit
        atexit.register(lambda: subprocess.run(['rm', '-rf', d], check=False))
        ca = CA(d)
        _shared['ca'] = ca
        _shared['localhost'] = ca.issue('localhost', dns=['localhost'], ips=['127.0.0.1'])
    return _shared['ca']


def localhost_pair():
    shared_ca()
    return _shared['localhost']


def cert_subject_cn(der):
    """The subject CN of a DER certificate, read with certtool -i."""
    r = subprocess.run(['certtool', '-i', '--inder'], input=der, capture_output=True,
        timeout=30)
    if r.returncode != 0:
        raise Fail('certtool -i: %s' % r.stderr.decode(errors='replace'))
    m = re.search(r'Subject:\s*(.*)', r.stdout.decode(errors='replace'))
    if m is None:
        raise Fail('certtool -i printed no Subject')
    cn = re.search(r'CN=([^,]+)', m.group(1))
    return cn.group(1).strip() if cn else None


def plain_listener(name, port):
    return {'name': name, 'bind': '127.0.0.1:%d' % port}


def tls_listener(name, port, pair, sni=()):
    tls = {'cert': pair.cert, 'key': pair.key}
    if sni:
        tls['sni'] = [{'names': list(names), 'cert': p.cert, 'key': p.key} for names, p in sni]
    return {'name': name, 'bind': '127.0.0.1:%d' % port, 'tls': tls}


def route(name, backend, path=None, upgrade='*', mode='tunnel', **extra):
    match = {'upgrade': upgrade}
    if path is not None:
        match['path'] = path
    r = {'name': name, 'match': match, 'mode': mode}
    if isinstance(backend, int):
        backend = '127.0.0.1:%d' % backend
    elif hasattr(backend, 'port'):
        backend = '127.0.0.1:%d' % backend.port
    r['backend'] = backend
    r.update(extra)
    return r


def policy(listeners, routes, limits=None, **extra):
    p = {'version': 1, 'listeners': listeners, 'routes': routes}
    if limits:
        p['limits'] = limits
    p.update(extra)
    return p


# ---------------------------------------------------------------------------
# The daemon


class Daemon:
    """switchboardd in a temp dir: policy file, state dir, control socket, log file."""

    def __init__(self, ctx, policy=None, args=(), name='d'):
        self.ctx = ctx
        self.dir = ctx.path(name)
        os.makedirs(self.dir, exist_ok=True)
        self.policy_path = os.path.join(self.dir, 'policy.json') if policy is not None else None
        self.state_dir = os.path.join(self.dir, 'state')
        self.control = os.path.join(self.dir, 'control.sock')
        self.log_path = os.path.join(self.dir, 'daemon.log')
        self.extra_args = list(args)
        self.launcher = []    # a program that execs the daemon (tests/integration/activate.py)
        self.pass_fds = ()    # descriptors the daemon (or its launcher) inherits
        self.proc = None
        self.expected_exit = False
        self.killed = False
        self.policy = None
        if policy is not None:
            self.write_policy(policy)

    def write_policy(self, p):
        """Writes the policy file (a dict as JSON, or raw text) atomically."""
        self.policy = p if isinstance(p, dict) else None
        text = json.dumps(p, indent=2) if isinstance(p, dict) else p
        tmp = self.policy_path + '.tmp'
        with open(tmp, 'w') as f:
            f.write(text)
        os.replace(tmp, self.policy_path)

    def argv(self, check=False):
        a = [daemon_path()]
        if self.policy_path is not None:
            a += ['--policy', self.policy_path]
        a += ['--state-dir', self.state_dir, '--control', self.control, '--log-level', 'debug']
        if check:
            a.append('--check')
        return a + self.extra_args

    def ports(self):
        if self.policy is None:
            return []
        return [int(l['bind'].rsplit(':', 1)[1]) for l in self.policy['listeners']]

    def start(self, ports=None, timeout=10):
        """
        Starts the daemon, waits for its 'ready' log line, then until every
        listener port accepts. (Connections racing the start-up itself are the
        subject of a test of their own, not of every test.)
        """
        # A daemon started again in the same folder appends to the same log:
        # only a 'ready' line written after this start counts.
        begun = self.log_size()
        self._log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(self.launcher + self.argv(), stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
            pass_fds=self.pass_fds)
        self.ctx.on_cleanup(self._log.close)
        timeout = scaled(timeout)
        deadline = time.monotonic() + timeout
        while not re.search(r'switchboardd \S+ ready', self.log_text(since=begun)):
            if self.proc.poll() is not None:
                raise Fail('daemon exited with %d during start-up' % self.proc.returncode)
            if time.monotonic() > deadline:
                raise Fail('no "ready" line in the daemon log after %d s' % timeout)
            time.sleep(0.02)
        ports = self.ports() if ports is None else ports
        for port in ports:
            while True:
                if self.proc.poll() is not None:
                    raise Fail('daemon exited with %d during start-up' % self.proc.returncode)
                try:
                    socket.create_connection(('127.0.0.1', port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise Fail('daemon port %d does not accept after %d s' % (port, timeout))
                    time.sleep(0.05)
        return self

    def check_policy(self):
        """Runs --check; returns (exit code, stdout, stderr)."""
        r = subprocess.run(self.argv(check=True), capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout, r.stderr

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def log_text(self, since=0):
        """The log as text; since: from that byte offset on (a log_size())."""
        try:
            with open(self.log_path, 'rb') as f:
                f.seek(since)
                return f.read().decode(errors='replace')
        except FileNotFoundError:
            return ''

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except FileNotFoundError:
            return 0

    def wait_log(self, pattern, timeout=5, since=0):
        """Waits for a log line matching the regex (in the log after byte offset since)."""
        rx = re.compile(pattern)

        def found():
            return rx.search(self.log_text(since=since))
        return wait_for(found, timeout, 'daemon log line /%s/' % pattern)

    def wait_exit(self, timeout):
        """The exit code, or None if it still runs after timeout (scaled) seconds."""
        try:
            return self.proc.wait(timeout=scaled(timeout))
        except subprocess.TimeoutExpired:
            return None

    def expect_exit(self, code, timeout=10):
        self.expected_exit = True
        rc = self.wait_exit(timeout)
        if rc is None:
            raise Fail('daemon still runs %d s after it should have exited' % timeout)
        check_eq(rc, code, 'daemon exit code')

    def stop(self, timeout=10):
        """SIGTERM with no tunnel open: the daemon must leave with 0 promptly."""
        if not self.alive():
            return
        self.signal(signal.SIGTERM)
        self.expect_exit(0, timeout)

    def kill(self):
        if self.alive():
            self.killed = True
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def sanitizer_reports(self):
        text = self.log_text()
        found = []
        for rx in (r'ERROR: AddressSanitizer.*', r'ERROR: LeakSanitizer.*', r'runtime error:.*'):
            found += ['daemon log: ' + m.group(0) for m in re.finditer(rx, text)]
        return found


# ---------------------------------------------------------------------------
# Helper programs


class Process:
    """A program run in a session of its own (so that stop() ends its children too)."""

    def __init__(self, argv, log_path, env=None, cwd=None):
        self.argv, self.log_path = list(argv), log_path
        self._log = open(log_path, 'ab')
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True, env=env, cwd=cwd)

    def log_text(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode(errors='replace')

    def wait_port(self, port, timeout, host='127.0.0.1'):
        def accepts():
            if self.proc.poll() is not None:
                raise Fail('%s exited with %d before it listened on %d: %s' % (self.argv[0],
                    self.proc.returncode, port, self.log_text()[-2000:]))
            try:
                socket.create_connection((host, port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for(accepts, timeout, '%s to listen on %s:%d' % (self.argv[0], host, port))

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self._log.close()


# ---------------------------------------------------------------------------
# The control socket


class Control:
    """
    A JSON-RPC 2.0 client of a daemon's control socket (one JSON object a line).
    Notifications read while waiting for an answer are kept for wait_event.
    """

    def __init__(self, path, timeout=SOCK_TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b''
        self.next_id = 1
        self.events = []

    def _message(self, deadline):
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail('control: no message within the time allowed')
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                raise Fail('control: no message within the time allowed')
            if not d:
                raise Fail('control: the daemon closed the socket')
            self.buf += d
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def call(self, method, params=None, timeout=10):
        """The result of one request; Fail on a JSON-RPC error."""
        req = {'jsonrpc': '2.0', 'id': self.next_id, 'method': method}
        self.next_id += 1
        if params is not None:
            req['params'] = params
        self.sock.sendall(json.dumps(req).encode() + b'\n')
        deadline = time.monotonic() + scaled(timeout)
        for _ in range(100000):
            msg = self._message(deadline)
            if 'id' not in msg:
                self.events.append(msg.get('params', {}))
                continue
            check_eq(msg['id'], req['id'], 'control answer id')
            if 'error' in msg:
                raise Fail('control %s: %r' % (method, msg['error']))
            return msg['result']
        raise Fail('control %s: no answer' % method)

    def subscribe(self):
        self.call('events.subscribe')

    def wait_event(self, type, timeout=5, **fields):
        """The first event (kept or coming) of this type whose fields have these values."""
        def matches(ev):
            return ev.get('type') == type and all(ev.get(k) == v for k, v in fields.items())
        deadline = time.monotonic() + scaled(timeout)
        for _ in range(100000):
            for i, ev in enumerate(self.events):
                if matches(ev):
                    return self.events.pop(i)
            try:
                msg = self._message(deadline)
            except Fail as e:
                raise Fail('control: no %s event with %r (%s; other events: %r)' % (type,
                    fields, e, self.events[-5:]))
            if 'id' not in msg:
                self.events.append(msg.get('params', {}))
        raise Fail('control: no %s event with %r' % (type, fields))

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------------------
# Clients


class Conn:
    """A client connection: plain TCP, or TLS over a memory BIO (see TlsConn)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''   # bytes read past an HTTP head, handed out first
        self.closed = False

    def unread(self, data):
        self.buf = data + self.buf

    def settimeout(self, t):
        self.sock.settimeout(t)

    def sendall(self, data):
        self.sock.sendall(data)

    def _recv(self, n):
        return self.sock.recv(n)

    def recv(self, n=65536):
        """Up to n bytes; b'' at EOF."""
        if self.buf:
            data, self.buf = self.buf[:n], self.buf[n:]
            return data
        return self._recv(n)

    def recv_exact(self, n):
        parts, got = [], 0
        while got < n:
            d = self.recv(min(n - got, 262144))
            if not d:
                raise Fail('EOF after %d of %d bytes' % (got, n))
            parts.append(d)
            got += len(d)
        return b''.join(parts)

    def recv_all(self, limit=64 << 20):
        """Everything until EOF (at most limit bytes)."""
        parts, got = [], 0
        while True:
            d = self.recv()
            if not d:
                return b''.join(parts)
            parts.append(d)
            got += len(d)
            if got > limit:
                raise Fail('more than %d bytes before EOF' % limit)

    def wait_eof(self, timeout):
        """Seconds until EOF (or reset); Fail when data or nothing arrives instead."""
        start = time.monotonic()
        timeout = scaled(timeout)
        self.settimeout(timeout)
        try:
            d = self.recv()
        except (ConnectionResetError, ssl.SSLEOFError):
            d = b''
        except socket.timeout:
            raise Fail('no EOF within %.1f s' % timeout)
        if d:
            raise Fail('data instead of EOF: %r' % d[:64])
        return time.monotonic() - start

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def close(self):
        if not self.closed:
            self.closed = True
            self.sock.close()


class TlsConn(Conn):
    """
    TLS through ssl.MemoryBIO, so that the test owns the socket: a half-close
    sends close_notify and keeps reading (SSLSocket.unwrap would wait for the
    peer's close_notify). Not for concurrent use by two threads.
    """

    def __init__(self, sock, ctx, server_name):
        super().__init__(sock)
        self.inc = ssl.MemoryBIO()
        self.out = ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inc, self.out, server_side=False,
            server_hostname=server_name)
        self.got_close_notify = False
        for _ in range(1000):
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                self._fill()
        self._flush()

    def _flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(262144)
        if data:
            self.inc.write(data)
        else:
            self.inc.write_eof()

    def peer_cert_der(self):
        return self.obj.getpeercert(binary_form=True)

    def version(self):
        return self.obj.version()

    def sendall(self, data):
        view = memoryview(data)
        for i in range(0, len(view), 16384):
            self.obj.write(view[i:i + 16384])
            self._flush()

    def _recv(self, n):
        while True:
            try:
                data = self.obj.read(n)
                self._flush()
                if not data:
                    self.got_close_notify = True
                return data
            except ssl.SSLWantReadError:
                self._flush()
                self._fill()
            except ssl.SSLZeroReturnError:
                self.got_close_notify = True
                return b''

    def shutdown_write(self):
        """Sends close_notify and nothing else: reading goes on (a TLS half-close)."""
        try:
            self.obj.unwrap()
        except ssl.SSLWantReadError:
            pass  # close_notify is out; the peer's is not awaited
        self._flush()


class TlsOpts:
    """client: a CertPair the client presents (mTLS)."""

    def __init__(self, ca=None, server_name='localhost', alpn=None, verify=True, client=None):
        self.ca, self.server_name, self.alpn, self.verify = ca, server_name, alpn, verify
        self.client = client

    def context(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if self.verify:
            ctx.load_verify_locations(self.ca or shared_ca().cert)
        else:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if self.alpn:
            ctx.set_alpn_protocols(self.alpn)
        if self.client is not None:
            ctx.load_cert_chain(self.client.cert, self.client.key)
        return ctx


def connect(port, tls=None, timeout=SOCK_TIMEOUT, host='127.0.0.1'):
    """A Conn to host:port; tls is None (plain), True (shared CA, 'localhost') or TlsOpts."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if tls is None or tls is False:
        return Conn(sock)
    opts = TlsOpts() if tls is True else tls
    try:
        return TlsConn(sock, opts.context(), opts.server_name)
    except BaseException:
        sock.close()
        raise


class Response:
    def __init__(self, status, reason, version, headers, body, head):
        self.status, self.reason, self.version = status, reason, version
        self.headers = headers          # [(name, value)] as sent
        self.body = body
        self.head = head

    def header(self, name):
        """The value of a header (values of repeated ones joined with ', '), or None."""
        vals = [v for k, v in self.headers if k.lower() == name.lower()]
        return ', '.join(vals) if vals else None

    def __repr__(self):
        return '<%d %s %r>' % (self.status, self.reason, self.body[:200])


def read_head(conn, limit=65536):
    """Reads an HTTP response head; bytes past it are kept in the connection."""
    data = b''
    while b'\r\n\r\n' not in data:
        d = conn.recv(4096)
        if not d:
            raise Fail('EOF before the end of the HTTP head (got %r)' % data[:300])
        data += d
        if len(data) > limit:
            raise Fail('HTTP head longer than %d bytes' % limit)
    head, rest = data.split(b'\r\n\r\n', 1)
    conn.unread(rest)
    lines = head.decode('latin-1').split('\r\n')
    m = re.match(r'(HTTP/\d\.\d) (\d{3})(?: (.*))?$', lines[0])
    if m is None:
        raise Fail('not an HTTP status line: %r' % lines[0])
    headers = []
    for line in lines[1:]:
        k, sep, v = line.partition(':')
        if not sep:
            raise Fail('malformed header line %r' % line)
        headers.append((k.strip(), v.strip()))
    return Response(int(m.group(2)), m.group(3) or '', m.group(1), headers, b'', head)


def read_response(conn):
    """A whole response: for 101 the head only, else the body by Content-Length or EOF."""
    resp = read_head(conn)
    if resp.status == 101:
        return resp
    cl = resp.header('Content-Length')
    if cl is not None:
        resp.body = conn.recv_exact(int(cl))
    else:
        resp.body = conn.recv_all(1 << 20)
    return resp


def upgrade_request(path='/', token='sb-test', host='localhost', headers=(),
    version='HTTP/1.1', connection='Upgrade', body=None):
    lines = ['GET %s %s' % (path, version)]
    if host is not None:
        lines.append('Host: %s' % host)
    if connection is not None:
        lines.append('Connection: %s' % connection)
    if token is not None:
        lines.append('Upgrade: %s' % token)
    lines += ['%s: %s' % kv for kv in headers]
    if body is not None:
        lines.append('Content-Length: %d' % len(body))
    req = ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')
    return req + (body or b'')


def upgrade(conn, path='/', token='sb-test', early=b'', **kw):
    """Sends an upgrade request (plus early bytes right behind it) and reads the answer."""
    conn.sendall(upgrade_request(path, token, **kw) + early)
    return read_response(conn)


def gnutls_cli(port, ca, sni=None, timeout=20):
    """Runs gnutls-cli against 127.0.0.1:port with stdin closed; returns (rc, output)."""
    argv = ['gnutls-cli', '--port', str(port), '--x509cafile', ca]
    if sni:
        argv += ['--sni-hostname', sni, '--verify-hostname', sni]
    argv.append('127.0.0.1')
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=timeout)
    return r.returncode, r.stdout + r.stderr


# ---------------------------------------------------------------------------
# Data streams


def pattern_chunks(total, seed, chunk=65536):
    """Deterministic pseudo-random bytes, total of them, in chunks."""
    rng = random.Random(seed)
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        yield rng.randbytes(n)
        sent += n


def pattern_bytes(total, seed):
    return b''.join(pattern_chunks(total, seed))


def pattern_sha256(total, seed):
    h = hashlib.sha256()
    for c in pattern_chunks(total, seed):
        h.update(c)
    return h.hexdigest()


def echo_roundtrip(conn, total, seed, window=256 << 10, chunk=64 << 10):
    """
    Sends total pattern bytes and reads the echo, with at most window bytes in
    flight so one thread can do both without a deadlock. Returns
    (bytes back, sha256 sent, sha256 back).
    """
    hs, hr = hashlib.sha256(), hashlib.sha256()
    sent = got = 0
    chunks = pattern_chunks(total, seed, chunk)
    while sent < total or got < sent:
        if sent < total and sent - got <= window - chunk:
            c = next(chunks)
            conn.sendall(c)
            hs.update(c)
            sent += len(c)
            continue
        d = conn.recv(262144)
        if not d:
            raise Fail('echo: EOF after %d of %d bytes back' % (got, total))
        hr.update(d)
        got += len(d)
        if got > sent:
            raise Fail('echo: %d bytes back, only %d sent' % (got, sent))
    return got, hs.hexdigest(), hr.hexdigest()


def run_threads(fn, args_list, timeout):
    """Runs fn(*args) in one thread each; returns results; Fail on any error or overrun."""
    results = [None] * len(args_list)
    errors = []

    def body(i, args):
        try:
            results[i] = fn(*args)
        except BaseException as e:
            text = ''.join(traceback.format_exception_only(e)).strip()
            errors.append('thread %d: %s' % (i, text))
    threads = [threading.Thread(target=body, args=(i, a), daemon=True)
        for i, a in enumerate(args_list)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    alive = sum(t.is_alive() for t in threads)
    if alive:
        errors.append('%d threads still running after %d s' % (alive, timeout))
    if errors:
        raise Fail('%d errors: %s' % (len(errors), '; '.join(errors[:5])))
    return results


class Witness:
    """
    Pings through an echo tunnel every interval seconds from its own thread
    (which then owns the connection), so a test can show that the daemon kept
    serving others while something else happened.
    """

    def __init__(self, conn, interval=0.05):
        self.conn, self.interval = conn, interval
        self.count = 0
        self.max_rtt = 0.0
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        n = 0
        while not self._stop.is_set():
            msg = b'%08d' % (n % 100000000)
            start = time.monotonic()
            try:
                self.conn.sendall(msg)
                back = self.conn.recv_exact(len(msg))
            except BaseException as e:
                self.errors.append(repr(e))
                return
            if back != msg:
                self.errors.append('ping %d came back as %r' % (n, back))
                return
            self.max_rtt = max(self.max_rtt, time.monotonic() - start)
            self.count += 1
            n += 1
            self._stop.wait(self.interval)

    def check(self, what, max_rtt=1.0):
        """Fail unless every ping so far came back, none slower than max_rtt (scaled) seconds."""
        check(not self.errors, 'the witness tunnel failed during %s: %s' % (what, self.errors))
        check(self._thread.is_alive(), 'the witness stopped during %s' % what)
        check(self.max_rtt <= scaled(max_rtt), 'a witness ping took %.2f s during %s '
            '(at most %.1f s)' % (self.max_rtt, what, scaled(max_rtt)))

    def stop(self):
        self._stop.set()
        self._thread.join(10)


# ---------------------------------------------------------------------------
# Backends


class Record:
    """What one backend connection saw."""

    def __init__(self):
        self.data = bytearray()     # kept up to the backend's record limit
        self.count = 0
        self.sha = hashlib.sha256()
        self.eof = False
        self.reset = False          # the daemon's side reset the connection
        self.error = None
        self.done = threading.Event()
        self.first_at = None

    def add(self, d, limit):
        if self.first_at is None:
            self.first_at = time.monotonic()
        self.count += len(d)
        self.sha.update(d)
        room = limit - len(self.data)
        if room > 0:
            self.data += d[:room]

    def digest(self):
        return self.sha.hexdigest()


class Backend:
    """
    A threaded TCP server on 127.0.0.1; subclasses implement serve(sock, record).
    An exception in serve() before stop() is a failure of the case (stop()
    raises it) unless the case said it expects some: errors_expected. A reset
    by the daemon's side is not the helper's failure: the record says reset.
    """

    record_limit = 1 << 20
    errors_expected = False

    def __init__(self):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(('127.0.0.1', 0))
        self.lsock.listen(512)
        self.port = self.lsock.getsockname()[1]
        self.records = []
        self.lock = threading.Lock()
        self.stopping = False
        self.socks = []

    def start(self):
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()
        return self

    def _accept_loop(self):
        while not self.stopping:
            try:
                r, _, _ = select.select([self.lsock], [], [], 0.2)
                if not r:
                    continue
                sock, _ = self.lsock.accept()
            except OSError:
                return
            sock.settimeout(SOCK_TIMEOUT)
            rec = Record()
            with self.lock:
                self.records.append(rec)
                self.socks.append(sock)
            threading.Thread(target=self._serve, args=(sock, rec), daemon=True).start()

    def _serve(self, sock, rec):
        try:
            self.serve(sock, rec)
        except (ConnectionResetError, BrokenPipeError):
            rec.reset = True        # how the peer ended it, not the helper's failure
        except Exception as e:
            if not self.stopping:
                rec.error = repr(e)
        finally:
            sock.close()
            rec.done.set()

    def read_to_eof(self, sock, rec, echo=False):
        while True:
            d = sock.recv(262144)
            if not d:
                rec.eof = True
                return
            rec.add(d, self.record_limit)
            if echo:
                sock.sendall(d)

    def accepted(self):
        with self.lock:
            return len(self.records)

    def wait_record(self, index=0, timeout=10):
        """The record of the index-th connection, once that connection is over."""
        wait_for(lambda: self.accepted() > index, timeout, 'backend connection %d' % index)
        rec = self.records[index]
        if not rec.done.wait(scaled(timeout)):
            raise Fail('backend connection %d not finished after %d s' % (index, timeout))
        return rec

    def stop(self):
        self.stopping = True
        self.lsock.close()
        with self.lock:
            for s in self.socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.thread.join(5)
        with self.lock:
            errors = ['connection %d: %s' % (i, r.error) for i, r in enumerate(self.records)
                if r.error is not None]
        if errors and not self.errors_expected:
            raise Fail('%s on port %d: %s' % (type(self).__name__, self.port,
                '; '.join(errors[:5])))


class EchoBackend(Backend):
    record_limit = 0

    def serve(self, sock, rec):
        self.read_to_eof(sock, rec, echo=True)
        sock.shutdown(socket.SHUT_WR)


class SinkBackend(Backend):
    """Hashes everything; at EOF answers '<sha256 hex> <count>\\n' and closes."""
    record_limit = 0

    def serve(self, sock, rec):
        self.read_to_eof(sock, rec)
        sock.sendall(('%s %d\n' % (rec.digest(), rec.count)).encode())


class SourceBackend(Backend):
    """Sends total pattern bytes, shuts its write side, then reads until EOF."""

    def __init__(self, total, seed=7):
        super().__init__()
        self.total, self.seed = total, seed

    def serve(self, sock, rec):
        for c in pattern_chunks(self.total, self.seed):
            sock.sendall(c)
        sock.shutdown(socket.SHUT_WR)
        self.read_to_eof(sock, rec)


class HalfCloseBackend(Backend):
    """Reads until EOF, then answers with reply(record) and closes."""

    def __init__(self, reply=None):
        super().__init__()
        self.reply = reply or (lambda rec: ('got %d bytes %s\n' % (rec.count,
            rec.digest())).encode())

    def serve(self, sock, rec):
        self.read_to_eof(sock, rec)
        sock.sendall(self.reply(rec))


class RecordBackend(Backend):
    """Records the first bytes (up to limit) of each connection, echoing when asked."""

    def __init__(self, limit=1 << 20, echo=False):
        super().__init__()
        self.record_limit = limit
        self.echo = echo

    def serve(self, sock, rec):
        self.read_to_eof(sock, rec, echo=self.echo)
