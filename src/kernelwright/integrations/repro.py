"""Reproduce one judged case: rebuild its inputs, run the candidate in the judge's sandbox, show the diff.

A rejection names a case (``fuzz:3`` is ``get_fuzz_inputs(3)``, ``seed:0`` is ``get_inputs()`` with
value seed 0); ``kernelwright repro PROBLEM CANDIDATE --case fuzz:3`` judges the candidate on that case
alone and reports the case's input shapes and dtypes, and per output the max abs/rel error, how many
elements differ and the first bad indices.

How: the very ``judge()`` every surface calls, with its case plan limited to the one case. The
candidate still runs only in the sandboxed candidate worker and the reference in its own worker; the
comparison is the judge's. The judge has no "one case" setting, so this module wraps three of its
internals for the duration of one call (the case planner, the reference's expected outputs, and
``compare.compare_outputs``, to keep the figures as numbers). That is process-wide, hence a lock, and
why the MCP server runs reproductions in a child process (``kernelwright repro --json``).

The value seed: the judge salts every case's values afresh per judgement and does not report the
salt, so a reproduction uses ``value_seed`` (default 0): the same shapes, other values. A kernel wrong
on a shape is wrong on it for almost any values.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from kernelwright.errors import BadInput

REPRO_SCHEMA = "kernelwright.repro/1"
CASE = re.compile(r"^(?P<kind>seed|fuzz):(?P<seed>\d+)(#\d+)?$")
_PATCH_LOCK = threading.Lock()


def parse_case(text: str) -> tuple[str, int]:
    """``"fuzz:3"`` -> ``("fuzz", 3)``; bad input otherwise."""
    m = CASE.match(text.strip())
    if m is None:
        raise BadInput(f"--case must look like fuzz:3 or seed:0 (a label from a verdict), not {text!r}")
    return m["kind"], int(m["seed"])


def _meta(t: Any) -> dict[str, Any]:
    import torch

    if isinstance(t, torch.Tensor):
        return {"shape": list(t.shape), "dtype": str(t.dtype).removeprefix("torch.")}
    if isinstance(t, dict) and "sha256" in t:  # a large input: sent as its digest (worker/common.py)
        return {"shape": t["shape"], "dtype": t["dtype"]}
    return {"value": repr(t)[:80]}


def reproduce(
    problem: str | Path,
    candidate: str | Path,
    case: str,
    *,
    value_seed: int = 0,
    device: str = "auto",
    allow_weak_sandbox: bool = False,
) -> dict[str, Any]:
    """Judge `candidate` on the one case `case`; a ``kernelwright.repro/1`` dict (see module doc)."""
    from kernelwright.judge import JudgeConfig, compare, judge, pipeline

    try:
        from kernelwright.worker.protocol import Case
    except ImportError:  # the judge before its typed wire protocol: Case lived in worker.common
        from kernelwright.worker.common import Case  # type: ignore[no-redef]

    kind, seed = parse_case(case)
    target = Case(kind, seed, value_seed)  # type: ignore[arg-type]
    config = JudgeConfig(
        seeds=1 if kind == "seed" else 0,
        fuzz=1 if kind == "fuzz" else 0,
        timing=False,  # one case, for its values: timing would only cost minutes on a GPU
        device=device,  # type: ignore[arg-type]
        allow_weak_sandbox=allow_weak_sandbox,
    )
    inputs: list[dict[str, Any]] = []
    compared: list[dict[str, Any]] = []
    plan, expected, compare_outputs = pipeline._plan_cases, pipeline._expected, compare.compare_outputs

    def one_case(meta: Any, cfg: Any, cuda: bool, run: Any) -> list[Any]:
        note = f"reproducing case {target.label()} alone, value seed {value_seed}"
        if kind == "seed" and not cuda:
            note += "; benchmark-size inputs on the CPU interpreter can take minutes"
        run.correctness.notes.append(note)
        run.correctness.fuzz_source = meta.fuzz_source
        return [target]

    def expected_outputs(ref: Any, cases: list[Any], spec: Any, timeout: float) -> list[Any]:
        out = expected(ref, cases, spec, timeout)
        if out and not inputs:
            inputs.extend(_meta(t) for t in out[0].inputs)
        return out

    def comparing(exp: list[Any], actual: list[Any], tol: Any, where: str) -> list[Any]:
        found = compare_outputs(exp, actual, tol, where)
        # The case itself, and a repeat that disagreed with it (a race); not the judge's own extra
        # checks of the same shape (its repeat and fresh-buffer calls, the ablation), which say the same.
        if (
            where.startswith("ablation")
            or where.endswith(")")
            or (where.startswith("repeat of") and all(m.ok for m in found))
        ):
            return found
        for i, m in enumerate(found):
            compared.append(
                {
                    "where": where + (f" output {i}" if len(found) > 1 else ""),
                    "ok": m.ok,
                    "max_abs_err": m.max_abs,
                    "max_rel_err": m.max_rel,
                    "rel_rms_err": m.rel_rms,
                    "bad_elements": m.bad,
                    "first_bad": [list(ix) for ix in m.first_bad],
                    "message": m.message,
                }
            )
        return found

    with _PATCH_LOCK:
        pipeline._plan_cases, pipeline._expected = one_case, expected_outputs  # type: ignore[assignment]
        compare.compare_outputs = comparing  # type: ignore[assignment]
        try:
            verdict = judge(problem, candidate, config)
        finally:
            pipeline._plan_cases, pipeline._expected, compare.compare_outputs = (  # type: ignore[assignment]
                plan,
                expected,
                compare_outputs,
            )
    body = verdict.to_json_dict()
    return {
        "schema": REPRO_SCHEMA,
        "problem": body["problem"],
        "candidate": body["candidate"],
        "case": target.label(),
        "builds_inputs_with": f"get_fuzz_inputs({seed})" if kind == "fuzz" else "get_inputs()",
        "value_seed": value_seed,
        "inputs": inputs,
        "ok": verdict.accepted,
        "outputs": compared,
        "verdict": body["verdict"],
        "category": body["category"],
        "reasons": body["reasons"],
        "notes": (body.get("correctness") or {}).get("notes", []),
        "environment": body["environment"],
    }


def render(result: dict[str, Any]) -> str:
    """The reproduction as text: case and inputs, then per output the figures, then the reasons."""
    from kernelwright.agent.feedback import lean_traceback, looks_like_traceback

    args = "; ".join(
        f"arg{i}: {m['dtype']}[{', '.join(map(str, m['shape']))}]"
        if "shape" in m
        else f"arg{i} = {m['value']}"
        for i, m in enumerate(result["inputs"])
    )
    lines = [
        f"case {result['case']} = {result['builds_inputs_with']}, value seed {result['value_seed']}",
        f"inputs: {args or 'not built (the reference failed first)'}",
    ]
    for row in result["outputs"]:
        if row["ok"]:
            lines.append(
                f"{row['where']}: ok (max abs err {row['max_abs_err']:.3g}, max rel err {row['max_rel_err']:.3g})"
            )
        else:
            lines.append(f"{row['where']}: WRONG: {row['message'].split(': ', 1)[-1]}")
    if not result["outputs"]:
        lines.append("outputs: not compared (the candidate did not produce them)")
    status = result["verdict"] + (f" ({result['category']})" if result["category"] else "")
    lines.append(f"verdict on this case: {status}")
    for r in result["reasons"]:
        if r["code"] == "KW-O001" and result["outputs"]:
            continue  # the per-output lines above say it with the figures
        lines.append(f"{r['code']}: {r['message']}")
        if r.get("evidence", "").strip():
            ev = r["evidence"]
            body = lean_traceback(ev) if looks_like_traceback(ev) else ev.strip()[-1500:]
            lines.extend("    " + x for x in body.splitlines())
    return "\n".join(lines) + "\n"
