"""The tables in README.md and docs/, regenerated from the committed run records.

A generated block sits between a start marker and `<!-- crossglg:end -->`, each on a line
of its own; the start marker says what goes there:

- `<!-- crossglg:table headline SWEEP[,SWEEP...] baseline=ROW -->`: `tables.headline_table`
- `<!-- crossglg:table paired SWEEP[,SWEEP...] baseline=ROW -->`: `tables.paired_table`
  (either kind with `seeds=common`: only the seeds that every row has, so that each row's
  mean is over the same seeds)
- `<!-- crossglg:table benchmarks -->`: every record beside the paper (`tables.benchmark_tables`)
- `<!-- crossglg:table layouts -->`: which source joints give each NTU joint, per layout
  (from `data.recordings.LAYOUTS`)
- `<!-- crossglg:table modules -->`: every module of the package with the first sentence
  of its docstring (`modules_table`)
- `<!-- crossglg:demo SWEEP -->`: the demo's result lines and time, from its record
- `<!-- crossglg:session NAME -->`: a walkthrough's commands and what they printed, from
  `results/sessions/NAME.json` (written by `experiments/sessions.py`)
- `<!-- crossglg:bench bench_data SECTION[,SECTION...] -->`: each section's table from the
  newest record in `results/bench_data/` that measured it (written by
  `experiments/bench_data.py --record`), with the machine and its load

`regenerate` rewrites the blocks; `stale` lists the files whose blocks differ from what
the records give (the test that guards the docs calls it).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import CrossGLGError
from ..io import atomic_write_text

END = "<!-- crossglg:end -->"
START = re.compile(r"<!-- crossglg:(?P<kind>table|demo|session|bench)\b(?P<args>[^>\n]*)-->")


class DocsError(CrossGLGError):
    """A generated block that cannot be built (unknown kind, missing records)."""


def layouts_table() -> str:
    from ..data.layout import NTU_JOINTS
    from ..data.recordings import LAYOUTS

    shown = [n for n in LAYOUTS if n != "array"]
    out = ["| NTU joint | " + " | ".join(f"`{n}`" for n in shown) + " |", "|---|" + "---|" * len(shown)]
    for v, joint in enumerate(NTU_JOINTS):
        cells = []
        for n in shown:
            lay = LAYOUTS[n]
            cells.append(
                " + ".join(lay.joints[j] for j in lay.sources[v])
                if len(lay.sources[v]) == 1
                else "mean of " + ", ".join(lay.joints[j] for j in lay.sources[v])
            )
        out.append(f"| {v + 1} {joint} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def first_sentence(doc: str | None) -> str:
    """A docstring's first sentence, on one line, without its final period."""
    text = " ".join((doc or "").split())
    m = re.search(r"(?<![.(])(?<!e\.g)(?<!i\.e)(?<!\.\.)\.(\s|$)", text)
    return (text[: m.start()] if m else text).strip()


def module_summary(doc: str | None) -> str:
    """What a module holds, in a line: its docstring's first sentence, up to its colon
    where what comes before says enough (four words or more)."""
    sentence = first_sentence(doc)
    head = sentence.split(": ", 1)[0]
    return head if head != sentence and len(head.split()) >= 4 else sentence


def modules_table() -> str:
    """The package's modules, one line each, as a tree: path and the first sentence of
    its docstring (a module without one is an error: every module says what it holds)."""
    import ast

    import crossglg

    root = Path(crossglg.__file__).parent
    out = ["| module | what it holds |", "|---|---|"]
    for path in sorted(root.rglob("*.py"), key=lambda p: (p.parent != root, str(p.parent), p.name)):
        if path.name == "__init__.py" and path.parent != root:
            continue
        doc = ast.get_docstring(ast.parse(path.read_text()))
        if not doc:
            raise DocsError(f"{path}: a module without a docstring")
        out.append(f"| `{path.relative_to(root.parent)}` | {module_summary(doc).replace('|', '/')} |")
    return "\n".join(out) + "\n"


def demo_block(records: Path, sweep: str) -> str:
    from ..eval.report import record_lines
    from .records import load_sweep

    rec = load_sweep(records / sweep)[0]
    machine = rec.get("machine") or {}
    took = rec.get("wall_s")
    lines = ["```", *record_lines(rec.data), "```", ""]
    if took is not None:
        lines.append(
            f"The run shown took {took / 60:.1f} min from the command's start to its result, data generation "
            f"included ({machine.get('device', 'cpu')}, {machine.get('threads', '?')} threads; recorded in "
            f"`{rec.path.relative_to(records.parent)}`)."
        )
    return "\n".join(lines) + "\n"


def session_block(records: Path, name: str) -> str:
    """A recorded walkthrough: each command after `$ `, then what it printed."""
    import json

    path = records / "sessions" / f"{name}.json"
    if not path.is_file():
        raise DocsError(f"{path}: no such session record (python experiments/sessions.py {name})")
    rec = json.loads(path.read_text())
    lines = ["```console"]
    for step in rec["steps"]:
        lines += [f"$ {step['command']}", *([step["output"]] if step["output"] else [])]
    lines += [
        "```",
        "",
        f"Recorded by `python experiments/sessions.py {name}` at commit {rec['commit']} on {rec['date']} "
        f"({rec['machine']}; {rec['wall_s']:.0f} s in all).",
    ]
    return "\n".join(lines) + "\n"


