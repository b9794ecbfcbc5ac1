#!/usr/bin/env python3
"""check_layers.py - the include graph of the sources follows the layering.

Usage: check_layers.py [SOURCE_ROOT]   (default: the tree this script is in)

Scans the #include "..." lines of the .c and .h files under agent/, dane/,
tlsa/, policy/ and pkix/, resolves each to a file of the tree and checks:
  1. the unit graph has no cycle: a unit is x.c and x.h together (a header
     without a .c of the same name, such as dane_int.h, is a unit alone);
  2. the folder graph has no cycle: a folder is agent/<x> or one of the
     top-level libraries;
  3. every folder -> folder edge is one the CMake link lines allow (the
     direct target_link_libraries of each folder's CMakeLists.txt, not the
     ones it only gets through another library), and those link lines have
     no cycle either.
Prints one line per violation and exits 1, else a summary and exits 0.
"""
import os
import re
import sys

SCANNED = ["agent", "dane", "tlsa", "policy", "pkix"]

LINK = re.compile(r"target_link_libraries\(\s*(\S+)([^)]*)\)", re.S)


def folder_of_target(target):
    """The folder a CMake library target builds: agent_<x> or a top-level one."""
    if target.startswith("agent_"):
        return "agent/" + target[len("agent_"):]
    return target if target in SCANNED else None


def allowed_edges(root):
    """folder -> the folders its CMakeLists.txt links directly (the layering
    the build enforces: an include against it does not compile)."""
    allowed = {}
    for folder in sorted(set(map(folder_of, source_files(root)))):
        with open(os.path.join(root, folder, "CMakeLists.txt"), encoding="utf-8") as f:
            for target, args in LINK.findall(f.read()):
                if folder_of_target(target) != folder:
                    continue
                links = (folder_of_target(a) for a in args.split())
                allowed.setdefault(folder, set()).update(l for l in links if l)
    return allowed


INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def source_files(root):
    """The repository-relative paths of the scanned .c and .h files."""
    found = []
    for top in SCANNED:
        for folder, dirs, files in os.walk(os.path.join(root, top)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".c", ".h")):
                    found.append(os.path.relpath(os.path.join(folder, name), root))
    return found


def folder_of(path):
    """The folder (agent/<x> or a top-level library) a path belongs to."""
    parts = path.split(os.sep)
    return "/".join(parts[:2]) if parts[0] == "agent" else parts[0]


def unit_of(path, files):
    """The unit of a file: "dir/x" for x.c and x.h together, else the file."""
    stem = os.path.splitext(path)[0]
    if stem + ".c" in files and stem + ".h" in files:
        return stem
    return path


def resolve(name, includer, files, by_basename):
    """The file an include names: next to the includer first, else by basename."""
    local = os.path.normpath(os.path.join(os.path.dirname(includer), name))
    if local in files:
        return local, None
    matches = by_basename.get(os.path.basename(name), [])
    if len(matches) == 1:
        return matches[0], None
    if not matches:
        return None, 'no file of the tree is "%s"' % name
    return None, '"%s" is ambiguous: %s' % (name, ", ".join(matches))


def read_includes(root, files):
    """(includer, line number, included file) per include; errors for the rest."""
    by_basename = {}
    for path in files:
        by_basename.setdefault(os.path.basename(path), []).append(path)
    edges, errors = [], []
    for path in sorted(files):
        with open(os.path.join(root, path), encoding="utf-8") as source:
            for number, line in enumerate(source, 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                target, error = resolve(match.group(1), path, files, by_basename)
                if error:
                    errors.append("%s:%d: %s" % (path, number, error))
                else:
                    edges.append((path, number, target))
    return edges, errors


def graph(edges, node_of):
    """node -> {node: (file, line) of the first include making that edge}."""
    result = {}
    for path, number, target in edges:
        a, b = node_of(path), node_of(target)
        result.setdefault(a, {})
        result.setdefault(b, {})
        if a != b:
            result[a].setdefault(b, (path, number))
    return result


def find_cycles(nodes):
    """One cycle per strongly connected component of more than one node."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(nodes[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(cycle_in(nodes, component, node))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return cycles


def cycle_in(nodes, component, start):
    """A path start -> ... -> start inside a strongly connected component."""
    parent, frontier = {start: None}, [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in sorted(nodes[node]):
                if succ == start:
                    path = [start]
                    while node is not None:
                        path.append(node)
                        node = parent[node]
                    return list(reversed(path))
                if succ in component and succ not in parent:
                    parent[succ] = node
                    following.append(succ)
        frontier = following
    raise AssertionError("no cycle in a strongly connected component")


def describe_cycle(kind, nodes, cycle):
    """One line: the cycle and where each of its edges is included."""
    steps = []
    for a, b in zip(cycle, cycle[1:]):
        path, number = nodes[a][b]
        steps.append("%s -> %s (%s:%d)" % (a, b, path, number))
    return "%s cycle: %s" % (kind, ", ".join(steps))


def layer_violations(edges, allowed):
    """One line per include making a folder edge the link lines lack."""
    lines = []
    for path, number, target in edges:
        a, b = folder_of(path), folder_of(target)
        if a != b and b not in allowed.get(a, set()):
            lines.append("%s:%d: edge %s -> %s is not allowed" % (path, number, a, b))
    return lines


def main():
    """Check the tree, print the violations or a summary; the exit status."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(here)
    files = source_files(root)
    known = set(files)
    edges, problems = read_includes(root, known)
    units = graph(edges, lambda path: unit_of(path, known))
    folders = graph(edges, folder_of)
    problems += [describe_cycle("unit", units, c) for c in find_cycles(units)]
    problems += [describe_cycle("folder", folders, c) for c in find_cycles(folders)]
    allowed = allowed_edges(root)
    links = {a: {b: ("%s/CMakeLists.txt" % a, 0) for b in bs} for a, bs in allowed.items()}
    for bs in allowed.values():
        for b in bs:
            links.setdefault(b, {})
    problems += [describe_cycle("link", links, c) for c in find_cycles(links)]
    problems += layer_violations(edges, allowed)
    for line in problems:
        print(line)
    if problems:
        return 1
    folder_edges = sum(len(succ) for succ in folders.values())
    print("%d files, %d folder edges, no cycle" % (len(files), folder_edges))
    return 0


if __name__ == "__main__":
    sys.exit(main())
