"""Re-create `recordings/relu-demo/`: a scripted session recorded against the local fake OpenAI server.

    python tests/fakes/record_demo.py [--out recordings/relu-demo]

The "model" is a script (syntax error -> wrong kernel -> correct kernel), not a real LLM; the recording
lets `kernelwright optimize ... --provider replay --replay recordings/relu-demo` show the whole loop
offline (the lead's `kernelwright demo` calls it).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fakes import kernels  # noqa: E402
from fakes.llm_server import FakeLLMServer  # noqa: E402

ROOT = HERE.parent.parent
NOTE = "scripted session recorded against a local fake server; not a real model"
STEPS = [{"text": kernels.SYNTAX_ERROR_REPLY}, {"text": kernels.WRONG_REPLY}, {"text": kernels.CORRECT_REPLY}]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "recordings" / "relu-demo"))
    args = ap.parse_args()
    with FakeLLMServer("openai", STEPS) as server, tempfile.TemporaryDirectory(prefix="kw-demo-") as run:
        env = {**os.environ, "OPENAI_API_KEY": "unused"}
        cmd = [
            sys.executable,
            "-c",
            "from kernelwright.cli import main; main()",
            "optimize",
            str(ROOT / "src/kernelwright/problems/level1/relu.py"),
            "--provider",
            "openai",
            "--base-url",
            server.base_url,
            "--model",
            server.model,
            "--max-turns",
            "5",
            "--record",
            args.out,
            "--out",
            run,
            "--no-store",
        ]
        proc = subprocess.run(cmd, env=env, cwd=ROOT)
    manifest = Path(args.out) / "session.json"
    session = json.loads(manifest.read_text())
    session["note"] = NOTE
    manifest.write_text(json.dumps(session, indent=1) + "\n")
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
