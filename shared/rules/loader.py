"""Load a rule set from its manifest and stamp it with a content hash (the rules version).

Loading is all-or-nothing: a rule set with any problem raises RulesInvalid, so callers keep the last good
one. File reading is the only I/O in the rules package and it happens here, once per load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from shared.rules.alerts_file import parse_alerts
from shared.rules.catalog import parse_catalog
from shared.rules.fields import as_str, check_keys, expect_list, req
from shared.rules.framework import parse_framework
from shared.rules.model import Catalog, Framework, OrgTree, RuleSet
from shared.rules.org_units import build_crosswalk, parse_org_units
from shared.rules.problems import Location, Problems, RulesInvalid
from shared.rules.results import Published, parse_history, parse_peers
from shared.rules.source import Node, load_yaml

MANIFEST = "ruleset.yaml"
KINDS = ("ruleset", "org_units", "catalog", "framework", "alerts", "history", "peers")


@dataclass(slots=True)
class _Read:
    path: Path
    display: str
    text: str
    node: Node | None


def _read(path: Path, problems: Problems, display: str | None = None) -> _Read | None:
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.add(Location(shown, 1, 1), "file not found")
        return None
    except OSError as exc:
        problems.add(Location(shown, 1, 1), f"cannot read file: {exc}")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.add(_byte_location(shown, raw, exc.start), _encoding_message(raw, exc))
        return None
    return _Read(path, shown, text, load_yaml(text, shown, problems))


def _byte_location(file: str, raw: bytes, offset: int) -> Location:
    """Line and column (in characters, as an editor counts them) of the byte at `offset`."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    col = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return Location(file, raw.count(b"\n", 0, offset) + 1, col)


def _encoding_message(raw: bytes, exc: UnicodeDecodeError) -> str:
    return (
        f"byte 0x{raw[exc.start]:02x} is not UTF-8 (the file was probably saved as Windows-1258 or Latin-1): "
        f"save the file as UTF-8 (Vietnamese letters must be UTF-8) and retype the character here"
    )


def kind_of(node: Node, problems: Problems) -> str | None:
    if not node.is_map:
        problems.add(node.loc, "a rules file must be a mapping with a 'kind' key")
        return None
    knode = node.get("kind")
    if knode is None:
        problems.add(node.loc, f"missing 'kind' (one of {', '.join(KINDS)})")
        return None
    kind = as_str(knode, problems, "kind")
    if kind not in KINDS:
        problems.add(knode.loc, f"unknown kind '{kind}' (one of {', '.join(KINDS)})")
        return None
    return kind


def resolve_manifest(path: Path) -> Path:
    """`--rules` may name the manifest or the directory holding it."""
    return path / MANIFEST if path.is_dir() else path


def load_ruleset(path: Path) -> RuleSet:
    problems = Problems()
    ruleset = _load(resolve_manifest(path), problems)
    if problems or ruleset is None:
        raise RulesInvalid(problems.sorted() or [])
    return ruleset


def _load(manifest: Path, problems: Problems) -> RuleSet | None:
    read = _read(manifest, problems)
    if read is None or read.node is None:
        return None
    root = read.node
    if kind_of(root, problems) != "ruleset":
        if root.is_map and root.get("kind") is not None:
            problems.add(root.loc, "expected a manifest of kind 'ruleset'")
        return None
    check_keys(
        root,
        {
            "kind",
            "org_units",
            "org_units_from",
            "former_org_units",
            "catalog",
            "frameworks",
            "alerts",
            "history",
            "peers",
            "note",
        },
        problems,
        "ruleset",
    )
    base = manifest.parent
    files: list[_Read] = [read]

    def part(key: str, kind: str) -> _Read | None:
        node = req(root, key, problems, "ruleset")
        name = as_str(node, problems, key)
        if name is None or node is None:
            return None
        return _part(base, name, node, kind, problems, files)

    tree_read = part("org_units", "org_units")
    tree = parse_org_units(tree_read.node, problems) if tree_read and tree_read.node else None
    former_tree, crosswalk, since = None, None, None
    if root.get("former_org_units") is not None:  # a reform: the tree before it, its codes mapped to the new
        former_read = part("former_org_units", "org_units")
        if former_read is not None and former_read.node is not None:
            former_tree = parse_org_units(former_read.node, problems)
        since = _iso_date(root.get("org_units_from"), problems)
        if former_tree is not None and tree is not None:
            crosswalk = build_crosswalk(tree, former_tree, problems)
    history: tuple[Published, ...] = ()
    if root.get("history") is not None:  # the province's published DTI and rank by year
        hist_read = part("history", "history")
        if hist_read is not None and hist_read.node is not None:
            history = parse_history(hist_read.node, problems)
    peers = None
    if root.get("peers") is not None:  # optional: the last published table of provinces' DTI
        peers_read = part("peers", "peers")
        if peers_read is not None and peers_read.node is not None:
            peers = parse_peers(peers_read.node, problems)
    cat_read = part("catalog", "catalog")
    catalog = parse_catalog(cat_read.node, problems) if cat_read and cat_read.node else None
    frameworks: dict[str, Framework] = {}
    fnode = req(root, "frameworks", problems, "ruleset")
    if expect_list(fnode, problems, "frameworks"):
        assert fnode is not None
        for el in fnode.elements():
            name = as_str(el, problems, "framework file")
            if name is None:
                continue
            fread = _part(base, name, el, "framework", problems, files)
            if fread is None or fread.node is None:
                continue
            fw = parse_framework(fread.node, problems, catalog, tree, fread.display)
            if fw is not None:
                if fw.code in frameworks:
                    problems.add(el.loc, f"two frameworks share the code '{fw.code}'")
                frameworks[fw.code] = fw
        if not frameworks and not problems:
            problems.add(fnode.loc, "the rule set names no framework")
    alerts = None
    if root.get("alerts") is not None:  # optional: a rule set without alerts.yaml scores but never alerts
        alerts_read = part("alerts", "alerts")
        if alerts_read is not None and alerts_read.node is not None:
            # with problems elsewhere, codes may be missing: check the file's own structure only
            ok = not problems
            alerts = parse_alerts(
                alerts_read.node,
                problems,
                catalog if ok else None,
                tree if ok else None,
                frameworks if ok else None,
                alerts_read.display,
            )
    if tree is None or catalog is None or problems:
        return None
    files_in_force = tuple((f.display, _sha(f.text)) for f in files)
    return RuleSet(
        version_of(files),
        files_in_force,
        tree,
        catalog,
        frameworks,
        alerts,
        former_tree,
        since,
        crosswalk,
        history,
        peers,
    )


