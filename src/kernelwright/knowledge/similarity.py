"""Similarity measures for retrieval: what two problems compute (ops) and how they read (tokens).

Why both: the op multiset finds a softmax written as ``F.softmax`` or ``x.exp() / x.exp().sum()``'s
cousin; the text finds the problem with the same layout and shapes when the ops alone tie.
"""

from __future__ import annotations

import math
import re
from collections import Counter


def weighted_jaccard(a: dict[str, int], b: dict[str, int]) -> float:
    """Multiset Jaccard: sum of min counts over sum of max counts (0 when both empty)."""
    keys = set(a) | set(b)
    top = sum(max(a.get(k, 0), b.get(k, 0)) for k in keys)
    return sum(min(a.get(k, 0), b.get(k, 0)) for k in keys) / top if top else 0.0


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")


def tokens(source: str) -> Counter[str]:
    return Counter(t.lower() for t in _TOKEN.findall(source))


def tfidf_cosines(query: str, documents: list[str]) -> list[float]:
    """Cosine similarity of ``query`` to each document under TF-IDF weights fitted on all of them."""
    bags = [tokens(d) for d in documents]
    qbag = tokens(query)
    n = len(bags) + 1
    df: Counter[str] = Counter()
    for bag in [*bags, qbag]:
        df.update(bag.keys())

    def vec(bag: Counter[str]) -> dict[str, float]:
        return {t: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in bag.items()}

    def norm(v: dict[str, float]) -> float:
        return math.sqrt(sum(x * x for x in v.values())) or 1.0

    qv = vec(qbag)
    qn = norm(qv)
    out = []
    for bag in bags:
        dv = vec(bag)
        out.append(sum(w * dv.get(t, 0.0) for t, w in qv.items()) / (qn * norm(dv)))
    return out
