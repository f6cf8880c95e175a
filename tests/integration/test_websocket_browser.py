#!/usr/bin/python3
"""websocket mode with a real browser: headless Chromium loads a page (served over plain HTTP on
loopback) that talks to the daemon over wss:// and ws://: text and binary echo, a 1 MiB
message, text_messages, a subprotocol, the Origin check, the close handshake both ways. The
page writes its results into the DOM, which the test reads with --dump-dom (browser.py)."""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import wsutil as w  # noqa: E402
from browser import PageServer, chromium_dump, need_chromium, page_results  # noqa: E402

STEP_MS = 20000

suite = h.Suite('websocket browser')

# Each step resolves to a short verdict string; "ok" means it passed.
PAGE = r'''<!doctype html>
<html><head><meta charset="utf-8"><title>switchboard websocket</title></head>
<body><pre id="result">pending</pre>
<iframe src="/hold"></iframe>
<script>
const CFG = %(cfg)s;
const enc = new TextEncoder();

function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function open(url, protocols) {
  return new Promise((resolve, reject) => {
    const ws = protocols ? new WebSocket(url, protocols) : new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.queue = [];
    ws.waiter = null;
    ws.closed = null;
    ws.onmessage = (e) => { ws.queue.push(e.data); if (ws.waiter) ws.waiter(); };
    ws.onclose = (e) => {
      ws.closed = { code: e.code, reason: e.reason, clean: e.wasClean };
      if (ws.waiter) ws.waiter();
      reject(new Error('closed before open: ' + e.code));
    };
    ws.onopen = () => resolve(ws);
  });
}

function next(ws) {
  return new Promise((resolve, reject) => {
    const take = () => {
      if (ws.queue.length) { ws.waiter = null; resolve(ws.queue.shift()); }
      else if (ws.closed) { ws.waiter = null; reject(new Error('closed: ' + ws.closed.code)); }
    };
    ws.waiter = take;
    take();
  });
}

function closed(ws) {
  return new Promise((resolve) => {
    const check = () => { if (ws.closed) { ws.waiter = null; resolve(ws.closed); } };
    ws.waiter = check;
    check();
  });
}

// Binary messages until n bytes came back (message boundaries are the backend's).
async function recvBytes(ws, n) {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const m = await next(ws);
    if (typeof m === 'string') throw new Error('text message on a binary route');
    const b = new Uint8Array(m);
    if (got + b.length > n) throw new Error('more bytes than sent');
    out.set(b, got);
    got += b.length;
  }
  return out;
}

async function recvText(ws, n) {
  let s = '';
  while (s.length < n) {
    const m = await next(ws);
    if (typeof m !== 'string') throw new Error('binary message on a text route');
    s += m;
  }
  return s;
}

async function echo(url) {
  const ws = await open(url);
  const text = 'h\u00e9llo from chromium \u20ac';
  ws.send(text);
  if (!bytesEqual(await recvBytes(ws, enc.encode(text).length), enc.encode(text)))
    return 'text echo differs';
  const small = new Uint8Array(256).map((_, i) => i);
  ws.send(small);
  if (!bytesEqual(await recvBytes(ws, 256), small)) return 'binary echo differs';
  const big = new Uint8Array(1 << 20).map((_, i) => (i * 31 + (i >> 11)) & 255);
  ws.send(big);
  if (!bytesEqual(await recvBytes(ws, big.length), big)) return '1 MiB echo differs';
  ws.close(4000, 'page done');
  const c = await closed(ws);
  if (c.code !== 4000 || !c.clean) return 'close: ' + JSON.stringify(c);
  return 'ok';
}

async function textRoute(url) {
  const ws = await open(url);
  const text = 'text \u00fc\u20ac\ud83d\ude00 messages';
  ws.send(text);
  const back = await recvText(ws, text.length);
  if (back !== text) return 'text route echo: ' + JSON.stringify(back);
  ws.close();
  const c = await closed(ws);
  return c.code === 1005 || c.code === 1000 ? 'ok' : 'close: ' + JSON.stringify(c);
}

async function subprotocol(url) {
  const ws = await open(url, ['chat', 'binary']);
  const p = ws.protocol;
  ws.close(1000);
  await closed(ws);
  return p === 'binary' ? 'ok' : 'protocol ' + JSON.stringify(p);
}

async function originOk(url) {
  const ws = await open(url);
  ws.send('o');
  await recvBytes(ws, 1);
  ws.close(1000);
  await closed(ws);
  return 'ok';
}

async function originRefused(url) {
  try {
    const ws = await open(url);
    ws.close();
    return 'opened';
  } catch (e) {
    return 'refused';
  }
}

async function backendCloses(url, total) {
  const ws = await open(url);
  const got = await recvBytes(ws, total);
  const c = await closed(ws);
  if (c.code !== 1000 || !c.clean) return 'close: ' + JSON.stringify(c);
  return got.length === total ? 'ok' : 'got ' + got.length;
}

function bounded(p, ms) {
  return Promise.race([p, new Promise((r) => setTimeout(() => r('timed out'), ms))]);
}

async function main() {
  const results = {};
  const steps = [
    ['wss echo', () => echo(CFG.wss + '/echo')],
    ['ws echo', () => echo(CFG.ws + '/echo')],
    ['wss text_messages', () => textRoute(CFG.wss + '/text')],
    ['wss subprotocol', () => subprotocol(CFG.wss + '/proto')],
    ['wss origin allowed', () => originOk(CFG.wss + '/origin-ok')],
    ['wss origin refused', () => originRefused(CFG.wss + '/origin-bad')],
    ['wss backend closes', () => backendCloses(CFG.wss + '/source', CFG.source_bytes)],
  ];
  for (const [name, fn] of steps) {
    try {
      results[name] = await bounded(fn(), CFG.step_ms);
    } catch (e) {
      results[name] = 'error: ' + e.message;
    }
  }
  document.getElementById('result').textContent = JSON.stringify(results);
  await fetch('/done', { method: 'POST', body: JSON.stringify(results) });
}
main();
</script></body></html>
'''

