import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
# Nothing a test runs writes under the home folder: caches and wandb's files go to a scratch folder.
_SCRATCH = tempfile.mkdtemp(prefix="crossglg-tests-")
for _var, _sub in (
    ("CROSSGLG_CACHE", "crossglg"),
    ("WANDB_DIR", "wandb"),
    ("WANDB_CACHE_DIR", "wandb-cache"),
    ("WANDB_CONFIG_DIR", "wandb-config"),
    ("MPLCONFIGDIR", "matplotlib"),
    ("HF_HOME", "hf"),
):
    os.environ[_var] = os.path.join(_SCRATCH, _sub)

import pytest  # noqa: E402 (after the environment above, which the imports read)

from helpers import SHARED_DATA  # noqa: E402

os.environ.setdefault("CROSSGLG_SHARED_DATA", str(SHARED_DATA))  # for the CLI runs in subprocesses


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
    from crossglg.data.layout import NTU_JOINTS

    words = sorted(
        {w for j in NTU_JOINTS for w in j.split()}
        | {
            "the",
            "moves",
            "up",
            "down",
            "barely",
            "still",
            "forward",
            "back",
            "raises",
            "lowers",
            "while",
            "person",
            "arm",
            "leg",
            "body",
            "swings",
            "stays",
            "bends",
            "turns",
            "and",
            "a",
            "an",
            "to",
            "of",
        }
    )
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [w for w in words if w and w.isalpha()]
    (d / "vocab.txt").write_text("\n".join(vocab))
    tok = BertTokenizerFast(vocab_file=str(d / "vocab.txt"))
    cfg = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    import torch

    torch.manual_seed(0)
    BertModel(cfg).save_pretrained(d / "bert")
    tok.save_pretrained(d / "bert")
    st = SentenceTransformer(modules=[models.Transformer(str(d / "bert")), models.Pooling(32, "mean")])
    st.save(str(d / "st"))
    return str(d / "st")


@pytest.fixture(scope="session")
def checkpoint(builtin_cache, tiny_encoder, tmp_path_factory):
    """A tiny model trained for 2 steps on the built-in data (for the recognition tools)."""
    from helpers import train_tiny_checkpoint

    return train_tiny_checkpoint(builtin_cache, tiny_encoder, tmp_path_factory.mktemp("rec"), seed=0)
