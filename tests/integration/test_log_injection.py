#!/usr/bin/python3
"""Control characters from the wire never reach a log, a refusal body or an event as they
came: a percent-decoded line feed or ESC in the path cannot forge a log line (text or JSON
format) nor reach the 404's body; a WebSocket close reason is escaped the same way."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402

suite = h.Suite('log injection')

FORGED = '2020-01-01T00:00:00.000Z info conn 1 forged'
# /x, a line feed, a whole forged log line, then an ESC sequence that clears a terminal
PATH = '/x%0a' + FORGED.replace(' ', '%20') + '%1b[2J%c2%9b31m%ff'
ESCAPED = '/x\\x0a' + FORGED + '\\x1b[2J\\xc2\\x9b31m\\xff'


def daemon(t, *args):
    echo = t.backend(h.EchoBackend)
    port = h.free_port()
    d = t.daemon(h.policy([h.plain_listener('plain', port)],
        [h.route('echo', echo, path='/echo'),
         w.ws_route('ws', 'builtin:echo', '/ws')]), args=args)
    return d, port


def refuse_path(t, port):
    """The request with the hostile path: a 404 whose body shows the path escaped."""
    conn = t.connect(port)
    resp = h.upgrade(conn, PATH)
    h.check_eq(resp.status, 404, 'status for the hostile path')
    body = resp.body.decode('utf-8')
    h.check_in(ESCAPED, body, 'the path in the 404 body, escaped')
    h.check(all(c >= ' ' for c in body.rstrip('\n')) and '\x7f' not in body,
        'no control character in the body: %r' % body)
    conn.close()


def log_bytes(d):
    with open(d.log_path, 'rb') as f:
        return f.read()


def check_log(d, what):
    raw = log_bytes(d)
    for bad in (b'\x1b', b'\x9b', b'\xff'):
        h.check(bad not in raw, '%s: %r in the daemon log' % (what, bad))
    lines = raw.decode('utf-8').splitlines()
    forged = [l for l in lines if l.startswith(FORGED[:11])]
    h.check(not forged, '%s: a forged log line: %r' % (what, forged))
    return lines


@suite.case('a line feed and ESC in the path: escaped in the text log, body and event')
def _(t):
    d, port = daemon(t)
    ctl = t.control(d)
    ctl.subscribe()
    refuse_path(t, port)
    d.wait_log(r'refused 404')
    lines = check_log(d, 'text log')
    refused = [l for l in lines if 'refused 404' in l]
    h.check_eq(len(refused), 1, 'refusal lines')
    h.check_in(ESCAPED, refused[0], 'the refusal line')
    ev = ctl.wait_event('upgrade.rejected', status=404)
    h.check_in(ESCAPED, ev['reason'], 'the reason of upgrade.rejected')


@suite.case('the same in the JSON log: every line one JSON object, the message escaped')
def _(t):
    d, port = daemon(t, '--log-format', 'json')
    refuse_path(t, port)
    d.wait_log(r'refused 404')
    lines = check_log(d, 'JSON log')
    messages = []
    for l in lines:
        try:
            messages.append(json.loads(l)['message'])
        except ValueError:
            raise h.Fail('not a JSON line in the log: %r' % l)
    refused = [m for m in messages if 'refused 404' in m]
    h.check_eq(len(refused), 1, 'refusal lines')
    h.check_in(ESCAPED, refused[0], 'the refusal message')


@suite.case('a WebSocket close reason with control characters: escaped in the event and log')
def _(t):
    d, port = daemon(t)
    ctl = t.control(d)
    ctl.subscribe()
    ws = w.open_ws(t, port, '/ws')
    ws.conn.sendall(w.frame(w.OP_CLOSE, w.close_payload(1000, b'bye\n' + FORGED.encode()
        + b'\x1b[2J')))
    w.expect_close(ws.conn, 1000, 'the echoed close')
    ev = ctl.wait_event('connection.closed', route='ws')
    h.check_in('bye\\x0a' + FORGED + '\\x1b[2J', ev['reason'], 'the close reason in the event')
    d.wait_log(r'route ws: closed')
    check_log(d, 'text log')


suite.run()
