"""Using a trained model: teach it new actions from one (or a few) recordings and
recognise recordings against them, with no text (the text-free branch only).

Recordings come in any layout `data/recordings.py` reads (NTU `.skeleton`, Kinect v1,
MSR Action3D, Human3.6M-17 from 3D pose lifters, MediaPipe Pose, NTU-ordered arrays),
as files, directories or glob patterns. They are read and embedded in batches, so
memory does not grow with their number; a file that cannot be read is reported and
skipped. In Python:

    rec = Recognizer("runs/utdmhad/checkpoints/last.ckpt")
    rec.enroll("wave", [wave_array], layout="kinect1")     # (T, 20, 3) arrays, no files needed
    rec.recognize([unknown_array], layout="kinect1")       # [[("wave", 0.93), ...]]

`ckpt` is a checkpoint or a stream set (a folder of checkpoints of several input
streams that serve as one model, `models/stream_set.py`). A gallery is a JSON file: the
fingerprint of the model that embedded it, the embedding size, the streams it holds, and
per action its name, the recordings it was enrolled from and
their embeddings (the action's prototype is their mean). It is written atomically
and enrolling never drops existing entries.
"""

from __future__ import annotations

import ctypes
import glob
import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch

from .data.recordings import EXTENSIONS, from_array, read_recording
from .errors import GalleryError
from .eval.oneshot import cosine
from .io import atomic_write_text
from .video import VIDEO_EXTENSIONS

GALLERY_SCHEMA = "crossglg.gallery/v1"
RECORDING_SUFFIXES = (*EXTENSIONS, ".npy", ".npz", ".txt", *VIDEO_EXTENSIONS)


