#!/usr/bin/python3
"""Route auth never replays a credential: a tls-mode route (RFC 2817, the request
replayed inside TLS) and an h2c route (the request as stream 1) whose auth reads the
header, a cookie and the query (a subprotocol source is for mode websocket only, which
replays nothing); the backend records what it gets, and neither token is in it, while
the other cookies and parameters are."""

import os
import sys

import hpack  # noqa: F401 (test_h2c needs it; a missing module is a clear failure here)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import test_auth as ta  # noqa: E402
import test_h2c as th  # noqa: E402
import test_tls_upgrade as tu  # noqa: E402

suite = h.Suite('auth: no credential replayed')

FROM = ['header', 'cookie:sb_token', 'query:token']
# alice's token in the header and the query; bob's in the cookie
CREDENTIALS = [('Authorization', 'Bearer ' + ta.ALICE),
               ('Cookie', 'theme=dark; sb_token=%s; lang=en' % ta.BOB)]
TARGET = '/app?x=1&token=%s&y=2' % ta.ALICE


def no_token(text, what):
    for s in (ta.ALICE, ta.BOB):
        h.check(s not in text, '%s holds a token: %r' % (what, text))


def check_kept(headers, path, what):
    """headers: {lower-case name: value} the backend got."""
    h.check_eq(path, '/app?x=1&y=2', '%s: the target' % what)
    h.check('authorization' not in headers, '%s: Authorization reached the backend' % what)
    h.check_eq(headers.get('cookie'), 'theme=dark; lang=en', '%s: the other cookies' % what)
    h.check_eq(headers.get('x-custom'), 'kept', '%s: a header of its own' % what)


@suite.case('tls mode: the replayed request holds no token')
def _(t):
    be = t.backend(tu.ReplayBackend)
    port = h.free_port()
    pair = tu.route_pair()
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [tu.tls_route(
        be, pair, auth={'from': FROM, 'tokens': ta.tokens_file(t)})]))
    conn = t.connect(port)
    conn.sendall(tu.request_text('GET ' + TARGET, CREDENTIALS))
    tu.check_101(h.read_head(conn))
    tls = tu.verified_tls(conn, tu.ROUTE_CN)
    t.on_cleanup(tls.close)
    answer = h.read_response(tls)
    h.check_eq(answer.status, 200, 'the backend answered inside TLS')
    head = be.wait_head(0).head.decode('latin-1')
    no_token(head, 'the replayed request')
    no_token(answer.body.decode('latin-1'), 'the answer')
    lines = head.split('\r\n')
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(':', 1) for l in lines[1:])}
    check_kept(headers, lines[0].split(' ')[1], 'tls replay')
    h.check_in('alice', [c.get('identity') for c in t.control(d).call('connections.list')],
               'admitted as alice')
    tls.close()
    no_token(d.log_text(), 'the log')


@suite.case('h2c mode: stream 1 holds no token')
def _(t):
    be = t.backend(th.H2Backend)
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)], [h.route(
        'h2', be, upgrade='h2c', mode='h2c',
        auth={'from': FROM, 'tokens': ta.tokens_file(t)})]))
    cl = th.upgraded_client(t, port, 'GET', TARGET, headers=CREDENTIALS + [('X-Custom', 'kept')])
    hd, body, _ = cl.answer(1)
    h.check_eq(hd.get(b':status'), b'200', 'status on stream 1')
    h.wait_for(lambda: be.accepted() and getattr(be.records[0], 'requests', None), 10,
               'the backend to get stream 1')
    no_token(bytes(be.records[0].data).decode('latin-1'), 'the backend\'s bytes')
    sid, raw, _ = be.records[0].requests[0]
    h.check_eq(sid, 1, 'the first request is stream 1')
    headers = {k.decode(): v.decode() for k, v in raw}
    no_token(repr(headers), 'stream 1')
    check_kept(headers, headers.get(':path'), 'h2c stream 1')
    cl.conn.close()
    no_token(d.log_text(), 'the log')


if __name__ == '__main__':
    suite.run()
