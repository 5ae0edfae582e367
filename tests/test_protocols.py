import json
import subprocess
import sys

import numpy as np
import pytest

from crossglg.data.protocols import PROTOCOLS, ProtocolError, get_protocol


def show(name):
    out = subprocess.run(
        [sys.executable, "-m", "crossglg", "protocol", "show", name, "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)


def test_ntu120_lists_equal_design():
    p = show("ntu120_oneshot")
    assert p["novel_classes"] == list(range(1, 121, 6)) and len(p["novel_classes"]) == 20
    assert len(p["auxiliary_classes"]) == 100 and not set(p["auxiliary_classes"]) & set(p["novel_classes"])
    assert p["exemplars"] == [f"S001C003P008R001A{a:03d}" for a in (1, 7, 13, 19, 25, 31, 37, 43, 49, 55)] + [
        f"S018C003P008R001A{a:03d}" for a in (61, 67, 73, 79, 85, 91, 97, 103, 109, 115)
    ]


def test_other_protocols_equal_design():
    p = get_protocol("ntu60").show()
    assert p["novel_classes"] == list(range(1, 61, 6)) and len(p["auxiliary_classes"]) == 50
    assert p["exemplars"] == [f"S001C003P008R001A{a:03d}" for a in range(1, 56, 6)]
    pku = get_protocol("pkummd2").show()
    assert pku["novel_classes"] == [5, 10, 13, 16, 19, 21, 26, 30, 35, 40]
    assert pku["exemplars"] == [
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
    ]
    utd = get_protocol("utdmhad").show()
    assert utd["novel_classes"] == list(range(1, 28, 3)) and utd["exemplars"][2] == "a7_s1_t1"
    assert set(PROTOCOLS) == {
        "ntu120_oneshot",
        "ntu60_oneshot",
        "pkummd2_oneshot",
        "utdmhad_oneshot",
        "builtin_oneshot",
        "utdmhad_val",
        "composed_oneshot",
    }


def test_aux_subsets_take_first_n_in_label_order():
    p = get_protocol("ntu120")
    for n in (20, 40, 60, 80, 100):
        aux = p.auxiliary_classes(n=n)
        assert len(aux) == n and aux == sorted(aux) and aux[0] == 1
    assert p.auxiliary_classes(n=20)[:6] == [1, 2, 3, 4, 5, 7]
    with pytest.raises(ProtocolError, match="out of range"):
        p.auxiliary_classes(n=101)


class FakeCache:
    def __init__(self, names, labels):
        self.names, self.labels, self.path = names, np.array(labels), "fake"

    def __contains__(self, n):
        return n in self.names

    def index_of(self, n):
        return self.names.index(n)


def test_apply_refuses_missing_exemplar_and_counts_queries():
    p = get_protocol("utdmhad")
    names, labels = [], []
    for c in range(27):
        for s in (1, 2, 3):
            names.append(f"a{c + 1}_s{s}_t1")
            labels.append(c)
    split = p.apply(FakeCache(names, labels))
    assert len(split.exemplar_idx) == 9 and len(split.query_idx) == 18 and len(split.train_idx) == 54
    assert split.queries_per_class == {c: 2 for c in range(1, 28, 3)}
    assert not set(split.train_idx) & set(split.query_idx) | set(split.exemplar_idx) & set(split.train_idx)
    i = names.index("a4_s1_t1")
    with pytest.raises(ProtocolError, match="a4_s1_t1 \\(class 4\\)"):
        p.apply(FakeCache(names[:i] + names[i + 1 :], labels[:i] + labels[i + 1 :]))
