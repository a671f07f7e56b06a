"""The run folder: `trajectory.jsonl`, `summary.json`, `best.py`, `candidates/`.

Everything written here passes through `redact_obj`; files are replaced atomically so an interrupted
run never leaves a half-written summary.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from kernelwright.agent.attempt import Attempt
from kernelwright.secrets import redact_obj

OUTPUTS = ("trajectory.jsonl", "summary.json", "best.py")


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from kernelwright.errors import BadInput

            raise BadInput(f"cannot create the output folder {path}: {exc}") from exc
        for name in OUTPUTS:  # a stale best.py from an earlier run must not pass for this run's result
            (path / name).unlink(missing_ok=True)
        shutil.rmtree(path / "candidates", ignore_errors=True)
        (path / "candidates").mkdir()
        self._lock = threading.Lock()

    def candidate_file(self, attempt: Attempt) -> Path:
        file = self.path / "candidates" / f"{attempt.request_id}.py"
        file.write_text(attempt.candidate or "", encoding="utf-8")
        return file

    def append(self, attempts: list[Attempt]) -> None:
        with self._lock, (self.path / "trajectory.jsonl").open("a", encoding="utf-8") as fh:
            for a in attempts:
                fh.write(json.dumps(redact_obj(a.trajectory_line()), ensure_ascii=False) + "\n")

    def _atomic(self, name: str, text: str) -> None:
        tmp = self.path / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path / name)

    def write_best(self, source: str) -> None:
        self._atomic("best.py", source)  # not redacted: it must hash to the stored, signed verdict

    def write_summary(self, summary: dict[str, Any]) -> None:
        self._atomic("summary.json", json.dumps(redact_obj(summary), indent=1, ensure_ascii=False) + "\n")
