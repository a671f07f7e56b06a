"""Helpers for the phase rules: which expressions are *persistent state* (survive between calls).

Persistent state is what a cheat needs to behave differently on later calls: attributes of ``self``
(or of the class: ``cls.x``, ``ModelNew.x``, ``type(self).x``, ``self.__class__.x``), module-level
globals, function attributes, and items of those containers. Locals are not.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kernelwright.guard.context import Context, FunctionNode


@dataclass
class Scope:
    """What one function's names mean: its `self`, its locals, the module's globals."""

    fn: FunctionNode
    self_name: str | None
    params: set[str]
    locals: set[str]
    module_globals: set[str]
    class_names: set[str]
    func_names: set[str] = field(default_factory=set)


def module_globals(ctx: Context) -> set[str]:
    """Names bound at module level to data (not imports, functions or classes)."""
    out: set[str] = set()
    for stmt in ctx.tree.body:
        targets: list[ast.expr] = []
        if isinstance(stmt, ast.Assign):
            targets = list(stmt.targets)
        elif isinstance(stmt, ast.AnnAssign):
            targets = [stmt.target]
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and ctx.aliases.bound(n.id) is None:
                    out.add(n.id)
    return out


def make_scope(ctx: Context, fn: FunctionNode, globals_: set[str]) -> Scope:
    in_class = isinstance(ctx.parent(fn), ast.ClassDef)
    args = fn.args
    all_args = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    if args.vararg:
        all_args.append(args.vararg)
    if args.kwarg:
        all_args.append(args.kwarg)
    names = [a.arg for a in all_args]
    is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)
    self_name = names[0] if in_class and names and not is_static else None
    declared: set[str] = set()
    stored: set[str] = set()
    for n in ctx.body_nodes(fn.body):
        if isinstance(n, ast.Global | ast.Nonlocal):
            declared.update(n.names)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            stored.add(n.id)
    params = set(names) - ({self_name} if self_name else set())
    locals_ = (stored | params) - declared
    globals_ = globals_ | (declared - locals_)
    return Scope(fn, self_name, params, locals_, globals_, set(ctx.class_names), set(ctx.function_names))


def _is_self_like(scope: Scope, node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id == scope.self_name or node.id == "cls" or node.id in scope.class_names
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "type"
        and node.args
    ):
        return _is_self_like(scope, node.args[0])
    if isinstance(node, ast.Attribute) and node.attr == "__class__":
        return _is_self_like(scope, node.value)
    return False


def persistent_key(scope: Scope, node: ast.AST) -> str | None:
    """Normalised name of the persistent state `node` denotes (``self.calls``, ``_CACHE``,
    ``_STATE['n']``), or None when it is local or unknown."""
    if isinstance(node, ast.Attribute):
        if _is_self_like(scope, node.value):
            return f"self.{node.attr}"
        owner = node.value.id if isinstance(node.value, ast.Name) else None
        if (
            owner
            and owner not in scope.locals
            and (owner in scope.module_globals or owner in scope.func_names)
        ):
            return f"{owner}.{node.attr}"
        return None
    if isinstance(node, ast.Name):
        if node.id in scope.module_globals and node.id not in scope.locals:
            return node.id
        return None
    if isinstance(node, ast.Subscript):
        base = persistent_key(scope, node.value)
        return f"{base}[{ast.unparse(node.slice)}]" if base else None
    return None


def root_name(node: ast.AST) -> ast.Name | None:
    """The Name at the bottom of ``a.b[c].d()``-style chains."""
    while True:
        if isinstance(node, ast.Name):
            return node
        if isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return None


def bound_names(target: ast.AST) -> list[str]:
    """Local names a target binds (``a``, ``a, b``), not names used inside ``self.x[k]``."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in bound_names(elt)]
    if isinstance(target, ast.Starred):
        return bound_names(target.value)
    return []
