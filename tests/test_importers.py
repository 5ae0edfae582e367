"""`describe import`: converting published LLM descriptions into the description schema.

The small sources below are invented here (never the published text); the tests at
the end convert the real published folder when it is present."""

import json
from pathlib import Path

import pytest

from crossglg.data.layout import NTU_JOINTS
from crossglg.text.importers import (
    BODY_PART_JOINTS,
    SOURCES,
    ImportSourceError,
    Target,
    import_descriptions,
    import_gap,
    import_purls,
    import_skeletonagent,
    import_smie,
    is_still,
    key_joints_from_parts,
    write_import,
)
from crossglg.text.schema import DescriptionError, load_descriptions, make_file, shipped_path, validate_file
from helpers import SHARED_DATA

TEXT = SHARED_DATA / "text"  # ../shared/data/text from the repository
needs_text = pytest.mark.skipif(not TEXT.is_dir(), reason=f"published descriptions not found at {TEXT}")

RIGHT_ARM = ["right shoulder", "right elbow", "right wrist", "right hand", "tip of right hand", "right thumb"]


def test_body_part_table_is_a_partition_of_the_25_joints():
    joints = [j for part in BODY_PART_JOINTS.values() for j in part]
    assert sorted(joints) == sorted(NTU_JOINTS) and len(joints) == 25


# --------------------------------------------------------------------------- SkeletonAgent


def agent_dialogue(r1, r2, r3, r4, r5):
    sep = "\n\n" + "=" * 80 + "\n\n"
    rounds = [r1, "\n".join(r2), r3, "\n".join(r4), r5]
    return (
        "\n"
        + sep.join(f"Round {i} Question:\nA question.\n\nRound {i} Answer:\n{a}" for i, a in enumerate(rounds, 1))
        + sep
    )


WAVE = agent_dialogue(
    "A person lifts one arm and waves it.",
    [
        "Head: Faces forward.  ",
        "Hand: Swings left and right.  ",
        "Arm: Rises above the shoulder.  ",
        "Hip: Stays level.  ",
        "Leg: Holds still.  ",
        "Foot: Rests on the ground.",
    ],
    "9, 10, 11, 12",
    ["11-right wrist: Flicks to and fro.  ", "12-right hand: opens wide", "(Note: only two joints listed.)"],
    "The wave is seen in the raised right hand.",
)
BOW = agent_dialogue(
    "A person bends forward from the waist.",
    [
        "Head: Dips down.",
        "Hand: Hangs loose.",
        "Arm: Falls with the body.",
        "Hip: Folds forward.",
        "Leg: Stays straight.",
        "Foot: Stays flat.",
    ],
    "1, 2, 3, 4, 21",
    ["21-spine: Curves forward.", "4-head: Lowers toward the floor."],
    "A bow is a forward fold of the trunk with the head lowered.",
)


