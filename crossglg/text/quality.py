"""How much a description file says beyond the class name: distinctness and
consistency statistics of the per-joint sentences.

A templated file ("The <joint> barely moves while the person does '<action>'") carries
little more than the class name. To see that, each sentence is reduced to what is
left once its joint names and the words of its class's name are removed
(`residual`); the statistics count distinct residuals and the most repeated one.
A key joint (one that feeds the JID target) must not be described as still.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ..data.layout import NTU_JOINTS

#: Phrases that say a joint does not move; a key joint's sentence must contain none.
STILL_PHRASES: tuple[str, ...] = (
    "barely moves",
    "barely move",
    "does not move",
    "doesn't move",
    "do not move",
    "stays still",
    "remains still",
    "remain still",
    "stays stationary",
    "remains stationary",
    "stationary",
    "motionless",
    "no movement",
    "minimal movement",
    "not involved",
    "stays put",
    "remains stable",
)

# Longest names first, so that "tip of left hand" is removed before "left hand".
_JOINT_RE = re.compile("|".join(re.escape(j) for j in sorted(NTU_JOINTS, key=len, reverse=True)))
_WORD_RE = re.compile(r"[a-z]+")


def residual(sentence: str, class_name: str) -> str:
    """The sentence lower-cased, without joint names, class-name words and punctuation."""
    s = _JOINT_RE.sub(" ", sentence.lower())
    drop = set(_WORD_RE.findall(class_name.lower()))
    return " ".join(w for w in _WORD_RE.findall(s) if w not in drop)


def is_still(sentence: str) -> bool:
    s = sentence.lower()
    return any(p in s for p in STILL_PHRASES)


@dataclass
class DescriptionStats:
    sentences: int
    distinct: int
    most_repeated: str
    most_repeated_count: int
    still_key_joints: list[str]  # "class id: joint" for each key joint described as still

    @property
    def distinct_fraction(self) -> float:
        return self.distinct / max(self.sentences, 1)

    @property
    def repeat_limit(self) -> int:
        """The most times one residual may occur: max(25, 2 % of the sentences)."""
        return max(25, int(0.02 * self.sentences))

    def problems(self) -> list[str]:
        out = []
        if self.distinct_fraction < 0.5:
            out.append(
                f"only {self.distinct} of {self.sentences} sentences are distinct "
                f"({self.distinct_fraction:.0%} < 50 %) once joint and class names are removed"
            )
        if self.most_repeated_count > self.repeat_limit:
            out.append(f"{self.most_repeated!r} occurs {self.most_repeated_count} times (limit {self.repeat_limit})")
        if self.still_key_joints:
            out.append(
                f"key joints described as still: {', '.join(self.still_key_joints[:10])}"
                + (" ..." if len(self.still_key_joints) > 10 else "")
            )
        return out


def description_stats(classes) -> DescriptionStats:
    """Statistics of the per-joint sentences of `classes` (ClassDescription objects)."""
    counts: Counter[str] = Counter()
    still = []
    n = 0
    for c in classes:
        for joint, sentence in c.joints.items():
            counts[residual(sentence, c.name)] += 1
            n += 1
            if joint in c.key_joints and is_still(sentence):
                still.append(f"{c.id}: {joint}")
    top, top_n = counts.most_common(1)[0] if counts else ("", 0)
    return DescriptionStats(n, len(counts), top, top_n, still)
