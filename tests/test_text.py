import json
import types

import anthropic
import httpx
import numpy as np
import pytest
import torch

from crossglg.data.layout import NTU_JOINTS
from crossglg.text.describe import MissingAPIKey, describe_dataset, make_client
from crossglg.text.embeddings import EmbeddingCache
from crossglg.text.features import class_text_features
from crossglg.text.schema import DescriptionError, k_gt, load_descriptions, validate_file, validate_joints


def joints_answer(tag="moves"):
    return {"joints": {j: f"The {j} {tag}." for j in NTU_JOINTS}}


def msg(payload):
    return types.SimpleNamespace(content=[types.SimpleNamespace(type="tool_use", input=payload)])


def rate_limit():
    resp = httpx.Response(429, request=httpx.Request("POST", "https://api.anthropic.com/v1/messages"))
    return anthropic.RateLimitError("rate limited", response=resp, body=None)


class FakeClient:
    """Answers from a script: a list of payloads or exceptions, consumed in order."""

    def __init__(self, script):
        self.script, self.calls = list(script), []
        self.messages = self

    def create(self, **kw):
        self.calls.append(kw)
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return msg(item)


GOOD_GLOBAL = {"description": "The right hand rises.", "key_joints": ["right hand", "Right Elbow"]}


def test_fake_client_success_malformed_and_rate_limit(tmp_path, monkeypatch):
    key = "sk-ant-api03-" + "x" * 40
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)  # present in the process: it must not reach the file
    out = tmp_path / "d.json"
    script = [
        GOOD_GLOBAL,
        joints_answer(),  # class 1: clean
        {"description": "x", "key_joints": ["right paw"]},
        rate_limit(),
        GOOD_GLOBAL,  # class 2: bad, 429, ok
        {"joints": {"head": "nods"}},
        joints_answer("sways"),
    ]  # missing joints, then ok
    client = FakeClient(script)
    sleeps = []
    res = describe_dataset("builtin", ["raise", "wave"], out, client=client, sleep=sleeps.append, progress=False)
    assert [c.key_joints for c in res] == [["right hand", "right elbow"]] * 2
    assert len(client.calls) == 7 and len(sleeps) == 3 and not client.script
    assert client.calls[0]["tool_choice"] == {"type": "tool", "name": "describe_action"}
    data = json.loads(out.read_text())
    assert len(validate_file(data)) == 2 and data["generator"] and data["prompt_version"] == "v1"
    assert key not in out.read_text() and "sk-ant" not in out.read_text()


def test_crash_mid_run_then_resume(tmp_path):
    out = tmp_path / "d.json"
    crash = FakeClient([GOOD_GLOBAL, joints_answer(), GOOD_GLOBAL, RuntimeError("process killed")])
    with pytest.raises(RuntimeError, match="killed"):
        describe_dataset("builtin", ["a", "b", "c"], out, client=crash, sleep=lambda s: None, progress=False)
    assert [c["id"] for c in json.loads(out.read_text())["classes"]] == [1]  # class 1 was saved at once
    resume = FakeClient([GOOD_GLOBAL, joints_answer(), GOOD_GLOBAL, joints_answer()])
    res = describe_dataset("builtin", ["a", "b", "c"], out, client=resume, sleep=lambda s: None, progress=False)
    assert len(resume.calls) == 4 and [c.id for c in res] == [1, 2, 3]


def api_error(status: int):
    resp = httpx.Response(status, request=httpx.Request("POST", "https://api.anthropic.com/v1/messages"))
    cls = {400: anthropic.BadRequestError, 401: anthropic.AuthenticationError, 500: anthropic.InternalServerError}
    return cls.get(status, anthropic.APIStatusError)(f"status {status}", response=resp, body=None)


def connection_error():
    return anthropic.APIConnectionError(request=httpx.Request("POST", "https://api.anthropic.com/v1/messages"))


def no_tool_call():
    return types.SimpleNamespace(content=[types.SimpleNamespace(type="text", text="Sure! Here is...")])


