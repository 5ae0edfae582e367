"""The tables in README.md and docs/ are data: they are regenerated from the committed
run records, and a table that differs from its records fails here."""

import json
from pathlib import Path

import pytest

from crossglg.results.docs import DocsError, layouts_table, regenerate, stale

ROOT = Path(__file__).resolve().parent.parent


def test_every_generated_table_matches_the_committed_records():
    assert stale(ROOT, ROOT / "results") == [], "run: python -m crossglg tables"


def _record(folder: Path, run: str, seed: int, row: str, acc: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{run}.json").write_text(
        json.dumps(
            {
                "params": {"seed_everything": seed, "config": f"configs/methods/{row}.yaml"},
                "settings": {"max_epochs": 15},
                "top1": acc,
                "exemplar_avg_top1": acc,
                "queries": 10,
                "classes": 2,
                "exemplar_draws": 5,
                "exemplar_avg_std": 0.01,
                "wall_s": 90.0,
                "machine": {"device": "a CPU", "threads": 2},
            }
        )
    )


def test_a_changed_record_makes_its_table_stale_until_regenerated(tmp_path):
    records = tmp_path / "results"
    for seed, (a, b) in enumerate([(0.5, 0.6), (0.5, 0.7), (0.6, 0.7)]):
        _record(records / "pair", f"s{seed}p", seed, "plain", a)
        _record(records / "pair", f"s{seed}c", seed, "crossglg", b)
    _record(records / "demo", "run", 0, "crossglg", 0.9)
    readme = tmp_path / "README.md"
    readme.write_text(
        "intro\n<!-- crossglg:demo -->\nold\n<!-- crossglg:end -->\n\n"
        "<!-- crossglg:table headline pair baseline=plain -->\n<!-- crossglg:end -->\nend\n"
    )
    assert stale(tmp_path, records) == [readme]
    assert regenerate(tmp_path, records) == [readme] and stale(tmp_path, records) == []
    text = readme.read_text()
    assert (
        "one-shot top-1: 0.900 (10 queries, 2 novel classes)" in text
        and "took 1.5 min from the command's start" in text
    )
    assert "| plain | 3 | 0.533 | baseline | 0.533 |" in text and "| crossglg | 3 | 0.667 | +0.133 [" in text
    assert text.startswith("intro\n") and text.endswith("end\n") and "old" not in text
    _record(records / "pair", "s2c", 2, "crossglg", 0.9)  # a re-run changes a number
    assert stale(tmp_path, records) == [readme]
    regenerate(tmp_path, records)
    assert "| crossglg | 3 | 0.733 |" in readme.read_text()
    readme.write_text("<!-- crossglg:table paired gone baseline=plain -->\n<!-- crossglg:end -->\n")
    with pytest.raises(DocsError, match="README.md: block 'table paired gone baseline=plain': .*gone: no records here"):
        regenerate(tmp_path, records)


def test_seeds_common_keeps_only_the_seeds_every_row_has(tmp_path):
    """A row run at fewer seeds: with `seeds=common` every row's mean is over those seeds."""
    records = tmp_path / "results"
    for seed, a in enumerate([0.5, 0.6, 0.9]):
        _record(records / "pair", f"s{seed}p", seed, "plain", a)
    _record(records / "pair", "s0c", 0, "crossglg", 0.7)
    _record(records / "pair", "s1c", 1, "crossglg", 0.8)
    readme = tmp_path / "README.md"
    readme.write_text("<!-- crossglg:table headline pair baseline=plain seeds=common -->\n<!-- crossglg:end -->\n")
    regenerate(tmp_path, records)
    text = readme.read_text()
    assert "| plain | 2 | 0.550 | baseline | 0.550 |" in text and "| crossglg | 2 | 0.750 | +0.200 [" in text
    readme.write_text("<!-- crossglg:table headline pair baseline=plain -->\n<!-- crossglg:end -->\n")
    regenerate(tmp_path, records)
    assert "| plain | 3 | 0.667 | baseline |" in readme.read_text()
    readme.write_text("<!-- crossglg:table paired pair baseline=plain seeds=some -->\n<!-- crossglg:end -->\n")
    with pytest.raises(DocsError, match="seeds=some: the only choice is seeds=common"):
        regenerate(tmp_path, records)


