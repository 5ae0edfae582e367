import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
# Nothing a test runs writes under the home folder: caches and wandb's files go to a scratch folder.
_SCRATCH = tempfile.mkdtemp(prefix="crossglg-tests-")
for _var, _sub in (("CROSSGLG_CACHE", "crossglg"), ("WANDB_DIR", "wandb"), ("WANDB_CACHE_DIR", "wandb-cache"),
                   ("WANDB_CONFIG_DIR", "wandb-config"), ("MPLCONFIGDIR", "matplotlib"), ("HF_HOME", "hf")):
    os.environ[_var] = os.path.join(_SCRATCH, _sub)

import numpy as np
import pytest

from helpers import SHARED_DATA

os.environ.setdefault("CROSSGLG_SHARED_DATA", str(SHARED_DATA))  # for the CLI runs in subprocesses
from crossglg.data.ntu import format_ntu_skeleton

UTD_DIR = SHARED_DATA / "utd-mhad" / "Skeleton"
NTU_META = SHARED_DATA / "ntu"
needs_utd = pytest.mark.skipif(not UTD_DIR.is_dir(), reason=f"UTD-MHAD not found at {UTD_DIR} (shared data absent)")
needs_ntu_meta = pytest.mark.skipif(not NTU_META.is_dir(), reason=f"NTU metadata not found at {NTU_META}")


def person(seed: int, t: int, scale: float = 1.0, offset=(0.0, 0.0, 3.0), motion: float = 0.05) -> np.ndarray:
    """A plausible upright body `(t, 25, 3)`: tall (y spread) and narrow (x spread)."""
    rng = np.random.default_rng(seed)
    base = np.stack([rng.uniform(-0.2, 0.2, 25), np.linspace(-0.9, 0.8, 25), rng.uniform(-0.1, 0.1, 25)], 1) * scale
    wave = motion * np.sin(np.linspace(0, 3, t))[:, None, None] * rng.normal(size=(1, 25, 3))
    return np.round(base[None] + wave + np.asarray(offset), 5)


def write_skeleton(path, frames) -> str:
    path.write_text(format_ntu_skeleton(frames))
    return str(path)


@pytest.fixture(scope="session")
def builtin_cache(tmp_path_factory):
    """The built-in data set generated and prepared once per test session."""
    from crossglg.data.datamodule import ensure_cache

    root = tmp_path_factory.mktemp("data")
    return ensure_cache("builtin", root, workers=2, progress=False)


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    """A tiny random sentence-transformers model (BERT, hidden size 32) saved locally."""
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    d = tmp_path_factory.mktemp("tiny-encoder")
    words = sorted({w.strip(".,'()").lower() for w in open(__file__).read().split()} |
                   {"the", "left", "right", "hand", "moves", "up", "down", "barely", "head", "knee"})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [w for w in words if w and w.isalpha()]
    (d / "vocab.txt").write_text("\n".join(vocab))
    tok = BertTokenizerFast(vocab_file=str(d / "vocab.txt"))
    cfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=128)
    import torch

    torch.manual_seed(0)
    BertModel(cfg).save_pretrained(d / "bert")
    tok.save_pretrained(d / "bert")
    st = SentenceTransformer(modules=[models.Transformer(str(d / "bert")), models.Pooling(32, "mean")])
    st.save(str(d / "st"))
    return str(d / "st")
