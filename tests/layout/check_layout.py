#!/usr/bin/env python3
"""Checks the size limits of fedpp's headers: no file under include/ over
MAX_FILE_LINES lines, and no function (free, member, or lambda body) over
MAX_FUNCTION_LINES lines, counted from the line of its opening brace to the
line of its closing brace. Also the layers (below), and that every
`-inl.hpp` (fedpp/base/separate_compilation.hpp) is included only under
`#if FEDPP_HEADER_DEFINITIONS` and is reached from what fedpp::compiled's
src/compiled/definitions.cpp includes (fedpp/fedpp.hpp): else a program
linked to the library would find its functions neither in its headers nor
in the library.

Functions are found by libclang (Debian's python3-clang-14), which parses
each header as C++20 with fedpp's and Eigen's include paths, so templates,
lambdas and out-of-line member definitions are all seen.

    check_layout.py <repository root> [<eigen include dir>]

Exits 0 when every limit holds, 1 otherwise, and 77 (ctest's "skipped")
when libclang's bindings are not installed.
"""
import pathlib
import sys

MAX_FILE_LINES = 350
MAX_FUNCTION_LINES = 60

# The layers, bottom up (README, "Architecture"): a header may include
# headers of its own layer and of the layers below it, never above. The
# umbrella headers at include/fedpp/ may include anything.
LAYERS = ['base', 'autograd', 'tensor', 'nn', 'optim', 'data', 'training', 'io', 'privacy', 'secure_aggregation', 'transport', 'party', 'grpc', 'located',
          'aggregation', 'federated']

FUNCTION_KINDS = None  # set after importing clang


def function_kinds(ci):
    k = ci.CursorKind
    return {k.FUNCTION_DECL, k.CXX_METHOD, k.CONSTRUCTOR, k.DESTRUCTOR, k.FUNCTION_TEMPLATE,
            k.CONVERSION_FUNCTION, k.LAMBDA_EXPR}


def body_of(cursor, ci):
    for child in cursor.get_children():
        if child.kind == ci.CursorKind.COMPOUND_STMT:
            return child
    return None


def long_functions(headers, root, eigen, ci):
    """Functions longer than the limit in `headers`, parsed as one
    translation unit that includes them all (Eigen is parsed once)."""
    source = ''.join(f'#include "{h}"\n' for h in headers)
    index = ci.Index.create()
    args = ['-x', 'c++', '-std=c++20', '-I', str(root / 'include'), '-isystem', eigen]
    unit = index.parse('all_headers.cpp', args=args, unsaved_files=[('all_headers.cpp', source)])
    errors = [d for d in unit.diagnostics if d.severity >= ci.Diagnostic.Error]
    if errors:
        return None, [str(e) for e in errors[:5]]
    wanted = {str(h.resolve()) for h in headers}
    kinds = function_kinds(ci)
    found = set()
    stack = [unit.cursor]
    while stack:
        cursor = stack.pop()
        for child in cursor.get_children():
            location = child.location.file
            if location is None or str(pathlib.Path(location.name).resolve()) not in wanted:
                continue
            stack.append(child)
            if child.kind not in kinds:
                continue
            body = body_of(child, ci)
            if body is None:
                continue
            lines = body.extent.end.line - body.extent.start.line + 1
            if lines > MAX_FUNCTION_LINES:
                path = pathlib.Path(location.name).resolve().relative_to(root)
                found.add((str(path), child.location.line, child.spelling or '<lambda>', lines))
    return sorted(found), []


def layer_of(relative):
    parts = relative.parts  # ('include', 'fedpp', '<layer>', ...)
    return parts[2] if len(parts) > 3 else None


def upward_includes(path, relative):
    """The includes of fedpp headers from a higher layer than this file's."""
    own = layer_of(relative)
    if own is None:
        return []
    if own not in LAYERS:
        return [f'{relative}: folder {own!r} is not a known layer']
    found = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line.startswith('#include "fedpp/'):
            continue
        target = line.split('"')[1].split('/')
        layer = target[1] if len(target) > 2 else None
        if layer is None or layer not in LAYERS:
            found.append(f'{relative}:{number}: includes {line.split(chr(34))[1]}, which is not in a layer')
        elif LAYERS.index(layer) > LAYERS.index(own):
            found.append(f'{relative}:{number}: {own}/ includes {layer}/, a layer above it')
    return found


