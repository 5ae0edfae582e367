"""Generating description files with the Anthropic API.

For every class two calls (the global and the local prompt), each answered through
a forced tool call (structured output) and validated; a malformed answer is
retried, rate limits and transient errors back off exponentially. Each finished
class is written to the output file at once (atomically), and a rerun resumes with
the classes not yet in it. The API key is read from `ANTHROPIC_API_KEY` by the
client and never logged or written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from pathlib import Path
from typing import Callable

from tqdm import tqdm

from ..errors import MissingAPIKey
from ..io import atomic_write_text
from .prompts import GLOBAL_TOOL, LOCAL_TOOL, PROMPT_VERSION, SYSTEM, global_prompt, local_prompt
from .schema import (
    SCHEMA,
    ClassDescription,
    DescriptionError,
    make_file,
    validate_file,
    validate_global,
    validate_joints,
)

DEFAULT_MODEL = "claude-sonnet-4-5"


def make_client():
    """The official client; fails at once, with the fix, when no key is set."""
    if not os.environ.get("ANTHROPIC_API_KEY"):
        raise MissingAPIKey(
            "ANTHROPIC_API_KEY is not set: export ANTHROPIC_API_KEY=sk-ant-... (a key from "
            "console.anthropic.com) and run again; or use the shipped file (describe DATASET --show)"
        )
    import anthropic

    return anthropic.Anthropic(max_retries=0)  # retries are ours, with validation in the loop


def _transient(exc: Exception) -> bool:
    import anthropic

    return isinstance(
        exc,
        (
            anthropic.RateLimitError,
            anthropic.APIConnectionError,
            anthropic.APITimeoutError,
            anthropic.InternalServerError,
        ),
    ) or getattr(exc, "status_code", None) in (429, 500, 502, 503, 529)


def _ask(
    client,
    model: str,
    prompt: str,
    tool: dict,
    validate: Callable,
    where: str,
    attempts: int,
    sleep: Callable[[float], None],
):
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            msg = client.messages.create(
                model=model,
                max_tokens=2048,
                system=SYSTEM,
                tools=[tool],
                tool_choice={"type": "tool", "name": tool["name"]},
                messages=[{"role": "user", "content": prompt}],
            )
            block = next((b for b in msg.content if getattr(b, "type", None) == "tool_use"), None)
            if block is None:
                raise DescriptionError(f"{where}: the answer has no tool call")
            return validate(block.input, where)
        except DescriptionError as e:
            last = e
        except Exception as e:  # noqa: BLE001 - classified below
            if not _transient(e):
                raise
            last = e
        sleep(min(60.0, 2.0**attempt) * (0.5 + random.random() / 2))
    raise RuntimeError(f"{where}: no valid answer after {attempts} attempts (last: {last})")


def describe_dataset(
    dataset: str,
    class_names: list[str],
    out: str | Path,
    *,
    client=None,
    model: str = DEFAULT_MODEL,
    attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
    progress: bool = True,
    ids: list[int] | None = None,
) -> list[ClassDescription]:
    """Describe every class (1-based ids in order) into `out`, resuming a partial file."""
    out = Path(out)
    ids = ids or list(range(1, len(class_names) + 1))
    done: dict[int, ClassDescription] = {}
    if out.exists():
        data = json.loads(out.read_text())
        if data.get("schema") == SCHEMA and data.get("dataset") == dataset:
            done = {c.id: c for c in validate_file(data, str(out))}
    client = client or make_client()
    date = dt.date.today().isoformat()
    for cid, name in tqdm(list(zip(ids, class_names)), desc=f"describe {dataset}", disable=not progress):
        if cid in done:
            continue
        where = f"class {cid} ({name})"
        text, keys = _ask(client, model, global_prompt(name), GLOBAL_TOOL, validate_global, where, attempts, sleep)
        joints = _ask(client, model, local_prompt(name), LOCAL_TOOL, validate_joints, where, attempts, sleep)
        done[cid] = ClassDescription(cid, name, text, keys, joints)
        atomic_write_text(
            out, json.dumps(make_file(dataset, model, PROMPT_VERSION, date, list(done.values())), indent=1)
        )
    return [done[i] for i in ids]


def read_class_names(path: str | Path) -> list[tuple[int, str]]:
    """(id, name) rows from a classes file: `.xlsx` (PKU-MMD's Actions.xlsx: id and
    name columns), `.csv` or `.tsv` (id, name)."""
    p = Path(path)
    rows: list[list[str]] = []
    if p.suffix.lower() == ".xlsx":
        try:
            import openpyxl
        except ImportError:
            raise RuntimeError(
                f"{p}: reading .xlsx needs openpyxl (pip install openpyxl), or save it as .csv"
            ) from None
        wb = openpyxl.load_workbook(p, read_only=True)
        rows = [[str(c) if c is not None else "" for c in r] for r in wb.active.iter_rows(values_only=True)]
    else:
        import csv

        with open(p, newline="") as fh:
            rows = list(csv.reader(fh, delimiter="\t" if p.suffix.lower() == ".tsv" else ","))
    out = []
    for r in rows:
        cells = [c.strip() for c in r if c and c.strip()]
        if len(cells) < 2:
            continue
        digits = "".join(ch for ch in cells[0] if ch.isdigit())
        if not digits:
            continue  # a header row
        out.append((int(digits), cells[1]))
    if not out:
        raise DescriptionError(f"{p}: no (id, name) rows found")
    return out
