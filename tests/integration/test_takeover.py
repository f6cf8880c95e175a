#!/usr/bin/python3
"""switchboardd --takeover: a new daemon takes the listening sockets of the running one over its
control socket, serves, and the old one drains. Under 200 new WebSocket connections a second
none is refused or reset, a tunnel of the old daemon keeps echoing until its client closes it,
and the old daemon exits after its drain. Only the socket's owner may take over; a new daemon
that cannot start leaves the old one serving."""

import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402

suite = h.Suite('takeover')

RATE = 200        # new connections a second
BEFORE_S = 1.5    # of load before the new daemon starts
AFTER_S = 2.0     # of load once it serves
WORKERS = 12
OTHER_UID = 65534


def swap_policy(plain, tls, drain_timeout=60):
    return h.policy(
        [h.plain_listener('plain', plain), h.tls_listener('tls', tls, h.localhost_pair())],
        [w.ws_route('ws', 'builtin:echo', '/ws')],
        limits={'drain_timeout_s': drain_timeout})


def new_daemon(t, old, policy, same_control=True, name='new'):
    """A daemon object for the replacement; started by the caller."""
    d = h.Daemon(t, policy, args=['--takeover', old.control], name=name)
    if same_control:
        d.control = old.control
    t.daemons.append(d)
    return d


def one_connection(port, i):
    """Connect, shake hands, echo one message, close; None when all went well, else why."""
    conn = None
    try:
        conn = h.connect(port, timeout=h.scaled(10))
        resp = w.handshake(conn, '/ws')
        if resp.status != 101:
            return 'status %d %r' % (resp.status, resp.body[:80])
        ws = w.WsConn(conn)
        msg = b'hello %d' % i
        ws.sendall(msg)
        got = ws.recv_exact(len(msg))
        if got != msg:
            return 'echo %r for %r' % (got, msg)
        ws.close()
        return None
    except ConnectionRefusedError:
        return 'refused'
    except ConnectionResetError:
        return 'reset'
    except (OSError, h.Fail) as e:
        return '%s: %s' % (type(e).__name__, e)
    finally:
        if conn is not None:
            conn.close()


class Load:
    """RATE new connections a second from WORKERS threads, each counted, until stop()."""

    def __init__(self, port, limit):
        self.port, self.limit = port, limit
        self.lock = threading.Lock()
        self.next = 0
        self.results = {}
        self.stopping = False
        self.start = time.monotonic()
        self.threads = [threading.Thread(target=self._run, daemon=True)
                        for _ in range(WORKERS)]
        for th in self.threads:
            th.start()

    def _run(self):
        for _ in range(self.limit):
            with self.lock:
                if self.stopping or self.next >= self.limit:
                    return
                i = self.next
                self.next += 1
            delay = self.start + i / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            why = one_connection(self.port, i)
            with self.lock:
                self.results[i] = why

    def stop(self):
        with self.lock:
            self.stopping = True
        for th in self.threads:
            th.join(h.scaled(30))
        h.check(not any(th.is_alive() for th in self.threads), 'load threads finished')
        return self.results


def echo(ws, data, what):
    ws.sendall(data)
    h.check_eq(ws.recv_exact(len(data)), data, what)


@suite.case('a takeover under %d new connections a second refuses and resets none' % RATE,
    timeout=180)
