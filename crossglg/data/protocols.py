"""Named one-shot protocols: novel classes, their exemplars, the auxiliary classes.

Classes are 0-based labels inside the code and 1-based dataset action ids wherever a
person reads them (`protocol show`). The `--aux-classes N` subsets take the first N
auxiliary classes in label order (the paper does not list its subsets).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ProtocolError
from . import composed
from .builtin import BUILTIN_CLASSES


@dataclass(frozen=True)
class OneShotProtocol:
    name: str
    dataset: str
    num_classes: int
    novel: tuple[int, ...]  # 0-based labels, in exemplar order
    exemplars: tuple[str, ...]
    auxiliary: tuple[int, ...] | None = None  # None: every other class present in the data
    note: str = ""

    def auxiliary_classes(self, present: np.ndarray | None = None, n: int | None = None) -> list[int]:
        """0-based auxiliary labels (the first `n` in label order when given)."""
        if self.auxiliary is not None:
            aux = list(self.auxiliary)
        elif present is not None:
            aux = sorted(set(int(c) for c in present) - set(self.novel))
        else:
            raise ProtocolError(
                f"{self.name}: the auxiliary classes are those present in the data; apply it to a cache"
            )
        if n is not None:
            if not 0 < n <= len(aux):
                raise ProtocolError(f"{self.name}: --aux-classes {n} is out of range (1..{len(aux)})")
            aux = aux[:n]
        return aux

    def apply(self, cache, aux_classes: int | None = None) -> "Split":
        """Split a cache into training (auxiliary) samples, exemplars and queries."""
        missing = [(c, e) for c, e in zip(self.novel, self.exemplars) if e not in cache]
        if missing:
            lst = ", ".join(f"{e} (class {c + 1})" for c, e in missing[:5])
            raise ProtocolError(
                f"{self.name}: {len(missing)} exemplar(s) missing from the cache at "
                f"{getattr(cache, 'path', '?')}: {lst}"
            )
        labels = np.asarray(cache.labels)
        aux = self.auxiliary_classes(labels, aux_classes)
        exemplar_idx = np.array([cache.index_of(e) for e in self.exemplars], dtype=np.int64)
        for c, i in zip(self.novel, exemplar_idx):
            if labels[i] != c:
                raise ProtocolError(
                    f"{self.name}: exemplar {cache.names[i]} has label {labels[i] + 1}, expected {c + 1}"
                )
        novel_pos = {c: k for k, c in enumerate(self.novel)}
        is_ex = np.zeros(len(labels), dtype=bool)
        is_ex[exemplar_idx] = True
        query_idx = np.array([i for i, c in enumerate(labels) if int(c) in novel_pos and not is_ex[i]], dtype=np.int64)
        train_idx = np.flatnonzero(np.isin(labels, aux))
        counts = {c + 1: int((labels[query_idx] == c).sum()) for c in self.novel}
        return Split(
            self,
            train_idx,
            np.asarray(aux),
            exemplar_idx,
            query_idx,
            np.array([novel_pos[int(c)] for c in labels[query_idx]], dtype=np.int64),
            counts,
        )

    def show(self) -> dict:
        aux = None if self.auxiliary is None else [c + 1 for c in self.auxiliary]
        out = {
            "name": self.name,
            "novel_classes": [c + 1 for c in self.novel],
            "auxiliary_classes": aux,
            "exemplars": list(self.exemplars),
        }
        if self.note:
            out["note"] = self.note
        return out


@dataclass
class Split:
    """The result of applying a protocol to a cache (indices into the cache)."""

    protocol: OneShotProtocol
    train_idx: np.ndarray
    aux_classes: np.ndarray  # 0-based labels; position = classifier output index
    exemplar_idx: np.ndarray  # one per novel class, in protocol order
    query_idx: np.ndarray
    query_targets: np.ndarray  # position of each query's class among the novel classes
    queries_per_class: dict[int, int]  # 1-based class id -> number of queries

    def summary(self) -> str:
        per = ", ".join(f"A{c:03d}:{n}" for c, n in self.queries_per_class.items())
        return (
            f"{self.protocol.name}: {len(self.train_idx)} training samples from {len(self.aux_classes)} "
            f"auxiliary classes; {len(self.exemplar_idx)} exemplars; {len(self.query_idx)} queries ({per})"
        )


def _ntu_exemplar(setup: int, action0: int) -> str:
    return f"S{setup:03d}C003P008R001A{action0 + 1:03d}"


def _others(n: int, novel) -> tuple[int, ...]:
    return tuple(c for c in range(n) if c not in set(novel))


_NTU120_NOVEL = tuple(range(0, 120, 6))
_NTU60_NOVEL = tuple(range(0, 60, 6))
_PKU_NOVEL = tuple(c - 1 for c in (5, 10, 13, 16, 19, 21, 26, 30, 35, 40))
_UTD_NOVEL = tuple(range(0, 27, 3))
_BUILTIN_NOVEL = tuple(range(0, len(BUILTIN_CLASSES), 3))
# Pseudo-novel validation on UTD-MHAD: 4 of the 18 auxiliary classes held out (swipe to
# the right, draw x, baseball swing, catch an object), trained on the other 14; the
# real novel classes are left out entirely. Settings are chosen here, never on the
# novel classes' queries.
_UTD_VAL_NOVEL = (1, 7, 13, 19)

PROTOCOLS: dict[str, OneShotProtocol] = {
    "ntu120_oneshot": OneShotProtocol(
        "ntu120_oneshot",
        "ntu120",
        120,
        _NTU120_NOVEL,
        tuple(_ntu_exemplar(1 if c < 60 else 18, c) for c in _NTU120_NOVEL),
        _others(120, _NTU120_NOVEL),
    ),
    "ntu60_oneshot": OneShotProtocol(
        "ntu60_oneshot",
        "ntu60",
        60,
        _NTU60_NOVEL,
        tuple(_ntu_exemplar(1, c) for c in _NTU60_NOVEL),
        _others(60, _NTU60_NOVEL),
    ),
    "pkummd2_oneshot": OneShotProtocol(
        "pkummd2_oneshot",
        "pkummd2",
        51,
        _PKU_NOVEL,
        (
            "A10N01-L_5",
            "A02N01-L_1",
            "A09N01-L_2",
            "A01N01-L_3",
            "A04N01-L_5",
            "A10N01-L_3",
            "A05N01-L_1",
            "A06N01-L_7",
            "A14N01-L_5",
            "A02N01-L_2",
        ),
        None,
        note="auxiliary: every other phase-II class present in the prepared data (31 of the 41)",
    ),
    "utdmhad_oneshot": OneShotProtocol(
        "utdmhad_oneshot",
        "utdmhad",
        27,
        _UTD_NOVEL,
        tuple(f"a{c + 1}_s1_t1" for c in _UTD_NOVEL),
        _others(27, _UTD_NOVEL),
    ),
    "utdmhad_val": OneShotProtocol(
        "utdmhad_val",
        "utdmhad",
        27,
        _UTD_VAL_NOVEL,
        tuple(f"a{c + 1}_s1_t1" for c in _UTD_VAL_NOVEL),
        _others(27, _UTD_NOVEL + _UTD_VAL_NOVEL),
        note="validation: 4 auxiliary classes held out as pseudo-novel, the 9 novel classes unused",
    ),
    "builtin_oneshot": OneShotProtocol(
        "builtin_oneshot",
        "builtin",
        len(BUILTIN_CLASSES),
        _BUILTIN_NOVEL,
        tuple(f"S001C002P001R001A{c + 1:03d}" for c in _BUILTIN_NOVEL),
        _others(len(BUILTIN_CLASSES), _BUILTIN_NOVEL),
    ),
    "composed_oneshot": OneShotProtocol(
        "composed_oneshot",
        "composed",
        composed.NUM_CLASSES,
        composed.NOVEL,
        tuple(f"S001C002P001R001A{c + 1:03d}" for c in composed.NOVEL),
        _others(composed.NUM_CLASSES, composed.NOVEL),
        note="novel classes are new combinations of part motions that the auxiliary classes all show",
    ),
}


def get_protocol(name: str) -> OneShotProtocol:
    key = name if name in PROTOCOLS else f"{name}_oneshot"
    if key not in PROTOCOLS:
        raise KeyError(f"unknown protocol {name!r}; known: {', '.join(PROTOCOLS)}")
    return PROTOCOLS[key]
