"""ctlutil.py - control socket and switchboardctl helpers for the integration tests.

Raw lines on a harness Control session (so a test can send what no client
would: broken JSON, half lines, huge lines, bad bytes), JSON-RPC error checks,
RFC 3339 times, a client run as another uid, and a small daemon to talk to.
"""

import datetime
import json
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time

import harness as h

PARSE, INVALID_REQUEST, NO_METHOD, BAD_PARAMS = -32700, -32600, -32601, -32602
POLICY_INVALID, STALE_REVISION, NO_SUCH_CONNECTION, POLICY_WRITE = (-32000, -32001, -32002,
    -32003)

CONN_FIELDS = ('id', 'listener', 'route', 'mode', 'client', 'backend', 'started', 'bytes_up',
    'bytes_down', 'state')

RFC3339 = re.compile(r'^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$')

NOBODY = 65534


def unix_time(text, what):
    """The seconds since the epoch of an RFC 3339 time; Fail when it is not one."""
    h.check(isinstance(text, str) and RFC3339.match(text), '%s: not an RFC 3339 time: %r' %
        (what, text))
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00')).timestamp()


def check_recent(text, what, slack=60):
    t = unix_time(text, what)
    now = time.time()
    h.check(now - slack <= t <= now + 5, '%s: %r is not close to now (%.3f)' % (what, text, now))
    return t


def send_raw(ctl, data):
    ctl.sock.sendall(data)


def request_line(method, id=None, params=None):
    req = {'jsonrpc': '2.0', 'method': method}
    if id is not None:
        req['id'] = id
    if params is not None:
        req['params'] = params
    return json.dumps(req).encode() + b'\n'


def next_answer(ctl, timeout=10):
    """The next message with an id key (events read meanwhile are kept for wait_event)."""
    deadline = time.monotonic() + timeout
    for _ in range(100000):
        msg = ctl._message(deadline)
        if 'id' in msg:
            return msg
        ctl.events.append(msg.get('params', {}))
    raise h.Fail('control: no answer')


def expect_error(msg, code, id, what):
    """The error object of msg, checked: JSON-RPC 2.0, this code, this id, a message."""
    h.check_eq(msg.get('jsonrpc'), '2.0', '%s: jsonrpc' % what)
    h.check('error' in msg and 'result' not in msg, '%s: expected an error, got %r' %
        (what, msg))
    err = msg['error']
    h.check_eq(err.get('code'), code, '%s: error code (message %r)' % (what,
        err.get('message')))
    h.check_eq(msg.get('id'), id, '%s: id of the error' % what)
    h.check(isinstance(err.get('message'), str) and err['message'],
        '%s: error without a message: %r' % (what, err))
    return err


def call_error(ctl, method, params, code, what, id=9000):
    """Sends one request that must fail with code; returns the error object."""
    send_raw(ctl, request_line(method, id, params))
    return expect_error(next_answer(ctl), code, id, what)


def still_answers(ctl, what):
    """The session survived: a status request on it is answered."""
    try:
        st = ctl.call('status')
    except (OSError, h.Fail) as e:
        raise h.Fail('after %s the session no longer answers status: %s' % (what, e))
    h.check(isinstance(st.get('counters'), dict), 'status after %s: %r' % (what, st))


def control_blocking(path, timeout=h.SOCK_TIMEOUT):
    """
    A harness Control whose connect blocks while the daemon's listen backlog is
    full, as switchboardctl's does (a socket with a timeout is non-blocking, and
    a non-blocking connect to a full UNIX socket backlog fails with EAGAIN).
    """
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    sock.settimeout(timeout)
    ctl = h.Control.__new__(h.Control)
    ctl.sock, ctl.buf, ctl.next_id, ctl.events = sock, b'', 1, []
    return ctl


# A client run with setpriv as another uid: connects, sends one status request, and prints
# one JSON line: {"connect": null or the errno name, "data": what came back, "closed": null,
# "EOF" or the errno name of the read that found the socket closed}.
AS_USER_CLIENT = r'''
import errno, json, socket, sys
out = {'connect': None, 'data': '', 'closed': None}
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
except OSError as e:
    out['connect'] = errno.errorcode.get(e.errno, str(e.errno))
else:
    try:
        s.sendall(b'{"jsonrpc": "2.0", "id": 1, "method": "status"}\n')
    except OSError:
        pass
    buf = b''
    try:
        while len(buf) < 65536:
            d = s.recv(4096)
            if not d:
                out['closed'] = 'EOF'
                break
            buf += d
            if b'"result"' in buf and buf.endswith(b'\n'):
                break
    except socket.timeout:
        pass
    except OSError as e:
        # closed with our request unread: a reset after the daemon's line
        out['closed'] = errno.errorcode.get(e.errno, str(e.errno))
    out['data'] = buf.decode(errors='replace')
print(json.dumps(out))
'''