def _(t):
    plain, tls = h.free_port(), h.free_port()
    pol = swap_policy(plain, tls)
    old = t.daemon(pol, name='old')
    live = {k: w.open_ws(t, port, '/ws', tls=k) for k, port in ((None, plain), (True, tls))}
    for k, ws in live.items():
        echo(ws, b'before', 'echo on the old daemon before the swap')

    load = Load(plain, int(RATE * (BEFORE_S + AFTER_S + 30)))
    time.sleep(BEFORE_S)
    new = new_daemon(t, old, pol)
    new.start()
    swapped = time.monotonic()
    old.wait_log(r'daemon\.drain from uid', 10)
    h.check(old.alive(), 'the old daemon drains while its tunnels are open')
    for k, ws in live.items():
        echo(ws, b'during', 'echo on the old daemon during the swap')
    time.sleep(max(0.0, AFTER_S - (time.monotonic() - swapped)))
    results = load.stop()

    failed = {i: why for i, why in results.items() if why is not None}
    kinds = {}
    for why in failed.values():
        kinds[why.split(':')[0]] = kinds.get(why.split(':')[0], 0) + 1
    elapsed = time.monotonic() - load.start
    h.Tap().diag('%d connections in %.1f s (%.0f a second); failed: %r' % (len(results), elapsed,
        len(results) / elapsed, kinds))
    h.check(len(results) >= RATE * (BEFORE_S + AFTER_S) / 2,
        'at least half the planned connections ran (%d)' % len(results))
    h.check_eq(sorted(failed.items())[:5], [], 'connections refused, reset or broken')

    # Both served part of the load: the swap happened in the middle of it.
    new_ctl = t.control(new)
    st = new_ctl.call('status')
    h.check(not st['draining'], 'the new daemon serves on the control socket path')
    h.check(st['counters']['accepted'] > 0, 'the new daemon accepted connections')
    h.check_in('passing 3 sockets', old.log_text(), 'the old daemon\'s log')
    h.check_in('using socket 127.0.0.1:%d passed by the daemon taken over' % plain,
        new.log_text(), 'the new daemon\'s log')

    # The old daemon's tunnels flow until their clients close them; then it exits.
    for k, ws in live.items():
        data = os.urandom(256 << 10)
        echo(ws, data, 'a 256 KiB echo on the old daemon after the swap')
    live[None].close()
    time.sleep(0.3)
    h.check(old.alive(), 'the old daemon waits for its last tunnel')
    echo(live[True], b'last', 'echo on the old daemon\'s last tunnel')
    live[True].close()
    old.expect_exit(0, 10)
    h.check(os.path.exists(old.control), 'the old daemon left the control socket file')
    h.check_eq(t.control(new).call('status')['draining'], False, 'status after the old exit')
    new.stop()


@suite.case('the metrics socket goes over too: GET /metrics on the new daemon right after the swap')
def _(t):
    plain, tls, mport = h.free_port(), h.free_port(), h.free_port()
    pol = swap_policy(plain, tls)
    pol['metrics'] = '127.0.0.1:%d' % mport
    old = t.daemon(pol, name='old')
    for i in range(5):
        h.check(one_connection(plain, i) is None, 'a connection to the old daemon')
    h.wait_for(lambda: h.metric(mport, 'connections_accepted_total') >= 7, 10,
        'the old daemon\'s metrics to count its connections')
    ws = w.open_ws(t, plain, '/ws')   # keeps the old daemon draining, not gone
    old_ctl = t.control(old)
    new = new_daemon(t, old, pol, same_control=False)
    new.start()
    old.wait_log(r'daemon\.drain from uid', 10)
    h.check_in('passing 4 sockets', old.log_text(), 'the old daemon\'s log')
    h.check_in('metrics: using socket 127.0.0.1:%d passed by the daemon taken over' % mport,
        new.log_text(), 'the new daemon\'s log')
    h.check('cannot listen' not in new.log_text(), 'the new daemon binds no metrics of its own')
    new_ctl = t.control(new)
    old_count = old_ctl.call('status')['counters']['accepted']
    h.check(old_count >= 8, 'the old daemon\'s count (%d)' % old_count)

    def scrape_is_new(what):
        """A scrape between two status calls of the new daemon counts as they do."""
        before = new_ctl.call('status')['counters']['accepted']
        got = h.metric(mport, 'connections_accepted_total')
        after = new_ctl.call('status')['counters']['accepted']
        h.check(before <= got <= after and got < old_count,
            '%s: connections_accepted_total %d, the new daemon %d..%d, the old %d' % (what,
            got, before, after, old_count))

    # the old daemon stopped answering there: every scrape is the new daemon's
    for _ in range(10):
        scrape_is_new('while the old daemon drains')
    echo(ws, b'old', 'echo on the old daemon\'s tunnel')
    ws.close()
    old.expect_exit(0, 10)
    # the old daemon's exit leaves the shared socket listening
    for _ in range(3):
        scrape_is_new('after the old daemon exited')
    new.stop()