def fedpp_includes(text):
    """(line number, included path, guarded) of each `#include "fedpp/..."`;
    guarded: inside `#if FEDPP_HEADER_DEFINITIONS` ... `#endif`."""
    found, guarded = [], False
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line == '#if FEDPP_HEADER_DEFINITIONS':
            guarded = True
        elif line.startswith(('#endif', '#else', '#elif')):
            guarded = False
        elif line.startswith('#include "fedpp/'):
            found.append((number, line.split('"')[1], guarded))
    return found


def separate_definitions(root):
    """Problems with the `-inl.hpp` files: included unguarded, never
    included, or not reached from src/compiled/definitions.cpp's includes."""
    include = root / 'include'
    problems, included = [], set()
    for path in sorted(include.rglob('*.hpp')):
        relative = path.relative_to(root)
        for number, target, guarded in fedpp_includes(path.read_text()):
            if not target.endswith('-inl.hpp') or path.name.endswith('-inl.hpp'):
                continue
            included.add(target)
            if not guarded:
                problems.append(f'{relative}:{number}: includes {target} outside #if FEDPP_HEADER_DEFINITIONS')
    # What fedpp::compiled's definitions.cpp includes (fedpp/fedpp.hpp), and
    # everything those headers include.
    definitions = root / 'src' / 'compiled' / 'definitions.cpp'
    roots = [target for _, target, _ in fedpp_includes(definitions.read_text())] if definitions.exists() else []
    if not definitions.exists():
        problems.append(f'{definitions.relative_to(root)}: missing, so fedpp::compiled defines nothing')
    elif not roots:
        problems.append(f'{definitions.relative_to(root)}: includes no fedpp header, so defines nothing')
    reached, pending = set(), list(roots)
    while pending:
        current = pending.pop()
        if current in reached or not (include / current).exists():
            continue
        reached.add(current)
        pending.extend(target for _, target, _ in fedpp_includes((include / current).read_text()))
    for path in sorted(include.rglob('*-inl.hpp')):
        target = str(path.relative_to(include))
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.startswith('inline '):
                problems.append(f'{path.relative_to(root)}:{number}: a definition marked inline, not FEDPP_INLINE '
                                '(fedpp::compiled would compile it in every program again)')
        if target not in included:
            problems.append(f'{path.relative_to(root)}: no header includes it under #if FEDPP_HEADER_DEFINITIONS')
        elif target not in reached:
            problems.append(f'{path.relative_to(root)}: not reached from src/compiled/definitions.cpp\'s includes, '
                            'so fedpp::compiled does not define its functions')
    return problems


def main():
    root = pathlib.Path(sys.argv[1]).resolve()
    eigen = sys.argv[2] if len(sys.argv) > 2 else '/usr/include/eigen3'
    try:
        import clang.cindex as ci
    except ImportError:
        print('SKIPPED: libclang\'s Python bindings are missing (Debian: apt-get install python3-clang-14)')
        return 77
    problems = []
    headers = sorted((root / 'include').rglob('*.hpp'))
    if not headers:
        problems.append('no headers found under ' + str(root / 'include'))
    for path in headers:
        relative = path.relative_to(root)
        problems.extend(upward_includes(path, relative))
        count = len(path.read_text().splitlines())
        if count > MAX_FILE_LINES:
            problems.append(f'{relative}: {count} lines (at most {MAX_FILE_LINES})')
    problems.extend(separate_definitions(root))
    functions, errors = long_functions(headers, root, eigen, ci)
    if errors:
        problems.append('the headers do not parse: ' + '; '.join(errors))
    for path, line, name, lines in functions or []:
        problems.append(f'{path}:{line}: {name} is {lines} lines (at most {MAX_FUNCTION_LINES})')
    for problem in problems:
        print(problem)
    print(f'checked {len(headers)} headers (sizes, functions, layers, definitions): {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
