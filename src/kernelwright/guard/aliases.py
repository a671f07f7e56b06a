"""Import-alias resolution: which module attribute does a name or dotted expression denote?

A cheat rarely writes ``torch.cuda.synchronize = f`` verbatim; it writes ``import torch as T`` and
``T.cuda.synchronize = f``, or ``from time import perf_counter as pc``, or ``c = torch.cuda`` first, or
``getattr(torch, "cuda")``, ``__import__("time")``, ``importlib.import_module("torch.cuda")``,
``sys.modules["torch"]``. `AliasMap.resolve` maps all of those to the fully qualified name
(``"torch.cuda.synchronize"``), so the rules can match qualified names only.

A name computed at run time (``getattr(torch, decode(s))``, ``sys.modules[k]``,
``importlib.import_module(k)``, a module taken from iterating ``sys.modules``) becomes the segment
`UNKNOWN` (``"torch.?"``, ``"?"``): the rules cannot tell which attribute it is, but can still tell that
it lives in torch, or in some module.

Resolution is flow-insensitive (one map for the whole file): a name bound anywhere to a module
attribute resolves to it everywhere. Builtins resolve to ``builtins.<name>`` unless the file binds
that name itself.
"""

from __future__ import annotations

import ast
import builtins
import fnmatch

BUILTIN_NAMES = frozenset(dir(builtins))
UNKNOWN = "?"  # a qualified-name segment computed at run time

_MAX_PASSES = 6


def const_str(node: ast.AST | None) -> str | None:
    """The value of a string expression that can be folded statically, else None.

    Folds literals, ``"a" + "b"``, f-strings without placeholders, ``"".join(["a", "b"])`` and
    ``b"..".decode()``: the cheap obfuscations used to hide a name from a grep.
    """
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = const_str(node.left), const_str(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [const_str(v) for v in node.values]
        return "".join(p for p in parts if p is not None) if all(p is not None for p in parts) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        base = node.func.value
        if (
            node.func.attr == "join"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.List | ast.Tuple)
        ):
            sep = const_str(base)
            items = [const_str(e) for e in node.args[0].elts]
            if sep is not None and all(i is not None for i in items):
                return sep.join(i for i in items if i is not None)
        if node.func.attr == "decode" and isinstance(base, ast.Constant) and isinstance(base.value, bytes):
            try:
                return base.value.decode()
            except UnicodeDecodeError:
                return None
    return None


def literal_text(node: ast.AST) -> str:
    """The static text of a string expression, placeholders dropped (``f"{x} -m pip"`` -> ``" -m pip"``)."""
    if isinstance(node, ast.JoinedStr):
        return "".join(literal_text(v) for v in node.values)
    folded = const_str(node)
    return folded if folded is not None else ""


def qual_matches(qual: str, pattern: str) -> bool:
    """True when `qual` is `pattern` or lies under it (``subprocess`` matches ``subprocess.run``).

    Patterns containing ``*`` are globs (``os.exec*``), matched against the qualified name and each
    of its dotted prefixes.
    """
    if "*" in pattern:
        parts = qual.split(".")
        return any(fnmatch.fnmatchcase(".".join(parts[:i]), pattern) for i in range(1, len(parts) + 1))
    return qual == pattern or qual.startswith(pattern + ".")


def matches_any(qual: str, patterns: tuple[str, ...] | frozenset[str] | list[str]) -> bool:
    return any(qual_matches(qual, p) for p in patterns)


def imported_names(node: ast.Import | ast.ImportFrom) -> list[tuple[str, str]]:
    """(bound name, qualified name) pairs for one import statement.

    ``import a.b`` binds ``a`` to ``a`` but imports ``a.b``: the qualified name reported is ``a.b``,
    which is what rules about the import itself want; the binding is handled by `AliasMap`.
    """
    out: list[tuple[str, str]] = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            out.append((alias.asname or alias.name.split(".")[0], alias.name))
    else:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                continue
            full = f"{module}.{alias.name}" if module and not module.endswith(".") else module + alias.name
            out.append((alias.asname or alias.name, full))
    return out


