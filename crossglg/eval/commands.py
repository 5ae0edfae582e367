"""`probe`: the text-leak probe of finished fit runs, from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..io import atomic_write_text
from .probe import probe_run


def add_commands(sub) -> None:
    p = sub.add_parser("probe", help="the text-leak probe of fit runs: does the cross-modal branch use the skeleton?",
                       description="Re-measure the cross-modal branch of finished fit runs on their auxiliary "
                                   "samples: top-1 with own, another class's (shuffled) and zero skeleton tokens. "
                                   "Each RUN is a folder with LightningCLI's config.yaml and checkpoints/last.ckpt.")
    p.add_argument("runs", nargs="+", help="fit run folders (e.g. results/sweeps/utdmhad_text/*)")
    p.add_argument("--write", action="store_true", help="also store the figures as leak_probe in each run's result.json")
    p.set_defaults(func=_probe)


def _probe(args) -> int:
    status = 0
    for run in args.runs:
        try:
            p = probe_run(run)
        except (FileNotFoundError, ValueError, RuntimeError) as e:
            print(f"{run}: {e}", file=sys.stderr)
            status = 1
            continue
        print(f"{run}: own {p['own']:.3f}, shuffled (another class) {p['shuffled']:.3f}, zero {p['zero']:.3f} "
              f"({p['samples']} samples)", flush=True)
        result = Path(run) / "result.json"
        if args.write and result.is_file():
            data = json.loads(result.read_text())
            data["leak_probe"] = p
            atomic_write_text(result, json.dumps(data))
    return status