class ScriptedClient(FakeClient):
    """As FakeClient, and a `None` item answers with text instead of a tool call."""

    def create(self, **kw):
        if self.script and self.script[0] is None:
            self.calls.append(kw)
            self.script.pop(0)
            return no_tool_call()
        return super().create(**kw)


def test_retries_transient_errors_with_jittered_backoff(tmp_path, monkeypatch):
    """500, 529, connection errors and an answer without a tool call are retried; the
    waits are 2^attempt seconds times a jitter in [0.5, 1) (here `random` returns 0.5,
    so the factor is 0.75), capped at 60 s."""
    import crossglg.text.describe as describe

    monkeypatch.setattr(describe.random, "random", lambda: 0.5)
    client = ScriptedClient([api_error(500), api_error(529), connection_error(), None, GOOD_GLOBAL, joints_answer()])
    sleeps = []
    res = describe_dataset(
        "builtin", ["raise"], tmp_path / "d.json", client=client, sleep=sleeps.append, progress=False
    )
    assert sleeps == [1 * 0.75, 2 * 0.75, 4 * 0.75, 8 * 0.75]
    assert len(client.calls) == 6 and res[0].key_joints == ["right hand", "right elbow"]


@pytest.mark.parametrize("status", [400, 401])
def test_client_errors_are_raised_without_sleeping(tmp_path, status):
    sleeps = []
    client = FakeClient([api_error(status)])
    with pytest.raises(anthropic.APIStatusError):
        describe_dataset("builtin", ["raise"], tmp_path / "d.json", client=client, sleep=sleeps.append, progress=False)
    assert sleeps == [] and len(client.calls) == 1


def test_gives_up_after_attempts(tmp_path):
    client = FakeClient([{"description": "", "key_joints": []}] * 3)
    with pytest.raises(RuntimeError, match="no valid answer after 3 attempts"):
        describe_dataset(
            "x", ["a"], tmp_path / "d.json", client=client, attempts=3, sleep=lambda s: None, progress=False
        )


