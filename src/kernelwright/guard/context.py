"""The per-file state every rule reads: the tree, parent links, alias map, and the finding sink."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING

from kernelwright.guard.aliases import AliasMap, imported_names
from kernelwright.guard.findings import Finding, RuleInfo

if TYPE_CHECKING:
    from kernelwright.guard.facts import Facts

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class Context:
    """One parsed candidate. Rules call `report`; `scan` collects `findings`."""

    def __init__(self, source: str, tree: ast.Module, filename: str, parent: Context | None = None) -> None:
        self.source = source
        self.tree = tree
        self.filename = filename
        self.lines = source.splitlines()
        self.aliases: AliasMap = AliasMap(tree, parent.aliases if parent else None)
        self.nodes: list[ast.AST] = list(ast.walk(tree))  # every rule walks the tree; walk it once
        self.parents: dict[ast.AST, ast.AST] = {}
        for node in self.nodes:
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node
        self.findings: list[Finding] = []

    # -- reporting ------------------------------------------------------------------------------
    def report(self, info: RuleInfo, node: ast.AST, message: str, line: int | None = None) -> None:
        """Record one finding for `info` at `node` (or at `line` inside it, for multi-line strings)."""
        node_line = getattr(node, "lineno", 1)
        lineno = node_line if line is None else line
        col = getattr(node, "col_offset", 0) + 1 if lineno == node_line else 1
        self.findings.append(
            Finding(
                code=info.code,
                rule=info.rule,
                severity=info.severity,
                category=info.category,
                message=message,
                line=lineno,
                col=col,
                snippet=self.snippet(lineno),
            )
        )

    def snippet(self, line: int) -> str:
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""

    # -- tree helpers ---------------------------------------------------------------------------
    def resolve(self, node: ast.AST) -> str | None:
        return self.aliases.resolve(node)

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(node)

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        cur = self.parents.get(node)
        while cur is not None:
            yield cur
            cur = self.parents.get(cur)

    def enclosing_function(self, node: ast.AST) -> FunctionNode | None:
        for anc in self.ancestors(node):
            if isinstance(anc, ast.FunctionDef | ast.AsyncFunctionDef):
                return anc
        return None

    def enclosing_class(self, node: ast.AST) -> ast.ClassDef | None:
        for anc in self.ancestors(node):
            if isinstance(anc, ast.ClassDef):
                return anc
        return None

    def walk(self) -> Iterator[ast.AST]:
        """Every node of the file, in `ast.walk` order."""
        return iter(self.nodes)

    @cached_property
    def class_names(self) -> frozenset[str]:
        return frozenset(n.name for n in self.nodes if isinstance(n, ast.ClassDef))

    @cached_property
    def function_names(self) -> frozenset[str]:
        return frozenset(n.name for n in self.nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))

    def references(self) -> Iterator[tuple[ast.AST, str]]:
        """Every maximal resolved name: each import's qualified names, and each load of a dotted chain.

        ``subprocess.run(...)`` yields ``subprocess.run`` once (not also ``subprocess``);
        ``getattr(os, "system")`` yields ``os.system``. Stores and deletes are not references.
        """
        return iter(self._references)

    @cached_property
    def _references(self) -> list[tuple[ast.AST, str]]:
        return list(self._find_references())

    def _find_references(self) -> Iterator[tuple[ast.AST, str]]:
        for node in self.nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for _, imported in imported_names(node):
                    yield node, imported
                continue
            if isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
                if not isinstance(node.ctx, ast.Load):
                    continue
            elif not isinstance(node, ast.Call):
                continue
            qual = self.resolve(node)
            if qual is None:
                continue
            parent = self.parents.get(node)
            if (
                isinstance(parent, ast.Attribute)
                and parent.value is node
                and self.resolve(parent) is not None
            ):
                continue
            yield node, qual

    def body_nodes(self, stmts: list[ast.stmt]) -> Iterator[ast.AST]:
        """All nodes under `stmts`, not descending into nested functions, lambdas or classes."""
        stack: list[ast.AST] = list(reversed(stmts))
        while stack:
            node = stack.pop()
            yield node
            if not isinstance(node, SCOPE_NODES):
                stack.extend(reversed(list(ast.iter_child_nodes(node))))

    @cached_property
    def facts(self) -> Facts:
        from kernelwright.guard.facts import Facts

        return Facts(self)
