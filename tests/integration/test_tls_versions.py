#!/usr/bin/python3
"""tls.priority never weakens tls.min_version: a listener with its own priority string
("NORMAL" enables TLS 1.0 and 1.1) refuses gnutls-cli forcing TLS 1.0 or 1.1, and serves
gnutls-cli with its defaults; a priority string left with no version is refused at start."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

suite = h.Suite('TLS versions under an own priority string')

OLD = {
    'TLS1.0': 'NORMAL:-VERS-ALL:+VERS-TLS1.0:%VERIFY_ALLOW_SIGN_WITH_SHA1',
    'TLS1.1': 'NORMAL:-VERS-ALL:+VERS-TLS1.1:%VERIFY_ALLOW_SIGN_WITH_SHA1',
    'TLS1.2': 'NORMAL:-VERS-ALL:+VERS-TLS1.2',
}


def gnutls_cli(port, priority=None):
    argv = ['gnutls-cli', '--port', str(port), '--x509cafile', h.shared_ca().cert,
            '--sni-hostname', 'localhost', '--verify-hostname', 'localhost']
    if priority is not None:
        argv += ['--priority', priority]
    argv.append('127.0.0.1')
    r = h.subprocess.run(argv, stdin=h.subprocess.DEVNULL, capture_output=True, text=True,
        timeout=h.scaled(20))
    return r.returncode, r.stdout + r.stderr


def start(t, tls_extra):
    echo = t.backend(h.EchoBackend)
    port = h.free_port()
    listener = h.tls_listener('tls', port, h.localhost_pair())
    listener['tls'].update(tls_extra)
    d = t.daemon(h.policy([listener], [h.route('echo', echo, path='/echo')]))
    return d, port


def check_versions(port, refused, served):
    for name in refused:
        rc, out = gnutls_cli(port, OLD[name])
        h.check(rc != 0 and '- Handshake was completed' not in out,
            'gnutls-cli forcing %s must be refused; it got:\n%s' % (name, out[-1500:]))
    for name in served:
        rc, out = gnutls_cli(port, OLD.get(name))
        h.check(rc == 0 and '- Handshake was completed' in out,
            'gnutls-cli (%s) must complete a handshake; it got:\n%s' % (name, out[-1500:]))


@suite.case('"priority": "NORMAL" with "min_version": "1.2": TLS 1.0 and 1.1 refused')
def _(t):
    d, port = start(t, {'priority': 'NORMAL', 'min_version': '1.2'})
    check_versions(port, ['TLS1.0', 'TLS1.1'], [None, 'TLS1.2'])
    d.stop()


@suite.case('"priority": "NORMAL" with no min_version: the default 1.2 holds')
def _(t):
    d, port = start(t, {'priority': 'NORMAL'})
    check_versions(port, ['TLS1.0', 'TLS1.1'], [None])
    d.stop()


@suite.case('"priority": "NORMAL" with "min_version": "1.3": TLS 1.2 refused too')
def _(t):
    d, port = start(t, {'priority': 'NORMAL', 'min_version': '1.3'})
    check_versions(port, ['TLS1.0', 'TLS1.1', 'TLS1.2'], [None])
    d.stop()


@suite.case('a priority string with no version left is refused with a clear error')
def _(t):
    listener = h.tls_listener('tls', h.free_port(), h.localhost_pair())
    listener['tls']['priority'] = 'NORMAL:-VERS-ALL:+VERS-TLS1.1'
    d = t.daemon(h.policy([listener], [h.route('echo', 'builtin:echo', path='/echo')]),
        start=False)
    r = h.subprocess.run(d.argv(), capture_output=True, text=True, timeout=h.scaled(30))
    h.check_eq(r.returncode, 2, 'exit code for a priority string with no version left')
    h.check_in('priority "NORMAL:-VERS-ALL:+VERS-TLS1.1" enables no TLS version at or above '
        'min_version 1.2', r.stdout + r.stderr, 'the daemon output')


suite.run()