def test_no_key_fails_at_once(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(MissingAPIKey, match="export ANTHROPIC_API_KEY"):
        make_client()


def test_schema_rejects_missing_and_unknown_joints():
    ans = joints_answer()
    del ans["joints"]["left thumb"]
    with pytest.raises(DescriptionError, match="missing joint\\(s\\) left thumb"):
        validate_joints(ans)
    ans = joints_answer()
    ans["joints"]["left paw"] = "x"
    with pytest.raises(DescriptionError, match="unknown joint name 'left paw'"):
        validate_joints(ans)


def test_k_gt_values():
    v = k_gt(["right hand", "right elbow", "head", "right hand"])
    assert v.shape == (25,) and abs(v.sum() - 1) < 1e-6
    assert v[11] == v[9] == v[3] == pytest.approx(1 / 3) and v[0] == 0
    with pytest.raises(DescriptionError):
        k_gt([])


@pytest.mark.parametrize("dataset,n", [("ntu120", 120), ("utdmhad", 27), ("builtin", 24)])
def test_shipped_descriptions_cover_every_class(dataset, n):
    d = load_descriptions(dataset)
    assert sorted(d) == list(range(1, n + 1))
    assert all(len(c.joints) == 25 and all(c.joints.values()) for c in d.values())
    assert len({c.global_text for c in d.values()}) == n  # no two classes share the global text
    joint_sets = [tuple(c.joints.values()) for c in d.values()]
    assert len(set(joint_sets)) == n
    from crossglg.data.datasets import class_names

    assert [d[i + 1].name for i in range(n)] == class_names(dataset)


def test_embedding_cache_invalidation(tiny_encoder, tmp_path):
    c = EmbeddingCache(tiny_encoder, tmp_path)
    a = c.get(["the left hand moves up", "the head barely moves"])
    assert a.shape == (2, 32) and c.encoded == 2
    c2 = EmbeddingCache(tiny_encoder, tmp_path)  # from disk: nothing encoded again
    np.testing.assert_array_equal(c2.get(["the head barely moves"]), a[1:])
    assert c2.encoded == 0
    c2.get(["the left hand moves up", "the right knee moves down"])  # a changed sentence: only it is encoded
    assert c2.encoded == 1 and len(c2) == 3


def test_encoder_change_invalidates(tiny_encoder, tmp_path):
    import shutil
    import time

    other = tmp_path / "other"
    shutil.copytree(tiny_encoder, other)
    time.sleep(1.1)
    (other / "README.md").write_text("changed")  # a new revision of the local model
    a, b = EmbeddingCache(tiny_encoder, tmp_path / "c"), EmbeddingCache(str(other), tmp_path / "c")
    assert a.identity != b.identity and a.dir != b.dir


def test_class_text_features(tiny_encoder, tmp_path):
    f = class_text_features("builtin", [1, 2, 4], tiny_encoder, cache_dir=str(tmp_path))
    assert f.joint_emb.shape == (3, 25, 32) and f.k_gt.shape == (3, 25)
    assert not hasattr(f, "global_emb")  # the global sentences are not used in training: not embedded
    assert np.allclose(f.k_gt.sum(1).numpy(), 1)
    assert f.k_gt[0, 4] > 0 and f.k_gt[0, 8] == 0  # "raise the left hand": left arm joints are key


def test_missing_encoder_fails_fast_offline(tmp_path, monkeypatch):
    import time

    from crossglg.text.embeddings import EncoderUnavailable

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    t = time.perf_counter()
    with pytest.raises(EncoderUnavailable, match="'nobody/no-such-model'.*HF_HUB_OFFLINE=1"):
        EmbeddingCache("nobody/no-such-model", tmp_path).get(["a sentence"])
    assert time.perf_counter() - t < 60


def test_classes_file_csv(tmp_path):
    from crossglg.text.describe import read_class_names

    f = tmp_path / "Actions.csv"
    f.write_text("Label,Action\n1,bow\n2,brushing hair\n")
    assert read_class_names(f) == [(1, "bow"), (2, "brushing hair")]


def test_the_task_sizes_its_network_from_its_data_and_its_text(builtin_cache, tiny_encoder, tmp_path, monkeypatch):
    """A task given no sizes builds its network when it meets its data: 16 auxiliary
    classes and 2 bodies from the built-in split, the text's width (32) from the features
    it computes once; a `test` of its checkpoint takes the sizes from the checkpoint and
    loads no text encoder."""
    import lightning as L

    import crossglg.text.embeddings as emb
    from crossglg.task import CrossGLGTask
    from helpers import groups, tiny_datamodule, tiny_trainer

    text = dict(encoder=tiny_encoder, embedding_cache=str(tmp_path / "emb"))
    args = groups(text=text, evaluation=dict(episodes=5, calibration_at_test=False))
    m = CrossGLGTask(**args)
    assert m.net is None
    ck = L.pytorch.callbacks.ModelCheckpoint(dirpath=tmp_path / "ck", save_last=True)
    t = tiny_trainer(tmp_path, max_epochs=1, limit_train_batches=1, num_sanity_val_steps=0, callbacks=[ck])
    t.fit(m, tiny_datamodule(builtin_cache))
    assert (m.hparams.num_classes, m.hparams.text_dim, m.hparams.persons) == (16, 32, 2)
    assert m.joint_text.shape == (16, 25, 32) and m.net(torch.zeros(1, 3, 16, 25, 2)).pooled.shape[0] == 1
    monkeypatch.setattr(emb, "load_encoder", lambda *a, **k: pytest.fail("text encoder loaded"))
    fresh = CrossGLGTask(**args)
    tiny_trainer(tmp_path).test(fresh, tiny_datamodule(builtin_cache), ckpt_path=ck.last_model_path)
    assert (fresh.hparams.num_classes, fresh.hparams.text_dim) == (16, 32) and fresh.joint_text is None
    assert fresh.results["test"].num_queries == 280
