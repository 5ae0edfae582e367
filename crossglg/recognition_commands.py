"""The recognition tools `enroll`, `recognize` and `importance`: the command line over
`recognition.py`; listed in `COMMANDS`, as every tool module."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

from .data.recordings import LAYOUT_NAMES, read_recording
from .errors import CheckpointError
from .io import atomic_write_text
from .recognition import (
    Gallery,
    GalleryError,
    embed_recordings,
    expand_inputs,
    load_model,
    recognize,
)

_LAYOUT_HELP = f"the recordings' layout ({', '.join(LAYOUT_NAMES)}); found from the files where unambiguous"
_INPUTS_HELP = "recordings: files, directories (searched recursively) or glob patterns"


_CKPT_HELP = (
    "a checkpoint, or a stream-set folder of checkpoints (with an optional streams.json); "
    "default: the model shipped in the package (`python -m crossglg pretrained`)"
)


_POSE_MODEL_HELP = (
    "MediaPipe's pose model file for video inputs (default: $CROSSGLG_POSE_MODEL, else downloaded once "
    "into ~/.cache/crossglg)"
)


def pose_model_argument(p) -> None:
    p.add_argument("--pose-model", default=None, metavar="PATH", help=_POSE_MODEL_HELP)


def use_pose_model(args) -> None:
    """`--pose-model` for every video this command reads (the reader looks it up there)."""
    if getattr(args, "pose_model", None):
        os.environ["CROSSGLG_POSE_MODEL"] = str(args.pose_model)


def enroll_arguments(e) -> None:
    e.add_argument("--ckpt", default=None, help=_CKPT_HELP)
    e.add_argument("--gallery", required=True)
    e.add_argument("--name", required=True, help="the action's name")
    e.add_argument("--layout", choices=LAYOUT_NAMES, default=None, help=_LAYOUT_HELP)
    pose_model_argument(e)
    e.add_argument("files", nargs="+", help=_INPUTS_HELP)


def recognize_arguments(r) -> None:
    r.add_argument("--ckpt", default=None, help=_CKPT_HELP)
    r.add_argument("--gallery", required=True)
    r.add_argument("--top", type=int, default=3)
    r.add_argument("--layout", choices=LAYOUT_NAMES, default=None, help=_LAYOUT_HELP)
    pose_model_argument(r)
    r.add_argument("--batch-size", type=int, default=64, help="recordings read and embedded at a time")
    r.add_argument("--out", default=None, help="write the results to a .csv (or .json) file instead of printing them")
    r.add_argument("--json", action="store_true", help="print the results as JSON lines")
    r.add_argument("files", nargs="+", help=_INPUTS_HELP)


def importance_arguments(i) -> None:
    i.add_argument("--ckpt", default=None, help=_CKPT_HELP)
    i.add_argument("--out", required=True, help="PNG to write (one recording), or a folder (one PNG per recording)")
    i.add_argument("--layout", choices=LAYOUT_NAMES, default=None, help=_LAYOUT_HELP)
    i.add_argument("--animate", action="store_true", help="also write an animated GIF beside each PNG")
    pose_model_argument(i)
    i.add_argument("files", nargs="+", help=_INPUTS_HELP)


def _open(args):
    use_pose_model(args)
    model = load_model(checkpoint_of(args))
    return model, Gallery(args.gallery, model.fingerprint(), model.dim, model.streams)


def checkpoint_of(args):
    """`--ckpt`, or the shipped model (checksum verified) when none was given."""
    if args.ckpt is not None:
        return args.ckpt
    from .pretrained import pretrained_checkpoint

    args.ckpt = pretrained_checkpoint()
    print(f"using the shipped model {args.ckpt.name} (python -m crossglg pretrained)", file=sys.stderr)
    return args.ckpt


def _report_skipped(failed: list[tuple[str, str]]) -> None:
    for _, problem in failed:
        print(f"skipped {problem}", file=sys.stderr)


def _enroll(args) -> int:
    model, gallery = _open(args)
    files = expand_inputs(args.files)
    names, emb, failed = embed_recordings(model, files, args.layout, progress=len(files) > 64)
    _report_skipped(failed)
    if not names:
        raise GalleryError(f"none of the {len(files)} recording(s) could be read; the gallery was left as it was")
    gallery.add(args.name, names, emb)
    gallery.save()
    n = len(gallery.actions[args.name]["files"])
    print(
        f"enrolled {args.name!r} from {len(names)} recording(s) ({n} in all); "
        f"{len(gallery.actions)} action(s) in {args.gallery}"
    )
    return 0


def _recognize(args) -> int:
    if not Path(args.gallery).exists():
        raise FileNotFoundError(f"no gallery at {args.gallery}: enroll an action first")
    model, gallery = _open(args)
    gallery.prototypes()  # an empty gallery fails before any recording is read
    files = expand_inputs(args.files)
    names, emb, failed = embed_recordings(model, files, args.layout, args.batch_size, progress=sys.stderr.isatty())
    _report_skipped(failed)
    if not names:
        raise GalleryError(f"none of the {len(files)} recording(s) could be read")
    results = [
        {
            "file": f,
            "action": ranked[0][0],
            "cosine": round(ranked[0][1], 4),
            "top": [[n, round(s, 4)] for n, s in ranked],
        }
        for f, ranked in zip(names, recognize(gallery, emb, args.top))
    ]
    if args.out:
        atomic_write_text(args.out, _json(results) if args.out.endswith(".json") else _csv(results))
        print(f"{args.out}: {len(results)} recording(s) recognised, {len(failed)} skipped")
    elif args.json:
        for r in results:
            print(json.dumps(r))
    else:
        for r in results:
            others = ", ".join(f"{n} ({s:.3f})" for n, s in r["top"])
            print(f"{r['file']}: {r['action']} (cosine {r['cosine']:.3f}); top-{len(r['top'])}: {others}")
    return 0


def _csv(results: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["file", "action", "cosine", "top"])
    for r in results:
        w.writerow([r["file"], r["action"], f"{r['cosine']:.4f}", "; ".join(f"{n}:{s:.4f}" for n, s in r["top"])])
    return buf.getvalue()


def _json(results: list[dict]) -> str:
    return json.dumps(results, indent=1)


def _importance(args) -> int:
    from .data.layout import NTU_JOINTS
    from .eval.plots import joint_importance_png

    use_pose_model(args)
    inference = load_model(checkpoint_of(args))
    first = inference.members[0]
    if inference.single is None:
        print(
            f"{args.ckpt}: a stream set; the joints its first member ({first.path.name}, stream {first.stream}) "
            "weighs (each member has its own JID; give one with --ckpt for another)",
            file=sys.stderr,
        )
    model, transform = first.net, first.transform
    if model.jid is None:
        raise GalleryError(f"{args.ckpt}: this model has no JID (trained with g2l off)")
    files = expand_inputs(args.files)
    one = len(files) == 1 and not Path(args.out).is_dir()
    failed = []
    for f in files:
        try:
            raw = read_recording(f, args.layout)
        except ValueError as e:  # SkeletonFormatError included
            if one:
                raise
            failed.append((str(f), str(e)))
            continue
        x = torch.from_numpy(transform(raw, None))[None]
        with torch.no_grad():
            k = model(x).k_out[0].numpy()
        xy = raw[:2, 0, :, 0].T  # first frame, first body: (V, 2) x and y
        out = Path(args.out) if one else Path(args.out) / f"{Path(f).stem}.png"
        path = joint_importance_png(k, xy, out, f"JID joint importance: {Path(f).name}")
        top = np.argsort(-k)[:5]
        print(f"wrote {path}; most important joints: " + ", ".join(f"{NTU_JOINTS[j]} ({k[j]:.3f})" for j in top))
        if args.animate:
            from .video.render import animate_skeleton

            print(f"wrote {animate_skeleton(raw, path.with_suffix('.gif'), k, Path(f).name)}")
    _report_skipped(failed)
    return 0


def pretrained_arguments(p) -> None:
    p.description = (
        "The model shipped in the package: how it was made, its training data and licence, its one-shot "
        "result, and whether its files match the recorded SHA-256s; --export RUN (or STREAM=RUN per stream, "
        "a stream set) makes it from finished fit runs (what `make pretrained` does)."
    )
    p.add_argument(
        "--export",
        nargs="+",
        default=None,
        metavar="RUN|STREAM=RUN",
        help="a finished fit run folder to ship, or one per stream (joint=RUN bone=RUN) to ship as a stream set",
    )
    p.add_argument("--out-dir", default=None, help="where to write it (default: inside the package)")


def _export_runs(specs: list[str]):
    """`RUN` -> that run; `STREAM=RUN ...` -> `{stream: run}` (a stream set)."""
    named = [spec.partition("=") for spec in specs]
    if len(specs) == 1 and not named[0][1]:
        return specs[0]
    if not all(sep and stream and run for stream, sep, run in named):
        raise CheckpointError(f"--export {' '.join(specs)}: give one RUN, or STREAM=RUN for every stream of a set")
    runs = {stream: run for stream, _, run in named}
    if len(runs) != len(named):
        raise CheckpointError(f"--export {' '.join(specs)}: a stream is named twice")
    return runs


def _pretrained(args) -> int:
    from . import pretrained

    if args.export:
        path = pretrained.export(_export_runs(args.export), out_dir=args.out_dir or pretrained.HERE)
        print(f"wrote {path} and {path.parent / (pretrained.DEFAULT + '.json')}")
        if args.out_dir:
            return 0
    card, path = pretrained.info(), pretrained.pretrained_checkpoint()
    r = card["result"]
    sums = ", ".join(f"{Path(f).name} {d[:12]}..." for f, d in pretrained.checksums(card).items())
    print(f"{path} ({card['bytes'] / 1e6:.1f} MB; sha256 {sums} verified)")
    streams = f"; streams {' + '.join(card['streams'])}" if card.get("streams") else ""
    print(f"trained on: {card['training_data']}; encoder {card['settings']['encoder']}{streams}, seed {card['seed']}")
    print(f"licence: {card['licence']}")
    print(f"one-shot top-1 {r['top1']:.3f}, exemplar-averaged {r['exemplar_avg_top1']:.3f} ({r['queries']} queries)")
    for stream, m in (card.get("members") or {}).items():
        print(f"  {stream} alone: top-1 {m['top1']:.3f}, exemplar-averaged {m['exemplar_avg_top1']:.3f}")
    return 0


COMMANDS = {
    "pretrained": (pretrained_arguments, _pretrained),
    "enroll": (enroll_arguments, _enroll),
    "recognize": (recognize_arguments, _recognize),
    "importance": (importance_arguments, _importance),
}