EXPECTED = {
    'wss echo': 'ok', 'ws echo': 'ok', 'wss text_messages': 'ok', 'wss subprotocol': 'ok',
    'wss origin allowed': 'ok', 'wss origin refused': 'refused', 'wss backend closes': 'ok',
}


@suite.case('headless Chromium: echo, text_messages, subprotocol, Origin, closes', timeout=180)
def _(t):
    need_chromium()
    total = 300000
    source = t.backend(h.SourceBackend, total, 13)
    server = PageServer()
    server.start()
    t.on_cleanup(server.stop)
    d, ports = w.ws_daemon(t, [
        w.ws_route('echo', 'builtin:echo', '/echo'),
        w.ws_route('text', 'builtin:echo', '/text', text_messages=True),
        w.ws_route('proto', 'builtin:echo', '/proto', subprotocols=['binary']),
        w.ws_route('origin-ok', 'builtin:echo', '/origin-ok', origins=[server.origin]),
        w.ws_route('origin-bad', 'builtin:echo', '/origin-bad',
            origins=['https://elsewhere.example']),
        w.ws_route('source', source, '/source')])
    cfg = {'wss': 'wss://127.0.0.1:%d' % ports[True], 'ws': 'ws://127.0.0.1:%d' % ports[None],
        'source_bytes': total, 'step_ms': STEP_MS}
    server.page = (PAGE % {'cfg': json.dumps(cfg)}).encode()
    results = page_results(chromium_dump(t, server.origin + '/'))
    h.check(server.posted is not None and json.loads(server.posted) == results,
        'the page posted %r, its DOM says %r' % (server.posted, results))
    print('# page results: %s' % json.dumps(results, sort_keys=True))
    bad = {k: v for k, v in results.items() if EXPECTED.get(k) != v}
    missing = sorted(set(EXPECTED) - set(results))
    h.check(not bad and not missing, 'page results differ: %r; missing %r (all: %r)' % (bad,
        missing, results))
    refusals = re.findall(r'refused 403 route origin-bad: .*', d.log_text())
    h.check(refusals, 'the daemon logged no 403 for the refused origin')
    d.stop()


suite.run()