def model_fingerprint(model) -> str:
    """Hash of the inference weights (encoder + JID): galleries are tied to it."""
    h = hashlib.sha1()
    for name, t in sorted(model.state_dict().items()):
        if name.startswith(("encoder.", "jid.")):
            h.update(name.encode())
            h.update(t.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def load_model(ckpt: str | Path):
    """The inference model of a checkpoint or a stream-set folder
    (`models.stream_set.InferenceModel`)."""
    from .models.stream_set import load_inference_model

    return load_inference_model(ckpt)


def expand_inputs(items: Iterable[str | Path]) -> list[Path]:
    """Files as given; directories as every recording below them (by extension,
    sorted); glob patterns (`*`, `?`, `[`) as their matches. A name that matches
    nothing is an error."""
    out: list[Path] = []
    for item in map(str, items):
        if any(c in item for c in "*?["):
            found = sorted(Path(p) for p in glob.glob(item, recursive=True) if Path(p).is_file())
        elif Path(item).is_dir():
            found = sorted(p for p in Path(item).rglob("*") if p.suffix in RECORDING_SUFFIXES and p.is_file())
        else:
            found = [Path(item)]
        if not found:
            raise FileNotFoundError(f"{item}: no recordings found")
        out += found
    return out


def _return_freed_memory() -> None:
    """Hand the heap's free blocks back to the system (glibc's `malloc_trim`). Freed
    blocks otherwise stay in a fragmented heap, and reading thousands of recordings of
    different lengths grows the process with their number (measured at 10,000 files:
    1.2 GB peak without, see `experiments/bench_recognize.py` for with). Called after
    every batch; a no-op where there is no glibc."""
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL("libc.so.6")
            _LIBC.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


_LIBC = None


def embed_batches(
    model, samples: Iterable[tuple[str, object]], layout: str | None = None, batch_size: int = 64
) -> Iterator[tuple[list[str], np.ndarray, list[tuple[str, str]]]]:
    """Embed `(name, path or array)` pairs in batches with `model` (an `InferenceModel`):
    yields the names that were embedded, their embeddings `(n, D)`, and `(name, problem)`
    for those skipped. Only one batch of recordings is in memory at a time."""
    names, xs, failed = [], [], []

    def flush():
        emb = model.embed(torch.from_numpy(np.stack(xs))).numpy() if xs else np.zeros((0, 0), np.float32)
        return names[:], emb, failed[:]

    for name, item in samples:
        try:
            raw = from_array(item, layout, where=name) if isinstance(item, np.ndarray) else read_recording(item, layout)
            xs.append(model.prepare(raw))
            names.append(name)
        except (FileNotFoundError, ValueError) as e:  # SkeletonFormatError is a ValueError
            failed.append((name, str(e)))
        if len(xs) == batch_size:
            yield flush()
            names, xs, failed = [], [], []
            _return_freed_memory()
    if xs or failed:
        yield flush()


def embed_recordings(
    model, files: list[str | Path], layout: str | None = None, batch_size: int = 64, progress: bool = False
) -> tuple[list[str], np.ndarray, list[tuple[str, str]]]:
    """All of `files` embedded: (names embedded, `(n, C)`, skipped `(name, problem)`)."""
    from tqdm import tqdm

    names, embs, failed = [], [], []
    bar = tqdm(total=len(files), desc="embedding recordings", unit="file", disable=not progress)
    for n, e, f in embed_batches(model, ((str(p), p) for p in files), layout, batch_size):
        names += n
        embs += [e] if len(n) else []
        failed += f
        bar.update(len(n) + len(f))
    bar.close()
    return names, (np.concatenate(embs) if embs else np.zeros((0, 0), np.float32)), failed


class Gallery:
    def __init__(self, path: str | Path | None, fingerprint: str, dim: int, streams: list[str] | None = None):
        self.path, self.fingerprint, self.dim = (Path(path) if path else None), fingerprint, dim
        self.streams = list(streams or ["joint"])
        self.actions: dict[str, dict] = {}
        if self.path is not None and self.path.exists():
            try:
                data = json.loads(self.path.read_text())
            except json.JSONDecodeError as e:
                raise GalleryError(f"{self.path}: not a readable gallery ({e}); it was left untouched") from None
            if data.get("schema") != GALLERY_SCHEMA:
                raise GalleryError(f"{self.path}: not a crossglg gallery (schema {data.get('schema')!r})")
            if data["model"] != fingerprint or data["dim"] != dim:
                held = "+".join(data.get("streams", ["joint"]))
                raise GalleryError(
                    f"{self.path} was built with another model (fingerprint {data['model']}, dim "
                    f"{data['dim']}, streams {held}); this model is {fingerprint} (dim {dim}, streams "
                    f"{'+'.join(self.streams)}). Enroll into a new gallery."
                )
            self.actions = data["actions"]

    def add(self, name: str, files: list[str], embeddings: np.ndarray) -> None:
        entry = self.actions.setdefault(name, {"files": [], "embeddings": []})
        entry["files"] += [str(f) for f in files]
        entry["embeddings"] += embeddings.astype(float).round(6).tolist()

    def save(self) -> None:
        atomic_write_text(
            self.path,
            json.dumps(
                {
                    "schema": GALLERY_SCHEMA,
                    "model": self.fingerprint,
                    "dim": self.dim,
                    "streams": self.streams,
                    "actions": self.actions,
                }
            ),
        )

    def prototypes(self) -> tuple[list[str], torch.Tensor]:
        if not self.actions:
            raise GalleryError(f"{self.path or 'the gallery'}: the gallery is empty; enroll an action first")
        names = sorted(self.actions)
        return names, torch.tensor(
            np.stack([np.mean(self.actions[n]["embeddings"], axis=0) for n in names]), dtype=torch.float32
        )


def recognize(gallery: Gallery, embeddings: np.ndarray, top: int = 3) -> list[list[tuple[str, float]]]:
    """For each embedding, the `top` gallery actions by cosine similarity."""
    names, protos = gallery.prototypes()
    sim = cosine(torch.from_numpy(embeddings).float(), protos)
    out = []
    for row in sim:
        vals, idx = row.topk(min(top, len(names)))
        out.append([(names[i], float(v)) for v, i in zip(vals, idx)])
    return out


class Recognizer:
    """A trained model and a gallery, for Python: enroll arrays or files as actions,
    recognise arrays or files. `gallery=None` keeps the gallery in memory."""

    def __init__(self, ckpt: str | Path | None = None, gallery: str | Path | None = None):
        if ckpt is None:  # the model shipped in the package
            from .pretrained import pretrained_checkpoint

            ckpt = pretrained_checkpoint()
        self.model = load_model(ckpt)
        self.gallery = Gallery(gallery, self.model.fingerprint(), self.model.dim, self.model.streams)

    def _embed(self, recordings, layout: str | None) -> tuple[list[str], np.ndarray]:
        """Names (`array i` or the file) and embeddings; the first unreadable one raises."""
        items = [(f"array {i}" if isinstance(r, np.ndarray) else str(r), r) for i, r in enumerate(recordings)]
        names, embs = [], []
        for n, e, failed in embed_batches(self.model, items, layout):
            if failed:
                raise ValueError(failed[0][1])  # the message names the file or the array
            names += n
            embs.append(e)
        return names, np.concatenate(embs)

    def enroll(self, name: str, recordings: list, layout: str | None = None) -> None:
        """Add recordings (arrays in `layout`, or files) of an action."""
        self.gallery.add(name, *self._embed(recordings, layout))
        if self.gallery.path is not None:
            self.gallery.save()

    def recognize(self, recordings: list, layout: str | None = None, top: int = 3) -> list[list[tuple[str, float]]]:
        return recognize(self.gallery, self._embed(recordings, layout)[1], top)
