#!/usr/bin/python3
"""`meson install` into a DESTDIR, and what lands there, checked. TAP.

The build is installed with --no-rebuild into a temporary DESTDIR (meson test
has built it already). Then:

- the programs are where the unit, the desktop entry and the pages say;
- the systemd unit's ExecStart= names the installed switchboardd, its User=
  and Group= are the account the sysusers.d entry creates, and
  `systemd-analyze verify` accepts it (skipped where systemd-analyze is
  missing);
- the logrotate entry sends SIGUSR1 (and `logrotate -d` reads it, where
  logrotate is installed);
- the policy schema and example are under share/switchboard and are JSON;
- the four manual pages are installed (switchboard(1) only with the app), and
  every path below the prefix that they name was installed;
- with the app: its desktop entry, metainfo, GSettings schema and icon, and
  the names they give one another.
"""
import argparse
import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300, **kw)
    return r.returncode, r.stdout.decode('utf-8', 'replace')


def unit_values(path):
    """KEY=value lines of a unit, last one wins, as systemd reads them here."""
    values = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            m = re.match(r'^([A-Za-z]+)=(.*)$', line.rstrip('\n'))
            if m:
                values[m.group(1)] = m.group(2)
    return values


def sysusers_accounts(path):
    """The users and groups a sysusers.d file creates ('u' makes both, 'g' a group)."""
    users, groups = set(), set()
    with open(path, encoding='utf-8') as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 2 and fields[0] == 'u':
                users.add(fields[1])
                groups.add(fields[1])
            elif len(fields) >= 2 and fields[0] == 'g':
                groups.add(fields[1])
    return users, groups