class AliasMap:
    """Flow-insensitive map from local names to the qualified module attributes they denote."""

    def __init__(self, tree: ast.AST, parent: AliasMap | None = None) -> None:
        self._bind: dict[str, str] = dict(parent._bind) if parent else {}
        self._local: set[str] = set(parent._local) if parent else set()
        self._cache: dict[int, str | None] = {}
        self._collect(tree)

    # -- building -------------------------------------------------------------------------------
    def _collect(self, tree: ast.AST) -> None:
        assigns: list[tuple[ast.expr, ast.expr]] = []
        loops: list[tuple[ast.expr, ast.expr]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self._bind[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self._bind[top] = top
            elif isinstance(node, ast.ImportFrom):
                for bound, full in imported_names(node):
                    self._bind[bound] = full
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self._local.add(node.name)
            elif isinstance(node, ast.arg):
                self._local.add(node.arg)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self._local.add(node.id)
            if isinstance(node, ast.Assign):
                assigns.extend((t, node.value) for t in node.targets)
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
                assigns.append((node.target, node.value))
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                loops.append((node.target, node.iter))
        # `x = torch.cuda` chains may be written in any order: iterate to a fixpoint.
        for _ in range(_MAX_PASSES):
            changed = False
            pairs = [(name, self._resolve_uncached(val)) for t, v in assigns for name, val in _pairs(t, v)]
            pairs += [(name, UNKNOWN) for t, it in loops for name in self._module_loop_names(t, it)]
            for name, qual in pairs:
                if qual is not None and self._bind.get(name) != qual:
                    self._bind[name] = qual
                    changed = True
            if not changed:
                break

    def _module_loop_names(self, target: ast.expr, it: ast.expr) -> list[str]:
        """Names bound to modules by ``for name, mod in sys.modules.items()`` (or ``.values()``)."""
        while isinstance(it, ast.Call) and self._resolve_uncached(it.func) in _WRAPPERS and it.args:
            it = it.args[0]
        source = self._resolve_uncached(it.func) if isinstance(it, ast.Call) else None
        if source == "sys.modules.values" and isinstance(target, ast.Name):
            return [target.id]
        if source == "sys.modules.items" and isinstance(target, ast.Tuple) and len(target.elts) == 2:
            value = target.elts[1]
            return [value.id] if isinstance(value, ast.Name) else []
        return []

    # -- queries --------------------------------------------------------------------------------
    def bound(self, name: str) -> str | None:
        """What a bare name is bound to by an import or alias assignment, if anything."""
        return self._bind.get(name)

    def resolve(self, node: ast.AST) -> str | None:
        """The qualified name `node` denotes (``"torch.cuda.synchronize"``), or None if unknown."""
        key = id(node)
        if key not in self._cache:
            self._cache[key] = self._resolve_uncached(node)
        return self._cache[key]

    def _resolve_uncached(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            if node.id in self._bind:
                return self._bind[node.id]
            if node.id == "__builtins__":
                return "builtins"
            if node.id in BUILTIN_NAMES and node.id not in self._local:
                return f"builtins.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self._resolve_uncached(node.value)
            return f"{base}.{node.attr}" if base else None
        if isinstance(node, ast.Subscript):
            # sys.modules["torch"] is torch; sys.modules[k] is some module.
            if self._resolve_uncached(node.value) == "sys.modules":
                return self._module_name(node.slice)
            return None
        if isinstance(node, ast.Call):
            return self._resolve_call(node)
        return None

    def _module_name(self, node: ast.AST) -> str | None:
        """A module named by `node`: its literal name, UNKNOWN when computed, None for ``__name__``."""
        if isinstance(node, ast.Name) and node.id == "__name__":
            return None  # the candidate's own module
        return const_str(node) or UNKNOWN

    def _resolve_call(self, node: ast.Call) -> str | None:
        callee = self._resolve_uncached(node.func)
        if not node.args or callee not in _NAMING_CALLS:
            return None
        if callee == "builtins.getattr":
            base = self._resolve_uncached(node.args[0])
            attr = const_str(node.args[1]) if len(node.args) >= 2 else None
            return f"{base}.{attr or UNKNOWN}" if base else None
        name = self._module_name(node.args[0])
        if name is None or name.startswith("."):
            return None
        if callee == "builtins.__import__":
            fromlist = node.args[3] if len(node.args) > 3 else None
            for kw in node.keywords:
                if kw.arg == "fromlist":
                    fromlist = kw.value
            has_from = isinstance(fromlist, ast.List | ast.Tuple) and bool(fromlist.elts)
            return name if has_from else name.split(".")[0]
        return name  # importlib.import_module(name), sys.modules.get(name)


_NAMING_CALLS = frozenset(
    {"builtins.getattr", "builtins.__import__", "importlib.import_module", "sys.modules.get"}
)
_WRAPPERS = frozenset({"builtins.list", "builtins.tuple", "builtins.sorted", "builtins.iter"})


def _pairs(target: ast.expr, value: ast.expr) -> list[tuple[str, ast.expr]]:
    if isinstance(target, ast.Name):
        return [(target.id, value)]
    if (
        isinstance(target, ast.Tuple | ast.List)
        and isinstance(value, ast.Tuple | ast.List)
        and len(target.elts) == len(value.elts)
    ):
        out: list[tuple[str, ast.expr]] = []
        for t, v in zip(target.elts, value.elts, strict=True):
            out.extend(_pairs(t, v))
        return out
    return []


def words(text: str) -> tuple[str, ...]:
    """Whitespace-separated names as a tuple: keeps long name tables compact and formatter-stable."""
    return tuple(text.split())
