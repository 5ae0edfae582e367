"""Using a trained model: teach it new actions from one (or a few) recordings and
recognise recordings against them, with no text (the text-free branch only).

A gallery is a JSON file: the fingerprint of the model that embedded it, the
embedding size, and per action its name, the recordings it was enrolled from and
their embeddings (the action's prototype is their mean). It is written atomically
and enrolling never drops existing entries.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from .data.cache import atomic_write_text
from .data.ntu import read_skeleton_file
from .data.transforms import SampleTransform
from .eval.oneshot import cosine

GALLERY_SCHEMA = "crossglg.gallery/v1"


class GalleryError(ValueError):
    pass


def model_fingerprint(model) -> str:
    """Hash of the inference weights (encoder + JID): galleries are tied to it."""
    h = hashlib.sha1()
    for name, t in sorted(model.state_dict().items()):
        if name.startswith(("encoder.", "jid.")):
            h.update(name.encode())
            h.update(t.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def load_model(ckpt: str | Path):
    """The inference model and its evaluation transform (window, persons, stream of
    the data it was trained on)."""
    from .models.crossglg import load_inference_model

    path = Path(ckpt)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    model = load_inference_model(path)
    dm = torch.load(path, map_location="cpu", weights_only=True).get("datamodule_hyper_parameters") or {}
    transform = SampleTransform(window=dm.get("window", 64), train=False, stream=dm.get("stream", "joint"),
                                persons=dm.get("persons", 2))
    return model, transform


def embed_files(model, transform, files: list[str | Path]) -> np.ndarray:
    """`(len(files), C)` text-free embeddings of NTU-format recordings."""
    xs = [torch.from_numpy(transform(read_skeleton_file(f), None)) for f in files]
    with torch.no_grad():
        return model.embed(torch.stack(xs)).numpy()


class Gallery:
    def __init__(self, path: str | Path, fingerprint: str, dim: int):
        self.path, self.fingerprint, self.dim = Path(path), fingerprint, dim
        self.actions: dict[str, dict] = {}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text())
            except json.JSONDecodeError as e:
                raise GalleryError(f"{self.path}: not a readable gallery ({e}); it was left untouched") from None
            if data.get("schema") != GALLERY_SCHEMA:
                raise GalleryError(f"{self.path}: not a crossglg gallery (schema {data.get('schema')!r})")
            if data["model"] != fingerprint or data["dim"] != dim:
                raise GalleryError(f"{self.path} was built with another model (fingerprint {data['model']}, dim "
                                   f"{data['dim']}); this checkpoint is {fingerprint} (dim {dim}). Enroll into a new gallery.")
            self.actions = data["actions"]

    def add(self, name: str, files: list[str], embeddings: np.ndarray) -> None:
        entry = self.actions.setdefault(name, {"files": [], "embeddings": []})
        entry["files"] += [str(f) for f in files]
        entry["embeddings"] += embeddings.astype(float).round(6).tolist()

    def save(self) -> None:
        atomic_write_text(self.path, json.dumps({"schema": GALLERY_SCHEMA, "model": self.fingerprint, "dim": self.dim,
                                                 "actions": self.actions}))

    def prototypes(self) -> tuple[list[str], torch.Tensor]:
        if not self.actions:
            raise GalleryError(f"{self.path}: the gallery is empty; enroll an action first")
        names = sorted(self.actions)
        return names, torch.tensor(np.stack([np.mean(self.actions[n]["embeddings"], axis=0) for n in names]),
                                   dtype=torch.float32)


def recognize(gallery: Gallery, embeddings: np.ndarray, top: int = 3) -> list[list[tuple[str, float]]]:
    """For each embedding, the `top` gallery actions by cosine similarity."""
    names, protos = gallery.prototypes()
    sim = cosine(torch.from_numpy(embeddings).float(), protos)
    out = []
    for row in sim:
        vals, idx = row.topk(min(top, len(names)))
        out.append([(names[i], float(v)) for v, i in zip(vals, idx)])
    return out


def add_commands(sub) -> None:
    e = sub.add_parser("enroll", help="add a new action to a gallery from one or a few recordings")
    e.add_argument("--ckpt", required=True)
    e.add_argument("--gallery", required=True)
    e.add_argument("--name", required=True, help="the action's name")
    e.add_argument("files", nargs="+", help="NTU-format .skeleton recordings of the action")
    e.set_defaults(func=_enroll)
    r = sub.add_parser("recognize", help="recognise recordings against a gallery (no text needed)")
    r.add_argument("--ckpt", required=True)
    r.add_argument("--gallery", required=True)
    r.add_argument("--top", type=int, default=3)
    r.add_argument("files", nargs="+")
    r.set_defaults(func=_recognize)
    i = sub.add_parser("importance", help="plot which joints the JID weighs most for a recording")
    i.add_argument("--ckpt", required=True)
    i.add_argument("--out", required=True, help="PNG to write")
    i.add_argument("file")
    i.set_defaults(func=_importance)


def _open(args):
    model, transform = load_model(args.ckpt)
    return model, transform, Gallery(args.gallery, model_fingerprint(model), model.encoder.out_channels)


def _enroll(args) -> int:
    model, transform, gallery = _open(args)
    emb = embed_files(model, transform, args.files)
    gallery.add(args.name, args.files, emb)
    gallery.save()
    n = len(gallery.actions[args.name]["files"])
    print(f"enrolled {args.name!r} from {len(args.files)} recording(s) ({n} in all); "
          f"{len(gallery.actions)} action(s) in {args.gallery}")
    return 0


def _recognize(args) -> int:
    if not Path(args.gallery).exists():
        raise FileNotFoundError(f"no gallery at {args.gallery}: enroll an action first")
    model, transform, gallery = _open(args)
    for f, ranked in zip(args.files, recognize(gallery, embed_files(model, transform, args.files), args.top)):
        best, sim = ranked[0]
        others = ", ".join(f"{n} ({s:.3f})" for n, s in ranked)
        print(f"{f}: {best} (cosine {sim:.3f}); top-{len(ranked)}: {others}")
    return 0


def _importance(args) -> int:
    from .eval.plots import joint_importance_png

    model, transform = load_model(args.ckpt)
    if model.jid is None:
        raise GalleryError(f"{args.ckpt}: this model has no JID (trained with g2l off)")
    raw = read_skeleton_file(args.file)
    x = torch.from_numpy(transform(raw, None))[None]
    with torch.no_grad():
        k = model(x).k_out[0].numpy()
    xy = raw[:2, 0, :, 0].T  # first frame, first body: (V, 2) x and y
    path = joint_importance_png(k, xy, args.out, f"JID joint importance: {Path(args.file).name}")
    top = np.argsort(-k)[:5]
    from .data.layout import NTU_JOINTS

    print(f"wrote {path}; most important joints: " + ", ".join(f"{NTU_JOINTS[j]} ({k[j]:.3f})" for j in top))
    return 0
