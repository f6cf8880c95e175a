#!/usr/bin/python3
"""The control socket under load: 100 clients at once, a subscriber that never reads (dropped
after 4 MiB, the daemon and other subscribers unaffected), and a client that sends requests
but never reads the answers."""

import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlutil as cu  # noqa: E402
import harness as h  # noqa: E402
from ctlutil import greeted_tunnel, live_entry, refused, setup  # noqa: E402

suite = h.Suite('control socket under load')


@suite.case('100 clients at once, each asks status and connections.list', timeout=90)
def many_clients(ctx):
    d = setup(ctx)
    live = greeted_tunnel(ctx, d)
    first = ctx.control(d)
    tid = h.wait_for(lambda: live_entry(first, live), 5, 'the live tunnel listed')['id']
    n = 100
    barrier = threading.Barrier(n, timeout=30)

    def client(i):
        ctl = cu.control_blocking(d.control, timeout=30)
        try:
            barrier.wait()
            st = ctl.call('status', timeout=30)
            h.check(st['counters']['active'] >= 1, 'client %d: status %r' % (i, st))
            items = ctl.call('connections.list', timeout=30)
            h.check(tid in [c['id'] for c in items], 'client %d: %d not in %r' % (i, tid,
                items))
        finally:
            ctl.close()
    h.run_threads(client, [(i,) for i in range(n)], 60)
    h.check('too many control clients' not in d.log_text(), '100 clients were too many')
    live.sendall(b'still')
    h.check_eq(live.recv_exact(5), b'still', 'the tunnel after 100 control clients')
    cu.still_answers(first, '100 clients')


@suite.case('a subscriber that never reads is dropped; tunnels and other subscribers go on',
    timeout=150)
def slow_subscriber(ctx):
    d = setup(ctx)
    slow = h.Control(d.control)
    ctx.on_cleanup(slow.close)
    slow.subscribe()
    fast = h.Control(d.control)
    ctx.on_cleanup(fast.close)
    fast.subscribe()
    witness = h.Witness(greeted_tunnel(ctx, d))
    ctx.on_cleanup(witness.stop)

    seen = {'rejected': 0, 'bytes': 0, 'marks': set(), 'types': set(), 'error': None}
    stop = threading.Event()

    def read_fast():
        fast.sock.settimeout(0.2)
        buf = b''
        while not stop.is_set():
            try:
                data = fast.sock.recv(1 << 20)
            except socket.timeout:
                continue
            except OSError as e:
                seen['error'] = repr(e)
                return
            if not data:
                seen['error'] = 'EOF'
                return
            buf += data
            seen['bytes'] += len(data)
            *lines, buf = buf.split(b'\n')
            for line in lines:
                ev = json.loads(line).get('params', {})
                seen['types'].add(ev.get('type'))
                if ev.get('type') == 'upgrade.rejected':
                    seen['rejected'] += 1
                    if '/mark-' in ev.get('reason', ''):
                        seen['marks'].add(ev['reason'].split('/mark-')[1].split()[0])
    reader = threading.Thread(target=read_fast, daemon=True)
    reader.start()
    ctx.on_cleanup(lambda: (stop.set(), reader.join(5)))

    # refusals of a long path make big events; tunnels open and close between them
    long_path = '/' + 'p' * 3000
    refusals = tunnels = 0
    dropped_at = None
    for i in range(40000):
        if refused(d.port, long_path) != 404:
            raise h.Fail('refusal %d was not a 404' % i)
        refusals += 1
        if i % 100 == 0:
            t = greeted_tunnel(ctx, d)
            t.sendall(b'short')
            h.check_eq(t.recv_exact(5), b'short', 'a short tunnel during the flood')
            t.close()
            tunnels += 1
            if 'dropping slow subscriber' in d.log_text():
                dropped_at = i
                break
    h.check(dropped_at is not None, 'the slow subscriber was not dropped after %d refusals '
        'of %d-byte paths' % (refusals, len(long_path)))
    witness.check('the event flood', max_rtt=2.0)

    # the fast subscriber got every refusal, and gets the ones after the drop
    for k in range(20):
        h.check_eq(refused(d.port, '/mark-%d' % k), 404, 'refusal after the drop')
    want = {str(k) for k in range(20)}
    h.wait_for(lambda: want <= seen['marks'], 10, 'the refusals after the drop at the fast '
        'subscriber (got %r, error %r)' % (sorted(seen['marks']), seen['error']))
    h.wait_for(lambda: seen['rejected'] == refusals + 20, 10, 'every refusal at the fast '
        'subscriber (%d of %d)' % (seen['rejected'], refusals + 20))
    h.check(seen['error'] is None, 'the fast subscriber: %s' % seen['error'])
    stop.set()
    reader.join(5)
    cu.still_answers(fast, 'the flood (fast subscriber)')
    h.check('subscription.dropped' not in seen['types'], 'the fast subscriber was dropped')

    # the slow one: what was queued, the last line subscription.dropped, then EOF
    slow.sock.settimeout(10)
    data = b''
    for _ in range(100000):
        d_ = slow.sock.recv(1 << 20)
        if not d_:
            break
        data += d_
        h.check(len(data) <= 16 << 20, 'more than 16 MiB queued for the slow subscriber')
    lines = data.rstrip(b'\n').split(b'\n')
    last = json.loads(lines[-1])
    h.check_eq(last.get('method'), 'event', 'last line of the slow subscriber: %r' % last)
    h.check_eq(last['params'].get('type'), 'subscription.dropped', 'last event type')
    h.check(last['params'].get('reason'), 'no reason in subscription.dropped')
    for line in lines[:-1]:
        h.check(json.loads(line)['params']['type'] != 'subscription.dropped',
            'subscription.dropped before the end')
    h.check((4 << 20) - 8192 <= len(data) <= (4 << 20) + (2 << 20), 'the slow subscriber '
        'was dropped with %d bytes behind (expected about 4 MiB)' % len(data))
    h.check(d.alive(), 'the daemon died')
    print('# %d refusals and %d tunnels until the drop; %d bytes at the slow subscriber, '
        '%d at the fast one' % (refusals, tunnels, len(data), seen['bytes']), flush=True)


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise h.Fail('no VmRSS for pid %d' % pid)