def test_the_joint_mapping_table_comes_from_the_layouts():
    rows = layouts_table().splitlines()
    assert len(rows) == 2 + 25 and rows[0].startswith("| NTU joint | `kinect1` | `msr20` | `h36m17` | `mediapipe33` |")
    neck = next(r for r in rows if r.startswith("| 3 "))
    assert "mean of left shoulder, right shoulder, left ear, right ear" in neck


def test_the_front_door_has_its_generated_blocks_and_a_broken_marker_is_named(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert "<!-- crossglg:demo -->" in readme and "<!-- crossglg:table headline utdmhad_encoders" in readme
    (tmp_path / "README.md").write_text("a\n<!-- crossglg:table layouts -->\nno end\n")
    with pytest.raises(DocsError, match=r"README.md:2: block 'table layouts' has no <!-- crossglg:end --> line"):
        stale(tmp_path, tmp_path)
    (tmp_path / "README.md").write_text("<!-- crossglg:table layouts --> b\n<!-- crossglg:end -->\n")
    with pytest.raises(DocsError, match="README.md:1: not a generated-block marker on a line of its own"):
        stale(tmp_path, tmp_path)


def test_a_walkthrough_block_shows_the_recorded_commands_and_output(tmp_path):
    from crossglg.results.docs import render

    text = "# x\n<!-- crossglg:session shipped -->\nold\n<!-- crossglg:end -->\n"
    with pytest.raises(DocsError, match=r"sessions/shipped.json: no such session record"):
        render(text, tmp_path)
    (tmp_path / "sessions").mkdir()
    steps = [{"command": "python -m crossglg enroll a.mat", "output": "enrolled 'a'"}, {"command": "ls", "output": ""}]
    rec = {"steps": steps, "commit": "abc1234", "date": "2026-12-07", "machine": "x86_64, 2 CPUs", "wall_s": 12.3}
    (tmp_path / "sessions" / "shipped.json").write_text(json.dumps(rec))
    got = render(text, tmp_path)
    assert "```console\n$ python -m crossglg enroll a.mat\nenrolled 'a'\n$ ls\n```" in got
    assert "at commit abc1234 on 2026-12-07 (x86_64, 2 CPUs; 12 s in all)" in got and "old" not in got


def test_a_benchmark_block_shows_each_section_from_the_newest_record_that_measured_it(tmp_path):
    from crossglg.results.docs import render

    text = "<!-- crossglg:bench bench_data loader,steps -->\n<!-- crossglg:end -->\n"
    with pytest.raises(DocsError, match=r"bench_data: no benchmark records"):
        render(text, tmp_path)
    folder = tmp_path / "bench_data"
    folder.mkdir()

    def write(name: str, sections: dict[str, str], load: float) -> None:
        rec = {
            "machine": {"cpu": "AMD EPYC", "cores": 2, "load_average_before_after": [[load, 0, 0], [load + 1, 0, 0]]},
            "args": {"sections": list(sections)},
            "sections": {k: [] for k in sections},
            "markdown": [f"### {k}\n\n| a |\n|---|\n| {v} |" for k, v in sections.items()],
        }
        (folder / f"{name}.json").write_text(json.dumps(rec))

    write("2026-12-01-000000", {"loader": "old loader", "steps": "old steps"}, 5.0)
    write("2026-12-02-000000", {"steps": "new steps"}, 1.5)
    got = render(text, tmp_path)
    assert "#### loader\n\n| a |\n|---|\n| old loader |\n\nRecorded in `" in got
    assert "bench_data/2026-12-01-000000.json` (AMD EPYC, 2 cores; 1-minute load average 5.0 before, 6.0 after)" in got
    assert "| new steps |" in got and "old steps" not in got and "2026-12-02-000000.json" in got
    assert got.index("old loader") < got.index("new steps")
    with pytest.raises(DocsError, match=r"no record measured the section 'prepare'"):
        render(text.replace("loader,steps", "prepare"), tmp_path)
    with pytest.raises(DocsError, match=r"the form is bench bench_data SECTION"):
        render(text.replace("bench_data loader,steps", "bench_video"), tmp_path)
