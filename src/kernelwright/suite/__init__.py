"""Many candidates: the runner (pairing problems with candidates, fast_p) and where judgements run.

- `runner`        items, pairing, the thread pool, summaries and fast_p
- `executors`     `make_judge_fn(name)`: the local pool (default) or Ray
- `executor_base` the payload a remote judge receives; `ray_executor` the Ray actor pool
"""