def bench_data_block(records: Path, sections: list[str]) -> str:
    """Each section's markdown from the newest `results/bench_data/*.json` that ran it (the
    record names its sections in `args.sections`, in the order of its `markdown` parts),
    then where it was recorded: the file, the CPU and the load average before and after
    (other work on the machine slows every figure)."""
    import json

    folder = records / "bench_data"
    # named by date: newest first; each record read once, whatever the number of sections
    found = [(path, json.loads(path.read_text())) for path in sorted(folder.glob("*.json"), reverse=True)]
    if not found:
        raise DocsError(f"{folder}: no benchmark records (python experiments/bench_data.py --record)")
    out = []
    for name in sections:
        for path, rec in found:
            ran = rec.get("args", {}).get("sections", [])
            if name in ran and len(rec.get("markdown", [])) == len(ran):
                break
        else:
            raise DocsError(f"{folder}: no record measured the section {name!r}")
        machine = rec.get("machine", {})
        where = f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores"
        load = machine.get("load_average_before_after")
        if load:
            where += f"; 1-minute load average {load[0][0]:.1f} before, {load[1][0]:.1f} after"
        part = rec["markdown"][ran.index(name)].replace("### ", "#### ", 1)
        out += [part.rstrip("\n"), "", f"Recorded in `{path.relative_to(records.parent)}` ({where}).", ""]
    return "\n".join(out)


def block(kind: str, args: str, records: Path) -> str:
    from .records import common_seeds, rows
    from .tables import all_records, benchmark_tables, headline_table, paired_table

    words = args.split()
    opts = dict(w.split("=", 1) for w in words if "=" in w)
    plain = [w for w in words if "=" not in w]
    if kind == "demo":
        return demo_block(records, plain[0] if plain else "demo")
    if kind == "session":
        return session_block(records, plain[0] if plain else "")
    if kind == "bench":
        if plain[:1] != ["bench_data"] or len(plain) != 2:
            raise DocsError(f"bench {args.strip()!r}: the form is bench bench_data SECTION[,SECTION]")
        return bench_data_block(records, plain[1].split(","))
    what = plain[0] if plain else ""
    if what in ("headline", "paired"):
        if len(plain) < 2:
            raise DocsError(f"a {what} table names its sweeps: table {what} SWEEP[,SWEEP] baseline=ROW")
        sweeps = [records / s for s in plain[1].split(",")]
        table = headline_table if what == "headline" else paired_table
        found = rows(sweeps)
        if opts.get("seeds") == "common":
            found = common_seeds(found)
        elif "seeds" in opts:
            raise DocsError(f"seeds={opts['seeds']}: the only choice is seeds=common")
        return table(found, opts.get("baseline", "plain"))
    if what == "benchmarks":
        return benchmark_tables(all_records(records))[0] + "\n"
    if what == "layouts":
        return layouts_table()
    if what == "modules":
        return modules_table()
    raise DocsError(f"unknown generated block {kind} {args.strip()!r}")


def render(text: str, records: Path, where: str = "") -> str:
    """`text` with every generated block rebuilt. Markers are whole lines; a start
    marker without its end marker (before the next start marker) is an error."""
    lines, out, i = text.splitlines(keepends=True), [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        m = START.fullmatch(line.strip())
        if m is None:
            if line.strip().startswith("<!-- crossglg:") and line.strip() != END:
                raise DocsError(f"{where}:{i}: not a generated-block marker on a line of its own: {line.strip()}")
            continue
        start = i
        while i < len(lines) and lines[i].strip() != END:
            if START.fullmatch(lines[i].strip()):
                break
            i += 1
        if i == len(lines) or lines[i].strip() != END:
            raise DocsError(f"{where}:{start}: block '{m['kind']}{m['args'].rstrip()}' has no {END} line")
        try:
            out.append(block(m["kind"], m["args"], records))
        except (CrossGLGError, IndexError) as e:
            raise DocsError(f"{where}: block '{m['kind']}{m['args'].rstrip()}': {e}") from None
    return "".join(out)


def doc_files(root: Path) -> list[Path]:
    return [p for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))] if p.is_file()]


def stale(root: Path, records: Path) -> list[Path]:
    """The files whose generated blocks differ from what the records give."""
    return [p for p in doc_files(root) if render(p.read_text(), records, str(p)) != p.read_text()]


def regenerate(root: Path, records: Path) -> list[Path]:
    """Rewrite every generated block (atomically); the files that changed."""
    changed = []
    for p in doc_files(root):
        old = p.read_text()
        new = render(old, records, str(p))
        if new != old:
            atomic_write_text(p, new)
            changed.append(p)
    return changed
