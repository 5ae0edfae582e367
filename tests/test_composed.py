"""The generated `composed` set: novel classes are new combinations of seen part
motions, and its text is derived from the motions that make each class."""

import numpy as np
import pytest

from crossglg.data import composed as C
from crossglg.data.datasets import class_names, get_dataset
from crossglg.data.layout import NTU_JOINTS
from crossglg.data.protocols import get_protocol
from crossglg.data.synthetic import forward_kinematics, performer_of, planted_offset, write_recordings
from crossglg.text.schema import load_descriptions

AUX = [k for k in range(C.NUM_CLASSES) if k not in C.NOVEL]


def test_classes_are_distinct_compositions_and_novel_ones_are_new_combinations():
    assert len(set(C.CLASSES)) == C.NUM_CLASSES == len(set(C.COMPOSED_CLASSES)) == 40
    assert C.NOVEL == tuple(range(0, 40, 4)) == get_protocol("composed").novel
    for c in C.CLASSES:
        assert sum(m != s for m, s in zip(c.motions, C.STILL)) >= 2, c
    for part, motions in enumerate((C.ARM, C.ARM, C.LEGS, C.TRUNK)):  # every part motion is seen in training
        assert {C.CLASSES[k].motions[part] for k in AUX} == set(motions)
    for n in C.NOVEL:  # ... but no novel class is one part away from an auxiliary class
        assert min(sum(x != y for x, y in zip(C.CLASSES[n].motions, C.CLASSES[a].motions)) for a in AUX) >= 2
    assert (
        class_names("composed")[4]
        == C.CLASSES[4].name
        == "punch with the right arm, punch with the left arm, kick with the right leg"
    )


def _positions(label: int) -> np.ndarray:
    """`(T, V, 3)`: a clean rendering of `label` in the body's frame (no camera, noise or
    sway; the feet planted where the class plants them)."""
    p = np.linspace(0, 1, 60)
    q = C.pose(label, p, 1.0)
    lengths = performer_of(0, 1).lengths
    frames = [forward_kinematics(q, t, lengths) for t in range(60)]
    rest = forward_kinematics({}, 0, lengths)
    return np.stack([f + planted_offset(f, rest) if C.plants_feet(label) else f for f in frames])


def _motion(label: int) -> np.ndarray:
    """Per-joint spread of positions `(V,)` (metres) of `_positions(label)`."""
    return _positions(label).std(axis=0).sum(axis=-1)


@pytest.mark.parametrize("label", range(40))
def test_key_joints_are_the_joints_that_move(label):
    desc = load_descriptions("composed")[label + 1]
    motion = _motion(label)
    key = [NTU_JOINTS.index(j) for j in desc.key_joints]
    others = [v for v in range(25) if v not in key]
    assert motion[key].min() > 0.05  # no key joint is still
    if C.plants_feet(label):  # a squat lowers everything above the knees: the hips sink, the feet stay
        hips, ankles = [NTU_JOINTS.index(j) for j in ("left hip", "right hip")], [14, 18]
        assert motion[hips].min() > 3 * motion[ankles].max()
    else:  # elsewhere the key joints are the ones that move most
        assert motion[key].mean() > 1.1 * motion[others].mean()
    for j, sentence in desc.joints.items():  # a joint said to stay put on the floor does
        if "planted" in sentence or "stays on the floor" in sentence:
            assert np.ptp(_positions(label)[:, NTU_JOINTS.index(j)], axis=0).max() < 0.03, (j, sentence)


def test_each_joint_sentence_names_its_parts_motion():
    """A joint's sentence determines the motion of its part (the text is informative),
    and classes that share a part motion share that part's wording."""
    desc = load_descriptions("composed")
    part_of = {j: part for part, joints in enumerate(C.PART_JOINTS) for j in joints}
    assert sorted(part_of) == sorted(NTU_JOINTS)
    for j, part in part_of.items():
        seen: dict[str, str] = {}
        for k in range(40):
            sentence = desc[k + 1].joints[j]
            first = sentence.split(". ")[0].rstrip(".")  # the part's own clause, before what other parts do to it
            motion = C.CLASSES[k].motions[part]
            assert seen.setdefault(first, motion) == motion, (j, first)
        assert len(seen) == len({C.CLASSES[k].motions[part] for k in range(40)})
    assert "hangs relaxed" in desc[1].joints["right hand"] and "sways" in desc[1].joints["right hand"]  # side bend
    assert "kick" in desc[5].joints["right knee"] or "hip height" in desc[5].joints["right knee"]


def test_recordings_parse_with_their_label(tmp_path):
    write_recordings(
        tmp_path,
        [(4, 1, 2, 1), (4, 2, 2, 1), (7, 1, 1, 1)],
        lambda a, p, c, r: C.generate_sample(a, p, c, r, seed=0),
        "composed",
        progress=False,
    )
    spec = get_dataset("composed")
    samples = [s for path in spec.sources(tmp_path) for s in spec.read(path, path.read_bytes(), {})]
    assert [s.label for s in samples] == [7, 4, 4]  # sorted by name: camera 1 first
    assert samples[0].array.shape[0] == 3 and samples[0].array.shape[2:] == (25, 2)
    assert not np.allclose(samples[1].array[..., 0].std(1), samples[2].array[..., 0].std(1))  # performers differ
    again = C.generate_sample(4, 1, 2, 1, seed=0)
    assert all(np.array_equal(a[0][1], b[0][1]) for a, b in zip(again, C.generate_sample(4, 1, 2, 1, seed=0)) if a)
