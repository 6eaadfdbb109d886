#!/usr/bin/env python3
"""Rewrite SQL entry points to the CDP_FUNCTION form (src/pg/common/boundary.h).

    extern "C" {                                   CDP_FUNCTION(cdp_foo) {
    PG_FUNCTION_INFO_V1(cdp_foo);          ->          ... body ...
    Datum cdp_foo(PG_FUNCTION_ARGS) {              }
        return cdp::pg::guarded([&] {
            ... body ...
        });
    }
    }

Handles the two shapes the tree used: `return guarded([&] { ... });` and the
`bool isnull = false; Datum d = guarded(...); if (isnull) PG_RETURN_NULL();
return d;` shape (isnull becomes fcinfo->isnull).  Other shapes are listed
and left alone, or with --wrap kept as they are inside CDP_FUNCTION.
Usage: scripts/to_cdp_function.py [--wrap] FILE...
"""
import re
import sys


def skip_token(s, i):
    """Index after a comment, string, char or raw-string literal at i, else None."""
    if s.startswith('//', i):
        j = s.find('\n', i)
        return len(s) if j < 0 else j
    if s.startswith('/*', i):
        return s.index('*/', i) + 2
    m = re.match(r'R"([^(\s]*)\(', s[i:i + 40])
    if m and (i == 0 or not (s[i - 1].isalnum() or s[i - 1] == '_')):
        end = ')' + m.group(1) + '"'
        return s.index(end, i + m.end()) + len(end)
    if s[i] in '"\'':
        q, j = s[i], i + 1
        while s[j] != q:
            j += 2 if s[j] == '\\' else 1
        return j + 1
    return None


def matching_brace(s, i):
    """s[i] == '{': index of its matching '}'."""
    depth, j = 0, i
    while j < len(s):
        k = skip_token(s, j)
        if k is not None:
            j = k
            continue
        if s[j] == '{':
            depth += 1
        elif s[j] == '}':
            depth -= 1
            if depth == 0:
                return j
        j += 1
    raise ValueError('unbalanced braces')


def dedent(body, n=4):
    out = []
    for line in body.split('\n'):
        out.append(line[n:] if line.startswith(' ' * n) else line)
    return '\n'.join(out)


HEAD_A = re.compile(r'\A\s*return cdp::pg::guarded\(\[&\](?:\(\) -> Datum)? \{\n')
HEAD_V = re.compile(r'\A\s*cdp::pg::guarded_void\(\[&\] \{\n')
HEAD_B = re.compile(r'\A\s*bool isnull = false;\n\s*Datum d = cdp::pg::guarded\(\[&\]\(\) -> Datum \{\n')
TAIL_A = re.compile(r'\n\s*\}\);\n\Z')
TAIL_V = re.compile(r'\n\s*\}\);\n\s*PG_RETURN_VOID\(\);\n\Z')
TAIL_B = re.compile(r'\n\s*\}\);\n\s*if \(isnull\) PG_RETURN_NULL\(\);\n\s*return d;\n\Z')


def convert_body(body):
    for head, tail, fix in ((HEAD_B, TAIL_B, 'isnull'), (HEAD_A, TAIL_A, None), (HEAD_V, TAIL_V, 'void')):
        h, t = head.match(body), tail.search(body)
        if h and t and h.end() <= t.start():
            inner = dedent(body[h.end():t.start()]) + '\n'
            if fix == 'isnull':
                inner = re.sub(r'\bisnull = true;', 'fcinfo->isnull = true;', inner)
                if re.search(r'\bisnull\b', inner.replace('fcinfo->isnull', '')):
                    return None
            if fix == 'void':
                inner += '    PG_RETURN_VOID();\n'
            return inner
    # One-statement lambda on one or two lines: return guarded([&] { return X; });
    m = re.match(r'\A\s*return cdp::pg::guarded\(\s*\[&\](?:\(\) -> Datum)? \{\s*(return [^;{}]*;)\s*\}\);\s*\Z',
                 body, re.S)
    if m:
        return '    ' + ' '.join(m.group(1).split()) + '\n'
    return None


def convert(path):
    s = open(path).read()
    left = []
    while True:
        changed = False
        for m in re.finditer(r'^Datum (\w+)\(PG_FUNCTION_ARGS\) \{', s, re.M):
            name = m.group(1)
            close = matching_brace(s, m.end() - 1)
            inner = convert_body(s[m.end():close])
            if inner is None and WRAP:
                # Any other shape: keep the body as it is (its own guarded()
                # call nests harmlessly inside the macro's).
                inner = s[m.end():close]
            if inner is None:
                if name not in left:
                    left.append(name)
                continue
            s = s[:m.start()] + 'CDP_FUNCTION(' + name + ') {' + '\n' + inner.lstrip('\n') + s[close:]
            s = re.sub(r'^PG_FUNCTION_INFO_V1\(' + name + r'\);\n', '', s, flags=re.M)
            changed = True
            break
        if not changed:
            break
    # Drop an extern "C" block left holding no C declarations of its own.
    for m in list(re.finditer(r'^extern "C" \{\n', s, re.M))[::-1]:
        close = matching_brace(s, m.end() - 2)
        block = s[m.end():close]
        if 'CDP_FUNCTION(' not in block or 'PG_FUNCTION_INFO_V1' in block or '#include' in block or re.search(r'^Datum \w+\(PG_FUNCTION_ARGS\)', block, re.M):
            continue
        end = s.index('\n', close) + 1
        s = s[:m.start()] + block.lstrip('\n') + s[end:]
    open(path, 'w').write(s)
    for name in left:
        print(f'{path}: {name}: left as is (convert by hand)')


WRAP = '--wrap' in sys.argv
for p in sys.argv[1:]:
    if p != '--wrap':
        convert(p)
