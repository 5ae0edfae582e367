"""The shipped descriptions say more than the class name: distinct per-joint
sentences once joint and class names are removed, no formula repeated, key joints
described as moving (the targets of the text-guidance issue)."""

import json
from pathlib import Path

import pytest

from crossglg.text.quality import description_stats, is_still, residual
from crossglg.text.schema import ClassDescription, load_descriptions, validate_file

TEMPLATED = Path(__file__).resolve().parent.parent / "experiments" / "text" / "utdmhad_templated.json"


def test_residual_drops_joint_and_class_words():
    s = "The tip of right hand barely moves while the person does 'drink water'."
    assert residual(s, "drink water") == "the barely moves while the person does"
    # the longest joint name wins: no stray "tip of" left behind
    assert residual("Tip of left hand leads, left hand follows.", "x") == "leads follows"
    assert is_still("It remains stationary.") and not is_still("Sweeps left at chest height.")


@pytest.mark.parametrize("dataset", ["ntu120", "utdmhad", "builtin"])
def test_shipped_descriptions_meet_the_targets(dataset):
    classes = list(load_descriptions(dataset).values())
    stats = description_stats(classes)
    assert stats.sentences == 25 * len(classes)
    assert stats.problems() == []
    assert stats.distinct_fraction >= 0.5
    assert stats.most_repeated_count <= stats.repeat_limit
    for c in classes:
        assert 2 <= len(c.key_joints) <= 10, c.name


def test_templated_text_fails_the_targets():
    """The old template-expanded file is what the check exists to catch."""
    classes = validate_file(json.loads(TEMPLATED.read_text()))
    stats = description_stats(classes)
    assert stats.distinct_fraction < 0.5
    assert stats.most_repeated_count > stats.repeat_limit
    assert any("distinct" in p for p in stats.problems())


def test_still_key_joint_is_reported():
    joints = {j: f"moves {i}" for i, j in enumerate(load_descriptions("builtin")[1].joints)}
    joints["right hand"] = "The right hand stays still."
    c = ClassDescription(1, "wave", "A wave.", ["right hand", "right elbow"], joints)
    assert description_stats([c]).still_key_joints == ["1: right hand"]
