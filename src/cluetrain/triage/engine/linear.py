"""Linear classifiers over a shared vocabulary, stored as plain arrays (never pickle).

A ``LinearModel`` is a vocabulary and one or more heads (intent, complaint, department...),
each a weight matrix, an intercept and its class names. All heads are scored with a single
sparse matrix product per batch. ``to_bytes``/``from_bytes`` use numpy's ``.npz`` with
``allow_pickle=False``: a model stored in the database can be loaded without trusting it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from cluetrain.triage.engine.features import matrix

FORMAT = "cluetrain-triage-linear/1"


@dataclass(frozen=True)
class Head:
    """One field's classifier: a class per column, or one column for a yes/no field."""

    name: str
    classes: tuple[str, ...]  # for a binary head: ("0", "1") or the two labels, negative first
    start: int  # first column in the model's weight matrix
    width: int  # 1 for a binary head, else len(classes)

    @property
    def binary(self) -> bool:
        return self.width == 1


class LinearModel:
    """A vocabulary and heads; ``scores`` gives every head's probabilities for a batch."""

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        heads: Sequence[Head],
        weights: np.ndarray,
        intercepts: np.ndarray,
        meta: Mapping[str, object] | None = None,
    ) -> None:
        self.vocabulary = dict(vocabulary)
        self.heads = {h.name: h for h in heads}
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.intercepts = np.asarray(intercepts, dtype=np.float32)
        self.meta = dict(meta or {})
        self.cache: dict[str, object] = {}  # things derived once per model (explanations)

    def probabilities(self, term_lists: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
        """Per head, an array (batch x classes) of probabilities."""
        x = matrix(term_lists, self.vocabulary)
        logits = np.asarray(x @ self.weights) + self.intercepts
        out: dict[str, np.ndarray] = {}
        for head in self.heads.values():
            z = logits[:, head.start : head.start + head.width]
            if head.binary:
                p = 1.0 / (1.0 + np.exp(-z[:, 0]))
                out[head.name] = np.column_stack([1.0 - p, p])
            else:
                z = z - z.max(axis=1, keepdims=True)
                e = np.exp(z)
                out[head.name] = e / e.sum(axis=1, keepdims=True)
        return out

    def column(self, head: str, klass: str) -> np.ndarray:
        """Each vocabulary term's weight towards one class of a head (for explanations)."""
        h = self.heads[head]
        col = h.start if h.binary else h.start + h.classes.index(klass)
        sign = -1.0 if h.binary and klass == h.classes[0] else 1.0
        return self.weights[:, col] * sign

    # --- storage ------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        header = {
            "format": FORMAT,
            "heads": [[h.name, list(h.classes), h.start, h.width] for h in self.heads.values()],
            "meta": self.meta,
        }
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            vocabulary=np.frombuffer("\n".join(self.vocabulary).encode(), dtype=np.uint8),
            weights=self.weights.astype(np.float16),
            intercepts=self.intercepts,
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearModel:
        """Load a model; raises ``ValueError`` for anything that is not one."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                header = json.loads(z["header"].tobytes().decode())
                words = z["vocabulary"].tobytes().decode()
                weights = z["weights"].astype(np.float32)
                intercepts = z["intercepts"]
        except (OSError, KeyError, ValueError, UnicodeDecodeError) as exc:
            raise ValueError(f"not a triage model: {exc}") from exc
        if header.get("format") != FORMAT:
            raise ValueError(f"not a triage model: format {header.get('format')!r}")
        vocabulary = {w: i for i, w in enumerate(words.split("\n"))} if words else {}
        heads = [Head(n, tuple(c), int(s), int(w)) for n, c, s, w in header["heads"]]
        if weights.shape != (max(len(vocabulary), 1), intercepts.shape[0]):
            raise ValueError("not a triage model: weights do not match the vocabulary")
        return cls(vocabulary, heads, weights, intercepts, header.get("meta"))


def fit_heads(
    x: sparse.csr_matrix,
    labels: Mapping[str, Sequence[str | None]],
    sample_weight: np.ndarray | None = None,
    c: float = 4.0,
    fast: bool = False,
) -> tuple[list[Head], np.ndarray, np.ndarray]:
    """Logistic regression per field on the rows that have a label for it.

    ``fast``: stochastic gradient descent (a few passes, well under a second for 10,000
    examples, as accurate on corrections as the exact fit that takes a hundred times longer);
    otherwise the exact fit with balanced classes (for the shipped models, built offline).
    Returns the heads, the weight matrix (vocabulary x columns) and intercepts. A field
    whose labels have fewer than two classes is left out (nothing to learn)."""
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    heads: list[Head] = []
    columns: list[np.ndarray] = []
    intercepts: list[float] = []
    start = 0
    for name, ys in labels.items():
        rows = [i for i, y in enumerate(ys) if y is not None]
        classes = sorted({str(ys[i]) for i in rows})
        if len(classes) < 2:
            continue
        model: LogisticRegression | SGDClassifier
        if fast:
            model = SGDClassifier(
                loss="log_loss", alpha=2e-5, max_iter=15, tol=None, random_state=0
            )
        else:
            model = LogisticRegression(C=c, max_iter=300, class_weight="balanced")
        weight = None if sample_weight is None else sample_weight[rows]
        model.fit(x[rows], [str(ys[i]) for i in rows], sample_weight=weight)
        coef = model.coef_.T.astype(np.float32)  # vocabulary x (1 or classes)
        heads.append(Head(name, tuple(str(k) for k in model.classes_), start, coef.shape[1]))
        columns.append(coef)
        intercepts.extend(float(b) for b in model.intercept_)
        start += coef.shape[1]
    if not columns:
        return [], np.zeros((x.shape[1], 0), dtype=np.float32), np.zeros(0, dtype=np.float32)
    return heads, np.hstack(columns), np.asarray(intercepts, dtype=np.float32)
