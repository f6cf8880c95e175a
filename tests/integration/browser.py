"""browser.py - headless Chromium for the integration tests: a page served over plain HTTP on
loopback that writes its results into the DOM, which the test reads with --dump-dom.

--dump-dom serializes the DOM once the load event fired, so a page holds that event with an
iframe (<iframe src="/hold">) whose answer the server sends only when the page has posted its
results to /done (or after HOLD_S seconds). Virtual time (--virtual-time-budget) would not do:
it runs ahead while the page waits on network I/O, so the page's own timeouts would fire at once."""

import html
import http.server
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import threading

import harness as h

CHROMIUM = '/usr/bin/chromium'
HOLD_S = 90


def need_chromium():
    """Skip (a failure under SB_CI) where Chromium is not installed."""
    if not os.access(CHROMIUM, os.X_OK) or shutil.which('chromium') is None:
        raise h.Skip('chromium is not installed (Debian package chromium)')


class PageServer:
    """
    An HTTP server on loopback (HTTPS with tls, a CertPair): the page at /, /hold
    answered once the page POSTed its results to /done (kept in posted).
    """

    def __init__(self, tls=None):
        self.page = b''
        self.posted = None
        self.done = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self, status, body, ctype='text/html; charset=utf-8'):
                self.send_response(status)
                self.send_header('Content-Type', ctype)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == '/':
                    self.answer(200, outer.page)
                elif self.path == '/hold':
                    outer.done.wait(HOLD_S)
                    self.answer(200, b'<!doctype html><p>released</p>')
                else:
                    self.answer(404, b'not here\n', 'text/plain')

            def do_POST(self):
                n = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(min(n, 1 << 20))
                if self.path == '/done':
                    outer.posted = body
                    outer.done.set()
                self.answer(204 if self.path == '/done' else 404, b'', 'text/plain')

            def log_message(self, *args):
                pass
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.port = self.httpd.server_address[1]
        self.origin = '%s://127.0.0.1:%d' % ('https' if tls else 'http', self.port)
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls.cert, tls.key)
            # the handshake happens in the request's thread, not in the accept loop
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.done.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def chromium_dump(t, url):
    """Loads url in headless Chromium; returns the serialized DOM."""
    profile = tempfile.mkdtemp(prefix='chromium-', dir=t.tmp)
    argv = [CHROMIUM, '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
        '--no-first-run', '--disable-background-networking', '--disable-component-update',
        '--disable-sync', '--ignore-certificate-errors', '--user-data-dir=' + profile,
        '--dump-dom', url]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=HOLD_S + 30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise h.Fail('chromium did not finish within %d s' % (HOLD_S + 30))
    if proc.returncode != 0:
        raise h.Fail('chromium exited with %d: %s' % (proc.returncode, err[-2000:]))
    return out


def page_results(dom):
    m = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    if m is None:
        raise h.Fail('no result element in the DOM: %r' % dom[:500])
    text = html.unescape(m.group(1))
    if text == 'pending':
        raise h.Fail('the page did not finish within %d s' % HOLD_S)
    return json.loads(text)