@suite.case('a separate control socket: the old daemon answers on its own while it drains')
def _(t):
    plain, tls = h.free_port(), h.free_port()
    pol = swap_policy(plain, tls)
    old = t.daemon(pol, name='old')
    ws = w.open_ws(t, plain, '/ws')
    # A request half sent when the swap comes: the old daemon accepted it, so it answers it.
    old_ctl = t.control(old)
    pending = w.HalfHandshake(t, plain, old_ctl)
    new = new_daemon(t, old, pol, same_control=False)
    new.start()
    h.wait_for(lambda: old_ctl.call('status')['draining'], 10, 'the old daemon to drain')
    pending = pending.finish('the request the old daemon had accepted before the swap')
    echo(pending, b'late', 'echo on it')
    h.check_eq(len(old_ctl.call('connections.list')), 2, 'the old daemon\'s tunnels')
    pending.close()
    h.check_eq(len(t.control(new).call('connections.list')), 0, 'the new daemon\'s tunnels')
    fresh = w.open_ws(t, plain, '/ws')
    echo(fresh, b'new', 'echo on a connection made after the swap')
    h.check_eq(len(t.control(new).call('connections.list')), 1, 'it is the new daemon\'s')
    echo(ws, b'still', 'echo on the old daemon')
    ws.close()
    old.expect_exit(0, 10)
    h.check(os.path.exists(new.control), 'the new daemon\'s control socket')
    h.check(not os.path.exists(old.control), 'the old daemon removed its own control socket')


@suite.case('a new daemon that cannot start leaves the old one serving')
def _(t):
    plain, tls = h.free_port(), h.free_port()
    pol = swap_policy(plain, tls)
    old = t.daemon(pol, name='old')
    # a third listener on a port someone else holds: the new daemon cannot bind it
    taken = socket.socket()
    taken.bind(('127.0.0.1', 0))
    taken.listen(1)
    t.on_cleanup(taken.close)
    bad = swap_policy(plain, tls)
    bad['listeners'].append(h.plain_listener('taken', taken.getsockname()[1]))
    new = new_daemon(t, old, bad)
    new._log = open(new.log_path, 'ab')
    t.on_cleanup(new._log.close)
    new.proc = subprocess.Popen(new.argv(), stdin=subprocess.DEVNULL, stdout=new._log,
        stderr=subprocess.STDOUT, start_new_session=True)
    new.expect_exit(2, 15)
    h.check_in('Address already in use', new.log_text(), 'the new daemon\'s reason')
    st = t.control(old).call('status')
    h.check(not st['draining'], 'the old daemon does not drain')
    for port, tls in ((plain, None), (tls, True)):
        ws = w.open_ws(t, port, '/ws', tls=tls)
        echo(ws, b'old', 'echo on the old daemon after the failed takeover')
        ws.close()
    old.stop()


@suite.case('only root or the daemon\'s own user may take over')
def _(t):
    if os.geteuid() != 0:
        raise h.Skip('needs root to connect as another uid')
    plain, tls = h.free_port(), h.free_port()
    pol = swap_policy(plain, tls)
    pol['control'] = {'mode': '0666', 'allow_uids': [OTHER_UID]}
    old = t.daemon(pol, name='old')
    for p in (t.tmp, old.dir):
        os.chmod(p, 0o755)
    script = ('import json,socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(10); '
              's.connect(sys.argv[1]); '
              'st=[{"jsonrpc":"2.0","id":1,"method":"status"},'
              '{"jsonrpc":"2.0","id":2,"method":"daemon.takeover"},'
              '{"jsonrpc":"2.0","id":3,"method":"daemon.drain"}]; '
              's.sendall(b"".join(json.dumps(m).encode()+b"\\n" for m in st)); '
              'f=s.makefile("rb"); [print(f.readline().decode().strip()) for _ in st]')
    r = subprocess.run(['setpriv', '--reuid=%d' % OTHER_UID, '--regid=%d' % OTHER_UID,
        '--clear-groups', '--', sys.executable, '-c', script, old.control],
        capture_output=True, text=True, timeout=h.scaled(30))
    lines = r.stdout.splitlines()
    h.check_eq(len(lines), 3, 'answers to the other user (stderr: %s)' % r.stderr)
    h.check_in('"result"', lines[0], 'status for an allowed uid')
    for line in lines[1:]:
        h.check_in('-32005', line, 'daemon.* for a uid that is not the owner')
    h.check(not t.control(old).call('status')['draining'], 'the old daemon still serves')
    old.stop()


suite.run()
