#!/usr/bin/python3
"""The manual pages, checked against mandoc and against the programs. TAP.

- every page is clean under `mandoc -T lint -W warning`, and no @name@ of its
  template is left unfilled;
- switchboardd(8), switchboardctl(1) and switchboard(1) give an item (.It) to
  every option their program's --help shows, and to no option it lacks;
  switchboardctl(1) does the same for the commands;
- switchboard-policy(5) gives an item to every field of the policy schema,
  and none to a field the schema lacks, names every value of its enums, and
  each JSON policy of its EXAMPLES passes `switchboardd --check`.

So a flag, command or field added to a program without its page fails here.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402

# The mdoc macros that may follow the name in an .It line.
MACROS = {'Ar', 'Cm', 'Dv', 'Em', 'Ev', 'Fl', 'Ic', 'Li', 'Ns', 'No', 'Oc', 'Oo', 'Op',
          'Pa', 'Pq', 'Qc', 'Qo', 'Qq', 'Ql', 'Sy', 'Xr'}
OPTION = re.compile(r'(?<![\w-])(--?[a-z][a-z0-9-]*)')


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()


def items(source, sections=None):
    """The words of each .It line, with the section (.Sh/.Ss) it is in."""
    out, sh, ss = [], None, None
    for line in source.splitlines():
        if line.startswith('.Sh '):
            sh, ss = line[4:].strip(), None
        elif line.startswith('.Ss '):
            ss = line[4:].strip()
        elif line.startswith('.It ') and (sections is None or sh in sections):
            out.append((sh, ss, line[4:].split()))
    return out


def item_flags(source):
    flags = set()
    for _, _, words in items(source):
        flags.update('-' + words[i + 1] for i, w in enumerate(words[:-1]) if w == 'Fl')
    return flags


def item_names(source, sections=None):
    """The plain words after a leading Cm: 'policy apply' for .It Cm policy apply Ar file."""
    names = set()
    for _, _, words in items(source, sections):
        if words and words[0] == 'Cm':
            name = []
            for w in words[1:]:
                if w in MACROS:
                    break
                name.append(w)
            names.add(' '.join(name))
    return names


def help_text(program, args=('--help',)):
    r = subprocess.run([program, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=dict(os.environ, LC_ALL='C'), timeout=60)
    return r.stdout.decode('utf-8', 'replace')


def help_commands(text):
    """The commands of switchboardctl --help: two spaces, lower-case words, then a gap."""
    block = text.split('commands:', 1)[1].split('\n\n', 1)[0]
    return {m.group(1) for m in re.finditer(r'^  ([a-z]+(?: [a-z]+)*)', block, re.M)}


def compare(tap, what, documented, shown):
    missing, extra = sorted(shown - documented), sorted(documented - shown)
    tap.result(not missing, '%s: every one --help shows has an item' % what,
               'missing: ' + ' '.join(missing) if missing else '')
    tap.result(not extra, '%s: every item is one --help shows' % what,
               'not in --help: ' + ' '.join(extra) if extra else '')


def check_lint(tap, mandoc, pages):
    for path in pages:
        name = os.path.basename(path)
        r = subprocess.run([mandoc, '-T', 'lint', '-W', 'warning', path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = r.stdout.decode('utf-8', 'replace').strip()
        tap.result(r.returncode == 0 and not out, '%s: mandoc -T lint -W warning' % name, out)
        left = sorted(set(re.findall(r'@[a-z_]+@', read(path))))
        tap.result(not left, '%s: every @name@ filled in' % name, ' '.join(left))


def schema_fields(node, fields, enums):
    if isinstance(node, dict):
        for key, sub in node.get('properties', {}).items():
            fields.add(key)
            schema_fields(sub, fields, enums)
        enums.update(v for v in node.get('enum', []) if isinstance(v, str))
        for key, sub in node.items():
            if key != 'properties':
                schema_fields(sub, fields, enums)
    elif isinstance(node, list):
        for sub in node:
            schema_fields(sub, fields, enums)


def rendered(mandoc, path):
    r = subprocess.run([mandoc, '-T', 'ascii', path], stdout=subprocess.PIPE, check=True)
    return re.sub(r'.\x08', '', r.stdout.decode('ascii', 'replace'))


def example_policies(source):
    """The literal blocks of EXAMPLES that hold a JSON object."""
    text = source.split('\n.Sh EXAMPLES\n', 1)[1].split('\n.Sh ', 1)[0]
    return [b for b in re.findall(r'^\.Bd -literal[^\n]*\n(.*?)^\.Ed$', text, re.M | re.S)
            if b.lstrip().startswith('{')]


def touch_files(node, folder):
    """Empty stand-ins for the files a policy names: --check wants them readable."""
    if isinstance(node, dict):
        for key, sub in node.items():
            if (key in ('cert', 'key', 'client_ca', 'tokens', 'basic', 'keys') and
                    isinstance(sub, str)):
                open(os.path.join(folder, sub), 'w').close()
            touch_files(sub, folder)
    elif isinstance(node, list):
        for sub in node:
            touch_files(sub, folder)


def check_policy_page(tap, mandoc, daemon, path, schema_path):
    source = read(path)
    fields, enums = set(), set()
    schema_fields(json.loads(read(schema_path)), fields, enums)
    documented = item_names(source, {'DESCRIPTION'})
    missing, extra = sorted(fields - documented), sorted(documented - fields)
    tap.result(not missing, 'switchboard-policy.5: every schema field has an item',
               'missing: ' + ' '.join(missing) if missing else '')
    tap.result(not extra, 'switchboard-policy.5: every field item is a schema field',
               'not in the schema: ' + ' '.join(extra) if extra else '')
    text = rendered(mandoc, path)
    unnamed = sorted(v for v in enums
                     if not re.search(r'(?<![\w.])%s(?![\w.])' % re.escape(v), text))
    tap.result(not unnamed, 'switchboard-policy.5: every enum value is named',
               'missing: ' + ' '.join(unnamed) if unnamed else '')
    examples = example_policies(source)
    tap.result(len(examples) > 0, 'switchboard-policy.5: EXAMPLES holds policies')
    for i, body in enumerate(examples, 1):
        name = 'switchboard-policy.5: example %d passes switchboardd --check' % i
        try:
            policy = json.loads(body)
        except ValueError as e:
            tap.result(False, name, 'not JSON: %s' % e)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            touch_files(policy, tmp)
            file = os.path.join(tmp, 'policy.json')
            with open(file, 'w', encoding='utf-8') as f:
                f.write(body)
            r = subprocess.run([daemon, '--check', '--policy', file,
                                '--state-dir', os.path.join(tmp, 'state')],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            tap.result(r.returncode == 0, name, r.stdout.decode('utf-8', 'replace'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mandoc', required=True)
    ap.add_argument('--daemon', required=True)
    ap.add_argument('--ctl', required=True)
    ap.add_argument('--app')
    ap.add_argument('--schema', required=True)
    ap.add_argument('pages', nargs='+')
    args = ap.parse_args()
    pages = {os.path.basename(p): p for p in args.pages}
    tap = Tap()

    check_lint(tap, args.mandoc, args.pages)

    text = help_text(args.daemon)
    compare(tap, 'switchboardd.8 options', item_flags(read(pages['switchboardd.8'])),
            set(OPTION.findall(text)))

    text = help_text(args.ctl)
    source = read(pages['switchboardctl.1'])
    compare(tap, 'switchboardctl.1 options', item_flags(source), set(OPTION.findall(text)))
    compare(tap, 'switchboardctl.1 commands', item_names(source, {'COMMANDS'}),
            help_commands(text))

    if args.app:
        compare(tap, 'switchboard.1 options', item_flags(read(pages['switchboard.1'])),
                set(OPTION.findall(help_text(args.app))))
    else:
        # a build without the app by choice, not a gap: nothing to compare
        tap.result(True, 'switchboard.1 options: not compared, the app is not built '
                   '(-Dgui=disabled)')

    check_policy_page(tap, args.mandoc, args.daemon, pages['switchboard-policy.5'],
                      args.schema)
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