class Install:
    def __init__(self, tap, args, destdir):
        self.tap, self.args, self.destdir = tap, args, destdir

    def at(self, path):
        return self.destdir + path

    def exists(self, path, what, executable=False):
        ok = os.path.isfile(self.at(path)) and (not executable or
                                                os.access(self.at(path), os.X_OK))
        self.tap.result(ok, '%s installed: %s' % (what, path))
        return ok

    def check_unit(self):
        a = self.args
        unit = a.unitdir + '/switchboardd.service'
        sysusers = a.sysusersdir + '/switchboard.conf'
        has_unit = self.exists(unit, 'systemd unit')
        has_socket = self.exists(a.unitdir + '/switchboardd.socket', 'systemd socket unit')
        has_sysusers = self.exists(sysusers, 'sysusers.d entry')
        if not (has_unit and has_sysusers):
            return
        values = unit_values(self.at(unit))
        exec_start = values.get('ExecStart', '').split()
        binary = exec_start[0] if exec_start else ''
        self.tap.result(binary == a.sbindir + '/switchboardd',
                        'the unit starts the installed switchboardd',
                        'ExecStart=%s' % values.get('ExecStart', ''))
        self.tap.result(os.access(self.at(binary), os.X_OK) if binary else False,
                        "the unit's ExecStart= program is in the DESTDIR", self.at(binary))
        users, groups = sysusers_accounts(self.at(sysusers))
        self.tap.result(values.get('User') in users and values.get('Group') in groups,
                        'the sysusers.d entry creates the User= and Group= of the unit',
                        'User=%s Group=%s; sysusers: users %s, groups %s' % (
                            values.get('User'), values.get('Group'), sorted(users),
                            sorted(groups)))
        self.verify_unit(unit, binary, has_socket)

    def verify_unit(self, unit, binary, has_socket):
        """
        systemd-analyze verify, on a copy whose ExecStart= points into the DESTDIR,
        beside the socket unit that activates it.
        """
        name = 'systemd-analyze verify accepts the installed units'
        analyze = shutil.which('systemd-analyze')
        if analyze is None:
            self.tap.skip(name, 'systemd-analyze is not installed')
            return
        folder = os.path.join(self.destdir, 'verify')
        os.makedirs(folder, exist_ok=True)
        copy = os.path.join(folder, 'switchboardd.service')
        with open(self.at(unit), encoding='utf-8') as f:
            text = f.read()
        with open(copy, 'w', encoding='utf-8') as f:
            f.write(text.replace('ExecStart=' + binary, 'ExecStart=' + self.at(binary)))
        # Documentation=man:... pages are looked up with man(1): in the DESTDIR.
        env = dict(os.environ, MANPATH=self.at(self.args.mandir), SYSTEMD_LOG_COLOR='0')
        units = [copy]
        if has_socket:
            units.append(os.path.join(folder, 'switchboardd.socket'))
            shutil.copyfile(self.at(self.args.unitdir + '/switchboardd.socket'), units[-1])
        rc, out = run([analyze, 'verify'] + units, env=env)
        self.tap.result(rc == 0 and not out.strip(), name, out)

    def check_logrotate(self):
        path = self.args.logrotatedir + '/switchboard'
        if not self.exists(path, 'logrotate entry'):
            return
        with open(self.at(path), encoding='utf-8') as f:
            text = f.read()
        script = re.search(r'postrotate\n(.*?)endscript', text, re.S)
        self.tap.result(script is not None and 'USR1' in script.group(1) and
                        'switchboardd' in script.group(1),
                        'the logrotate entry sends SIGUSR1 to switchboardd after rotating')
        name = 'logrotate -d reads the logrotate entry'
        logrotate = shutil.which('logrotate') or next(
            (p for p in ('/usr/sbin/logrotate', '/sbin/logrotate') if os.access(p, os.X_OK)),
            None)
        if logrotate is None:
            self.tap.skip(name, 'logrotate is not installed')
            return
        rc, out = run([logrotate, '-d', '-s', os.path.join(self.destdir, 'logrotate.state'),
                       self.at(path)])
        self.tap.result(rc == 0 and 'error' not in out.lower(), name, out if rc else '')

    def check_policy_files(self):
        for file in ('policy.schema.json', 'policy.example.json'):
            path = self.args.datadir + '/switchboard/' + file
            if self.exists(path, 'policy ' + file.split('.')[1]):
                try:
                    with open(self.at(path), encoding='utf-8') as f:
                        json.load(f)
                    self.tap.result(True, '%s is JSON' % path)
                except ValueError as e:
                    self.tap.result(False, '%s is JSON' % path, str(e))

    def check_man(self):
        a = self.args
        pages = ['man8/switchboardd.8', 'man1/switchboardctl.1', 'man5/switchboard-policy.5']
        app_page = a.mandir + '/man1/switchboard.1'
        named = set()
        for page in pages + (['man1/switchboard.1'] if a.gui else []):
            path = a.mandir + '/' + page
            if self.exists(path, 'manual page'):
                with open(self.at(path), encoding='utf-8') as f:
                    named.update(re.findall(re.escape(a.prefix) + r'/[^\s,;()"\']+', f.read()))
        if not a.gui:
            self.tap.result(not os.path.exists(self.at(app_page)),
                            'no switchboard(1) without the app: %s' % app_page)
        missing = sorted(p for p in named if not os.path.exists(self.at(p)))
        self.tap.result(not missing, 'every path below %s that the pages name is installed'
                        % a.prefix, '\n'.join(missing))

    def check_app(self):
        a = self.args
        desktop = '%s/applications/%s.desktop' % (a.datadir, a.app_id)
        metainfo = '%s/metainfo/%s.metainfo.xml' % (a.datadir, a.app_id)
        icon = '%s/icons/hicolor/scalable/apps/%s.svg' % (a.datadir, a.app_id)
        self.exists(a.bindir + '/switchboard', 'the app', executable=True)
        self.exists('%s/glib-2.0/schemas/%s.gschema.xml' % (a.datadir, a.app_id),
                    'GSettings schema')
        self.exists(icon, 'icon')
        if self.exists(desktop, 'desktop entry'):
            entry = configparser.ConfigParser(interpolation=None)
            entry.read(self.at(desktop), encoding='utf-8')
            section = entry['Desktop Entry']
            program = section.get('Exec', '').split()[0:1]
            self.tap.result(program == ['switchboard'],
                            'the desktop entry starts the installed app',
                            'Exec=%s' % section.get('Exec'))
            self.tap.result(section.get('Icon') == a.app_id,
                            'the desktop entry names the installed icon',
                            'Icon=%s' % section.get('Icon'))
        if self.exists(metainfo, 'AppStream metainfo'):
            with open(self.at(metainfo), encoding='utf-8') as f:
                text = f.read()
            self.tap.result('<launchable type="desktop-id">%s.desktop</launchable>' % a.app_id
                            in text and '<binary>switchboard</binary>' in text,
                            'the metainfo names the installed desktop entry and app')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--meson', required=True)
    ap.add_argument('--build-root', required=True)
    for option in ('prefix', 'bindir', 'sbindir', 'datadir', 'mandir', 'unitdir',
                   'sysusersdir', 'logrotatedir', 'app-id'):
        ap.add_argument('--' + option, required=True)
    ap.add_argument('--gui', choices=('true', 'false'), required=True)
    args = ap.parse_args()
    args.gui = args.gui == 'true'
    tap = Tap()

    with tempfile.TemporaryDirectory(prefix='sb-install-') as destdir:
        env = {k: v for k, v in os.environ.items() if k != 'DESTDIR'}
        rc, out = run([args.meson, 'install', '-C', args.build_root, '--no-rebuild',
                       '--destdir', destdir], env=env)
        tap.result(rc == 0, 'meson install --destdir', out if rc else '')
        if rc == 0:
            inst = Install(tap, args, destdir)
            inst.exists(args.sbindir + '/switchboardd', 'switchboardd', executable=True)
            inst.exists(args.bindir + '/switchboardctl', 'switchboardctl', executable=True)
            inst.check_unit()
            inst.check_logrotate()
            inst.check_policy_files()
            inst.check_man()
            if args.gui:
                inst.check_app()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