def _iso_date(node: Node | None, problems: Problems) -> str | None:
    """`org_units_from: 2025-07-01` (the day the tree in force took effect)."""
    if node is None:
        return None
    value = node.value
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        problems.add(node.loc, f"org_units_from must be a date like 2025-07-01, got {value!r}")
        return None


def _part(base: Path, name: str, ref: Node, kind: str, problems: Problems, files: list[_Read]) -> _Read | None:
    path = base / name
    if not path.is_file():
        problems.add(ref.loc, f"{kind} file '{name}' not found next to the manifest")
        return None
    read = _read(path, problems)
    if read is None or read.node is None:
        return None
    got = kind_of(read.node, problems)
    if got is not None and got != kind:
        knode = read.node.get("kind")
        problems.add(knode.loc if knode else read.node.loc, f"expected kind '{kind}' here, found '{got}'")
        return None
    files.append(read)
    return read


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def version_of(files: list[_Read]) -> str:
    """Content hash of the files in force: names and bytes, order-independent. 12 hex digits are plenty."""
    h = hashlib.sha256()
    for f in sorted(files, key=lambda r: r.path.name):
        h.update(f.path.name.encode())
        h.update(b"\0")
        h.update(f.text.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:12]


def check_files(paths: list[Path]) -> list[str]:
    """Validate any mix of rules files; returns `FILE:LINE:COL: message` lines (empty when all is well).

    A framework, catalog or org-unit file checked on its own is read in the context of the manifest beside
    it (if any), so references to metrics, departments and levels are checked too.
    """
    problems = Problems()
    for path in paths:
        if path.is_dir():
            path = path / MANIFEST
        read = _read(path, problems)
        if read is None or read.node is None:
            continue
        kind = kind_of(read.node, problems)
        if kind is None:
            continue
        if kind == "ruleset":
            _load(path, problems)
            continue
        catalog, tree = _context(path.parent / MANIFEST, path)
        if kind == "org_units":
            parse_org_units(read.node, problems)
        elif kind == "catalog":
            parse_catalog(read.node, problems)
        elif kind == "history":
            parse_history(read.node, problems)
        elif kind == "peers":
            parse_peers(read.node, problems)
        elif kind == "alerts":
            frameworks = _context_frameworks(path.parent / MANIFEST, catalog, tree)
            parse_alerts(read.node, problems, catalog, tree, frameworks, read.display)
        else:
            parse_framework(read.node, problems, catalog, tree, read.display)
    return [str(p) for p in problems.sorted()]


def _context(manifest: Path, checked: Path) -> tuple[Catalog | None, OrgTree | None]:
    """Catalog and org tree from the sibling manifest; their own problems are reported when they are checked."""
    if not manifest.is_file() or manifest.resolve() == checked.resolve():
        return None, None
    scratch = Problems()
    read = _read(manifest, scratch)
    if read is None or read.node is None or not read.node.is_map:
        return None, None
    catalog: Catalog | None = None
    tree: OrgTree | None = None
    for key, kind in (("catalog", "catalog"), ("org_units", "org_units")):
        node = read.node.get(key)
        name = as_str(node, scratch, key) if node is not None else None
        if name is None:
            continue
        part = _read(manifest.parent / name, scratch)
        if part is None or part.node is None:
            continue
        if kind == "catalog":
            catalog = parse_catalog(part.node, Problems())
        else:
            tree = parse_org_units(part.node, Problems())
    return catalog, tree


def _context_frameworks(manifest: Path, catalog: Catalog | None, tree: OrgTree | None) -> dict[str, Framework] | None:
    """Frameworks named by the sibling manifest, so an alerts file checked alone has its codes checked."""
    if not manifest.is_file():
        return None
    scratch = Problems()
    read = _read(manifest, scratch)
    node = read.node.get("frameworks") if read is not None and read.node is not None and read.node.is_map else None
    if node is None or not node.is_list:
        return None
    out: dict[str, Framework] = {}
    for el in node.elements():
        part = _read(manifest.parent / str(el.value), scratch)
        if part is not None and part.node is not None:
            found = Problems()
            fw = parse_framework(part.node, found, catalog, tree, part.display)
            if fw is None or found:
                return None  # a broken framework: its codes are unknown, so do not call them unknown
            out[fw.code] = fw
    return out