@suite.case('a client that sends requests and never reads the answers: the daemon holds a '
    'bounded amount for it and serves others', timeout=90)
def never_reads_answers(ctx):
    be = ctx.backend(h.EchoBackend)
    port = h.free_port()
    # 40 routes: each policy.get answer is a few KiB
    d = ctx.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('r%02d' % i, be, path='/r%02d' % i) for i in range(40)]))
    d.port = port
    other = ctx.control(d)
    witness = h.Witness(ctx.tunnel(port, '/r00'))
    ctx.on_cleanup(witness.stop)
    answer_len = len(json.dumps(other.call('policy.get')))
    base = rss_kib(d.proc.pid)

    hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ctx.on_cleanup(hog.close)
    hog.connect(d.control)
    hog.settimeout(2)
    line_len = len(cu.request_line('policy.get', '%08d' % 0))
    batch = b''.join(cu.request_line('policy.get', '%08d' % k) for k in range(1000))
    # The answers to what we sent, less what the kernel's socket buffers hold, are in the
    # daemon's memory: past HELD_MAX of them, the daemon did not hold back.
    held_max = 64 << 20
    sent_bytes, outcome = 0, None
    t_end = time.monotonic() + 20
    for _ in range(1000000):
        if time.monotonic() >= t_end:
            outcome = 'was still reading after 20 s'
            break
        view = memoryview(batch)[sent_bytes % len(batch):]
        try:
            n = hog.send(view)
        except socket.timeout:
            outcome = 'stopped reading'
            break
        except (BrokenPipeError, ConnectionResetError):
            outcome = 'closed the session'
            break
        sent_bytes += n
        if (sent_bytes // line_len) * answer_len > held_max + (4 << 20):
            outcome = 'kept reading'
            break
    requests = sent_bytes // line_len
    grown = rss_kib(d.proc.pid) - base
    print('# %d requests sent (answers of %d bytes each); the daemon %s; its RSS grew by '
        '%d KiB' % (requests, answer_len, outcome, grown), flush=True)
    h.check(outcome in ('stopped reading', 'closed the session'), 'the daemon %s: it read '
        '%d requests whose %d MiB of answers a client does not read (its RSS grew by %d MiB)'
        % (outcome, requests, requests * answer_len >> 20, grown >> 10))
    witness.check('a client that never reads', max_rtt=2.0)
    cu.still_answers(other, 'a client that never reads (another session)')
    if outcome == 'stopped reading':
        # it only paused: every whole request is answered, in order, once the client reads
        hog.settimeout(10)
        buf, got = b'', 0
        for _ in range(10000000):
            if got == requests:
                break
            d_ = hog.recv(1 << 20)
            h.check(d_, 'EOF after %d of %d answers' % (got, requests))
            buf += d_
            *lines, buf = buf.split(b'\n')
            for line in lines:
                h.check_eq(json.loads(line).get('id'), '%08d' % (got % 1000), 'answer order')
                got += 1


suite.run()
