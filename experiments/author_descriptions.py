"""Writes the shipped description files (crossglg/text/descriptions/*.json) from the
hand-written notes in description_notes.py, in the schema `describe` writes.

The Anthropic API could not be reached where these files were made, so they were
written by hand following prompt v1: one global sentence with the key body parts per
class, and per-body-part motion notes expanded to one sentence per joint (a joint
that the notes do not move gets a brief "barely moves" sentence for that action).

    python experiments/author_descriptions.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from description_notes import BUILTIN, NTU120, UTD  # noqa: E402

from crossglg.data.builtin import BUILTIN_CLASSES  # noqa: E402
from crossglg.data.layout import NTU_JOINTS  # noqa: E402
from crossglg.text.classes import NTU120_CLASSES, UTD_CLASSES  # noqa: E402
from crossglg.text.prompts import PROMPT_VERSION  # noqa: E402
from crossglg.text.schema import ClassDescription, make_file, validate_file  # noqa: E402

GROUPS = {
    "hd": ("neck", "head"),
    "to": ("base of spine", "middle of spine", "spine at shoulders"),
    "la": ("left shoulder", "left elbow"),
    "lh": ("left wrist", "left hand", "tip of left hand", "left thumb"),
    "ra": ("right shoulder", "right elbow"),
    "rh": ("right wrist", "right hand", "tip of right hand", "right thumb"),
    "ll": ("left hip", "left knee"),
    "lf": ("left ankle", "left foot"),
    "rl": ("right hip", "right knee"),
    "rf": ("right ankle", "right foot"),
}
GENERATOR = (f"hand-written following prompt {PROMPT_VERSION} (the Anthropic API was not reachable): per-body-part "
             "notes in experiments/description_notes.py expanded to joints by experiments/author_descriptions.py")
OUT = Path(__file__).resolve().parents[1] / "crossglg" / "text" / "descriptions"


def expand(cid: int, name: str, note: tuple[str, str, str]) -> ClassDescription:
    global_text, keys, parts = note
    moves = {}
    for part in parts.split("|"):
        group, phrase = (s.strip() for s in part.split(":", 1))
        for joint in GROUPS[group]:
            moves[joint] = phrase
    joints = {j: (f"The {j} {moves[j]}." if j in moves else f"The {j} barely moves while the person does '{name}'.")
              for j in NTU_JOINTS}
    key_joints = [j for g in keys.split() for j in GROUPS[g]]
    return ClassDescription(cid, name, global_text, key_joints, joints)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for dataset, names, notes in (("ntu120", NTU120_CLASSES, NTU120), ("utdmhad", UTD_CLASSES, UTD),
                                  ("builtin", BUILTIN_CLASSES, BUILTIN)):
        assert len(names) == len(notes), dataset
        classes = [expand(i + 1, n, note) for i, (n, note) in enumerate(zip(names, notes))]
        data = make_file(dataset, GENERATOR, PROMPT_VERSION, "2026-11-28", classes)
        validate_file(data, dataset)
        (OUT / f"{dataset}.json").write_text(json.dumps(data, indent=1) + "\n")
        print(f"{dataset}: {len(classes)} classes -> {OUT / (dataset + '.json')}")


if __name__ == "__main__":
    main()