def as_user(socket_path, uid=NOBODY):
    """Runs AS_USER_CLIENT as uid (and gid uid, no other groups); returns its JSON line."""
    argv = ['setpriv', '--reuid', str(uid), '--regid', str(uid), '--clear-groups',
        '/usr/bin/python3', '-c', AS_USER_CLIENT, socket_path]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise h.Fail('%s: exit %d: %s' % (' '.join(argv[:7]), r.returncode, r.stderr[-2000:]))
    try:
        return json.loads(r.stdout)
    except ValueError:
        raise h.Fail('the client run as uid %d printed %r' % (uid, r.stdout[-500:]))


# ---------------------------------------------------------------------------
# switchboardctl

OK, REFUSED, UNREACHABLE = 0, 1, 2
SANITIZER = re.compile(r'ERROR: (Address|Leak)Sanitizer|runtime error:')


def ctl_path():
    return os.path.join(h.build_root(), 'daemon', 'switchboardctl')


class Result:
    def __init__(self, argv, proc):
        self.argv, self.rc, self.out, self.err = argv, proc.returncode, proc.stdout, proc.stderr

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError:
            raise h.Fail('%s: stdout is not JSON: %r' % (' '.join(self.argv), self.out[:500]))

    def expect(self, rc):
        if self.rc != rc:
            raise h.Fail('%s: exit %d, expected %d\nstdout: %s\nstderr: %s' % (
                ' '.join(self.argv), self.rc, rc, self.out[-3000:], self.err[-2000:]))
        return self


def ctl(d, *args, timeout=30, input=None):
    """Runs switchboardctl on daemon d's socket (d may be a socket path; None: no --socket,
    for the commands that need no daemon)."""
    sock = d if isinstance(d, str) or d is None else d.control
    argv = [ctl_path()] + (['--socket', sock] if sock is not None else []) + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
        input=input, stdin=None if input is not None else subprocess.DEVNULL)
    if SANITIZER.search(p.stderr):
        raise h.Fail('%s: sanitizer report:\n%s' % (' '.join(argv), p.stderr[-3000:]))
    return Result(argv, p)


class Lines:
    """Reads a child's stdout line by line, with deadlines."""

    def __init__(self, proc):
        self.proc, self.buf = proc, b''

    def next_json(self, timeout):
        line = self.next(timeout)
        try:
            return json.loads(line)
        except ValueError:
            raise h.Fail('not a JSON line: %r' % line)

    def next(self, timeout):
        deadline = time.monotonic() + timeout
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise h.Fail('watch: no line within %.1f s (have %r)' % (timeout, self.buf))
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                d = os.read(self.proc.stdout.fileno(), 65536)
                if not d:
                    raise h.Fail('watch: output ended (have %r)' % self.buf)
                self.buf += d
        line, self.buf = self.buf.split(b'\n', 1)
        return line.decode()

    def until(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        seen = []
        for _ in range(10000):
            line = self.next(max(0.0, deadline - time.monotonic()))
            if pred(line):
                return line
            seen.append(line)
        raise h.Fail('watch: no %s among %r' % (what, seen[-10:]))



def start_ctl(ctx, d, *args):
    """switchboardctl running in the background on d's socket, its stdout as Lines."""
    sock = d if isinstance(d, str) else d.control
    proc = subprocess.Popen([ctl_path(), '--socket', sock] + list(args),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)

    def stop():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    ctx.on_cleanup(stop)
    return Lines(proc)


# ---------------------------------------------------------------------------
# A daemon to talk to


GREETING = b'hello from the backend\n'


class GreetEchoBackend(h.Backend):
    """Sends GREETING first, then echoes: bytes down differ from bytes up."""
    record_limit = 0

    def serve(self, sock, rec):
        sock.sendall(GREETING)
        self.read_to_eof(sock, rec, echo=True)
        sock.shutdown(socket.SHUT_WR)


class HoldBackend(h.Backend):
    """Echoes until EOF, then keeps its side open until released (a half-closed tunnel)."""
    record_limit = 0

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    def serve(self, sock, rec):
        self.read_to_eof(sock, rec, echo=True)
        self.release.wait(20)

    def stop(self):
        self.release.set()
        super().stop()


def setup(ctx, control=None, backend=GreetEchoBackend):
    """A daemon with a plain listener, /echo to the backend and /private for 10.0.0.0/8 only."""
    be = ctx.backend(backend)
    port = h.free_port()
    extra = {'control': control} if control is not None else {}
    p = h.policy([h.plain_listener('plain', port)],
        [h.route('echo', be, path='/echo'),
         h.route('private', be, path='/private', allow=['10.0.0.0/8'])], **extra)
    d = ctx.daemon(p)
    d.port, d.backend = port, be
    return d


def greeted_tunnel(ctx, d, path='/echo'):
    conn = ctx.tunnel(d.port, path)
    h.check_eq(conn.recv_exact(len(GREETING)), GREETING, 'backend greeting')
    return conn


def local_name(conn):
    return '%s:%d' % conn.sock.getsockname()


def live_entry(ctl, conn):
    """The connections.list entry of the tunnel whose client side is conn, or None."""
    for c in ctl.call('connections.list'):
        if c.get('client') == local_name(conn):
            return c
    return None


def refused(port, path):
    conn = h.connect(port)
    try:
        return h.upgrade(conn, path).status
    finally:
        conn.close()