def write_agent(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_skeletonagent(tmp_path):
    src = write_agent(tmp_path / "nturgbd_120", {"001_wave.txt": WAVE, "002_bow.txt": BOW})
    out = import_skeletonagent(src, Target("ntu120", 2, ["hand wave", "bow"]))
    wave, bow = out.classes
    assert (wave.id, wave.name, bow.id) == (1, "hand wave", 2)
    assert wave.global_text == "A person lifts one arm and waves it. The wave is seen in the raised right hand."
    assert wave.key_joints == ["right shoulder", "right elbow", "right wrist", "right hand"]
    assert wave.joints["right wrist"] == "Right wrist: Flicks to and fro."
    assert wave.joints["right hand"] == "Right hand: Opens wide."
    assert wave.joints["left hand"] == "Hand: Swings left and right."
    assert wave.joints["tip of right hand"] == "Hand: Swings left and right."
    assert wave.joints["right elbow"] == "Arm: Rises above the shoulder."
    assert wave.joints["middle of spine"] == wave.joints["left hip"] == "Hip: Stays level."
    assert wave.joints["left knee"] == "Leg: Holds still."
    assert wave.joints["right ankle"] == "Foot: Rests on the ground."
    assert bow.key_joints == ["base of spine", "middle of spine", "neck", "head", "spine at shoulders"]
    assert bow.joints["spine at shoulders"] == "Spine at shoulders: Curves forward."  # 21 is spine at shoulders
    assert bow.joints["head"] == "Head: Lowers toward the floor."
    assert bow.joints["neck"] == "Head: Dips down."
    assert out.origin == {"joint": 4, "part": 46}


def test_skeletonagent_bad_files(tmp_path):
    broken = WAVE.replace("Round 3 Answer:", "Round 3 Reply:")
    src = write_agent(tmp_path / "a", {"001_wave.txt": broken, "002_bow.txt": BOW})
    with pytest.raises(ImportSourceError, match=r"001_wave\.txt: no answer to round\(s\) 3"):
        import_skeletonagent(src, Target("ntu120", 2, ["a", "b"]))
    src = write_agent(tmp_path / "b", {"001_wave.txt": WAVE.replace("Foot: Rests on the ground.", "")})
    with pytest.raises(ImportSourceError, match=r"001_wave\.txt: round 2 has no line for Foot"):
        import_skeletonagent(src, Target("ntu120", 1, ["a"]))
    src = write_agent(tmp_path / "c", {"001_wave.txt": WAVE, "003_bow.txt": BOW})
    with pytest.raises(ImportSourceError, match="class file.* 002 missing"):
        import_skeletonagent(src, Target("ntu120", 2, ["a", "b"]))


# --------------------------------------------------------------------------- PURLS

PURLS_HEADER = ["Action Labels", "Head", "Hands", "Torso", "Legs", "Start", "Middle", "End", "Global Desc"]
PURLS_ROWS = [
    [
        "Wave",
        "Remain still, looking ahead.",
        "Lift the right hand and wag it.",
        "Stay upright.",
        "Stand firm.",
        "raise the hand.",
        "wag it to and fro",
        "lower it.",
        " lift a hand and wag it side to side.",
    ],
    [
        "Kick",
        "Stay facing the target.",
        "Swing for balance.",
        "Lean back a little.",
        "One leg swings up and strikes.",
        "shift the weight.",
        "swing the leg.",
        "put it down.",
        " swing a leg at a target",
    ],
    [
        "Nod",
        "Dip down and come back up.",
        "Stay at the sides.",
        "Remain still.",
        "Remain still.",
        "face ahead.",
        "dip the head.",
        "lift it.",
        " dip the head once.",
    ],
]


def write_purls(path, sheet="UTD-MHAD", rows=PURLS_ROWS, header=PURLS_HEADER):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.title = "Other"
    ws = wb.create_sheet(sheet)
    for r in [header] + rows:
        ws.append(r)
    wb.save(path)
    return path


def test_purls(tmp_path):
    src = write_purls(tmp_path / "desc.xlsx")
    out = import_purls(src, Target("utdmhad", 3, ["right hand wave", "kick", "nod"]))
    wave, kick, nod = out.classes
    assert out.extra == {"sheet": "UTD-MHAD"}
    assert wave.global_text == (
        "Lift a hand and wag it side to side. Start: Raise the hand. Middle: Wag it to and fro. End: Lower it."
    )
    assert wave.joints["head"] == wave.joints["neck"] == "Head: Remain still, looking ahead."
    assert wave.joints["left elbow"] == wave.joints["right thumb"] == "Hands: Lift the right hand and wag it."
    assert wave.joints["middle of spine"] == wave.joints["right hip"] == "Torso: Stay upright."
    assert wave.joints["left knee"] == wave.joints["left foot"] == "Legs: Stand firm."
    assert wave.key_joints == RIGHT_ARM  # only the Hands line moves, and it says "right hand"
    # Hands and Torso move (no side named); Legs move with "One leg": both sides
    assert kick.key_joints == [j for j in NTU_JOINTS if j not in ("neck", "head")]
    assert nod.key_joints == ["neck", "head"]
    assert out.origin == {"part": 75}


def test_purls_side_from_class_name_and_fallback(tmp_path):
    rows = [
        [
            "Throw",
            "Stay still.",
            "Pull back and fling forward.",
            "Remain still.",
            "Remain still.",
            "a",
            "b",
            "c",
            " throw",
        ],
        ["Pose", "Stay still.", "Stay still.", "Remain still.", "Stand firm.", "a", "b", "c", " hold a pose"],
    ]
    src = write_purls(tmp_path / "desc.xlsx", rows=rows)
    throw, pose = import_purls(src, Target("utdmhad", 2, ["right arm throw", "pose"])).classes
    assert throw.key_joints == RIGHT_ARM  # the line names no side: the class name does
    assert pose.key_joints == list(NTU_JOINTS)  # nothing moves: all joints


def test_purls_bad_sources(tmp_path):
    src = write_purls(tmp_path / "desc.xlsx", sheet="NW-UCLA")
    with pytest.raises(ImportSourceError, match=r"desc\.xlsx: no sheet 'UTD-MHAD' \(sheets: Other, NW-UCLA\)"):
        import_purls(src, Target("utdmhad", 3, None))
    src = write_purls(tmp_path / "d2.xlsx")
    with pytest.raises(ImportSourceError, match=r"d2\.xlsx, sheet 'UTD-MHAD': 3 classes found, utdmhad has 27"):
        import_descriptions("purls", src, "utdmhad")
    src = write_purls(tmp_path / "d3.xlsx", header=PURLS_HEADER[:2] + ["Hand"] + PURLS_HEADER[3:])
    with pytest.raises(ImportSourceError, match="header has no column.* Hands"):
        import_purls(src, Target("utdmhad", 3, None))
    (tmp_path / "not.xlsx").write_text("plain text")
    with pytest.raises(ImportSourceError, match=r"not\.xlsx: not a readable \.xlsx file"):
        import_purls(tmp_path / "not.xlsx", Target("utdmhad", 3, None))


# --------------------------------------------------------------------------- GAP

GAP_LINES = [
    "wave;head faces ahead; hand swings from side to side;arm is raised high; hip remains stationary; "
    "leg doesn't move; foot stays planted.",
    "step;looks down; hands hang; arms swing a bit; hips turn; right leg lifts and steps; right foot lands.",
]


def test_gap(tmp_path):
    src = tmp_path / "pasta.txt"
    src.write_text("\n".join(GAP_LINES) + "\n\n")
    out = import_gap(src, Target("ntu120", 2, ["hand waving", "step"]))
    wave, step = out.classes
    assert wave.global_text == (
        "Head faces ahead; hand swings from side to side; arm is raised high; "
        "hip remains stationary; leg doesn't move; foot stays planted."
    )
    assert wave.joints["head"] == "Head faces ahead."
    assert wave.joints["right thumb"] == "Hand swings from side to side."
    assert wave.joints["left shoulder"] == "Arm is raised high."
    assert wave.joints["middle of spine"] == wave.joints["base of spine"] == "Hip remains stationary."
    assert wave.joints["right knee"] == "Leg doesn't move."
    assert wave.joints["left ankle"] == "Foot stays planted."
    assert step.joints["neck"] == "Head: Looks down."  # the line does not name its part
    assert wave.key_joints == [
        j for j in NTU_JOINTS if j in BODY_PART_JOINTS["head"] + BODY_PART_JOINTS["hand"] + BODY_PART_JOINTS["arm"]
    ]
    lower_right = ["right knee", "right ankle", "right foot"]
    assert [j for j in step.key_joints if j in BODY_PART_JOINTS["leg"] + BODY_PART_JOINTS["foot"]] == lower_right
    assert "left hand" in step.key_joints and "base of spine" in step.key_joints
    assert out.origin == {"part": 50}


def test_gap_bad_line(tmp_path):
    src = tmp_path / "pasta.txt"
    src.write_text(GAP_LINES[0] + "\nstep;head down;hand up\n")
    with pytest.raises(ImportSourceError, match=r"pasta\.txt, line 2: expected .*got 3 field"):
        import_gap(src, Target("ntu120", 2, None))


# --------------------------------------------------------------------------- SMIE

SMIE_LINES = [
    '"Salute" is raising the right hand to the forehead as a sign of respect.',
    '"Jump" is pushing off the ground with both feet.',
    '"Greet" is a friendly way to say hello',
]


def test_smie(tmp_path):
    src = tmp_path / "des.txt"
    src.write_bytes(("\r\n".join(SMIE_LINES)).encode())
    salute, jump, greet = import_smie(src, Target("pkummd2", 3, None)).classes
    assert [c.name for c in (salute, jump, greet)] == ["Salute", "Jump", "Greet"]  # names from the source
    assert salute.global_text == SMIE_LINES[0]
    assert set(salute.joints.values()) == {SMIE_LINES[0]} and len(salute.joints) == 25
    assert greet.joints["left knee"] == '"Greet" is a friendly way to say hello.'
    # names "hand" (right) and "forehead": the right hand joints and the head
    assert salute.key_joints == ["neck", "head", "right wrist", "right hand", "tip of right hand", "right thumb"]
    assert jump.key_joints == ["left ankle", "left foot", "right ankle", "right foot"]  # "both feet": both sides
    assert greet.key_joints == list(NTU_JOINTS)  # no body part named: all joints


def test_still_and_side_rules():
    assert is_still("Remain still.") and is_still("hip remains stationary") and is_still("Stand firm.")
    assert is_still("leg doesn't move") and not is_still("Swing for balance.")
    assert not is_still("Grip the bar firmly and pull.")
    assert key_joints_from_parts([("foot", "the left foot taps")], "") == ["left ankle", "left foot"]
    assert key_joints_from_parts([("hand", "left and right hands clap")], "right hand") == [
        j for j in NTU_JOINTS if j in BODY_PART_JOINTS["hand"]
    ]


# --------------------------------------------------------------------------- output file, CLI


def run_cli(argv, capsys):
    from crossglg.cli import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    cap = capsys.readouterr()
    return e.value.code, cap.out, cap.err


def test_cli_import_writes_a_valid_file_with_source_and_licence(tmp_path, capsys):
    folder = tmp_path / "smie"
    (folder / "descriptions").mkdir(parents=True)
    (folder / "LICENSE").write_text("a licence")
    src = folder / "descriptions" / "des.txt"
    src.write_text("\n".join(SMIE_LINES) + "\n")
    classes = tmp_path / "Actions.csv"
    classes.write_text("Label,Action\n1,salute\n2,jump up\n3,greet\n")
    out = tmp_path / "out" / "smie.json"
    code, stdout, err = run_cli(
        [
            "describe",
            "import",
            "smie",
            str(src),
            "--dataset",
            "pkummd2",
            "--out",
            str(out),
            "--classes-file",
            str(classes),
        ],
        capsys,
    )
    assert code == 0, err
    assert "3 classes imported" in stdout and "class 75" in stdout
    data = json.loads(out.read_text())
    assert data["source"] == {
        "format": "smie",
        "path": str(src),
        **SOURCES["smie"],
        "licence_file": str((folder / "LICENSE").resolve()),
    }
    assert data["source"]["licence"].startswith("MIT") and data["source"]["llm"] == "ChatGPT"
    assert data["dataset"] == "pkummd2" and data["prompt_version"] == "import:smie"
    loaded = load_descriptions("pkummd2", path=out)
    assert [c.name for c in loaded.values()] == ["salute", "jump up", "greet"]
    assert not list(out.parent.glob(".*.tmp"))  # written atomically, nothing left behind


def test_cli_import_bad_source_is_a_clear_error(tmp_path, capsys):
    src = tmp_path / "des.txt"
    src.write_text("\n".join(SMIE_LINES) + "\n")
    code, _, err = run_cli(
        ["describe", "import", "smie", str(src), "--dataset", "ntu120", "--out", str(tmp_path / "o.json")], capsys
    )
    assert code == 1 and err.strip() == f"error: {src}: 3 classes found, ntu120 has 120"
    assert "Traceback" not in err and not (tmp_path / "o.json").exists()
    code, _, err = run_cli(
        [
            "describe",
            "import",
            "gap",
            str(tmp_path / "missing.txt"),
            "--dataset",
            "ntu120",
            "--out",
            str(tmp_path / "o.json"),
        ],
        capsys,
    )
    assert code == 1 and "missing.txt: no such file" in err
    code, _, err = run_cli(["describe", "import", "smie", str(src), "--out", str(tmp_path / "o.json")], capsys)
    assert code == 2 and "needs --dataset and --out" in err


def test_cli_describe_dataset_unchanged(capsys):
    code, out, _ = run_cli(["describe", "utdmhad", "--show"], capsys)
    assert code == 0 and len(json.loads(out)) == 27
    code, _, err = run_cli(["describe", "utdmhad"], capsys)
    assert code == 2 and "describe needs --out FILE" in err


def test_schema_source_field_is_optional_and_checked(tmp_path):
    shipped = json.loads(shipped_path("utdmhad").read_text())
    assert "source" not in shipped and len(validate_file(shipped)) == 27
    classes = list(load_descriptions("utdmhad").values())[:2]
    ok = make_file("utdmhad", "g", "v", "2026-01-01", classes, source={"format": "x", "project": "p", "licence": "MIT"})
    assert ok["source"]["licence"] == "MIT" and len(validate_file(ok)) == 2
    with pytest.raises(DescriptionError, match="source lacks licence"):
        validate_file({**ok, "source": {"format": "x", "project": "p"}})
    with pytest.raises(DescriptionError, match="source must be an object"):
        validate_file({**ok, "source": "somewhere"})


# --------------------------------------------------------------------------- the published folder


def check_real(fmt, src, dataset, n, tmp_path):
    out = tmp_path / f"{fmt}-{dataset}.json"
    imported = write_import(fmt, src, dataset, out)
    data = json.loads(out.read_text())
    classes = load_descriptions(dataset, path=out)
    assert len(classes) == n == len(imported.classes) and sorted(classes) == list(range(1, n + 1))
    assert data["source"]["format"] == fmt and data["source"]["licence"] and data["source"]["licence_file"]
    assert all(c.key_joints and len(c.joints) == 25 for c in classes.values())
    return imported


@needs_text
def test_real_skeletonagent(tmp_path):
    base = TEXT / "skeletonagent/skeletonagent/models/heads/text/gpt4o"
    imported = check_real("skeletonagent", base / "nturgbd_120", "ntu120", 120, tmp_path)
    assert imported.origin["joint"] > 0 and imported.origin["part"] > 0
    check_real("skeletonagent", base / "nturgbd_60", "ntu60", 60, tmp_path)


@needs_text
def test_real_purls(tmp_path):
    pytest.importorskip("openpyxl")
    src = TEXT / "purls/supplements/gpt3_desc.xlsx"
    check_real("purls", src, "utdmhad", 27, tmp_path)
    check_real("purls", src, "ntu120", 120, tmp_path)
    with pytest.raises(ImportSourceError, match="PURLS has no sheet for pkummd2"):
        import_descriptions("purls", src, "pkummd2")


@needs_text
def test_real_gap(tmp_path):
    check_real("gap", TEXT / "gap/text/pasta_openai_t01.txt", "ntu120", 120, tmp_path)


@needs_text
def test_real_smie(tmp_path):
    check_real("smie", TEXT / "smie/descriptions/ntu120_des.txt", "ntu120", 120, tmp_path)
    check_real("smie", TEXT / "smie/descriptions/ntu60_des.txt", "ntu60", 60, tmp_path)
    check_real("smie", TEXT / "smie/descriptions/pku_des.txt", "pkummd2", 51, tmp_path)


def test_the_licence_path_is_written_as_the_source_was_given(tmp_path, monkeypatch):
    """A source reached through a symlinked folder and given relative keeps that form in
    the recorded licence path (not the symlink's target climbed up to with `../..`)."""
    from crossglg.text.importers import _licence_file

    real = tmp_path / "elsewhere" / "deep" / "published"
    real.mkdir(parents=True)
    (real / "LICENSE").write_text("MIT")
    (real / "desc.txt").write_text("x")
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "shared").symlink_to(real)
    monkeypatch.chdir(work)
    assert _licence_file(Path("../shared/desc.txt")) == "../shared/LICENSE"
    assert _licence_file((work / "../shared/desc.txt").absolute()) == str(tmp_path / "shared" / "LICENSE")
