import numpy as np
import pytest
import torch

from crossglg.eval.oneshot import distribution_calibration, episode_accuracy, evaluate_oneshot
from crossglg.models.encoder import build_encoder
from crossglg.models.interaction import CrossModalInteraction
from crossglg.models.jid import JointImportance
from crossglg.models.network import CrossGLGNet, count_parameters
from helpers import TINY, tiny_net, tiny_text


@pytest.mark.parametrize("name", ["infogcn", "stgcn"])
def test_encoder_shapes_and_hook(name):
    enc = build_encoder(name, **TINY)
    x = torch.randn(3, 3, 16, 25, 2)
    shapes = []
    for block in enc.blocks:
        block.register_forward_hook(lambda mod, args, out: shapes.append(tuple(out.shape)))
    out = enc(x)
    assert out.pooled.shape == (3, 16) and out.joint_tokens.shape == (3, 25, 16) and out.k_out is None
    assert [s[1] for s in shapes] == TINY["widths"]
    assert shapes[-1] == (6, 16, 4, 25)  # persons folded, two temporal strides
    jid = JointImportance(16, 8)
    out = enc(x, jid=jid, jid_after=5)
    assert out.k_out.shape == (3, 25) and torch.allclose(out.k_out.sum(1), torch.ones(3))


def test_uniform_importance_is_the_identity():
    torch.manual_seed(0)
    enc = build_encoder("infogcn", **TINY).eval()
    x = torch.randn(2, 3, 16, 25, 2)

    class Uniform(torch.nn.Module):
        def forward(self, tokens):
            return torch.full(tokens.shape[:2], 1 / tokens.shape[1])

    assert torch.allclose(enc(x).pooled, enc(x, jid=Uniform()).pooled, atol=1e-6)


def test_interaction_shapes():
    m = CrossModalInteraction(text_dim=32, dim=16, depth=2, heads=2)
    assert m(torch.randn(4, 25, 32), torch.randn(4, 25, 16)).shape == (4, 16)


def test_loss_falls_and_k_out_moves_to_k_gt():
    torch.manual_seed(0)
    m, text = tiny_net(), tiny_text()
    x, y = torch.randn(8, 3, 16, 25, 1), torch.arange(8) % 4
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    first = m.losses(x, y, *text)
    for _ in range(30):
        opt.zero_grad()
        parts = m.losses(x, y, *text)
        parts["loss"].backward()
        opt.step()
    assert parts["loss"] < 0.6 * first["loss"]
    assert parts["loss_cal"] < 0.5 * first["loss_cal"]
    k = m(x).k_out
    assert k[:, [8, 9, 10, 11]].sum(1).min() > 0.5  # mass moved onto the key joints (uniform: 0.16)


def test_inference_params_within_budget():
    m = CrossGLGNet(num_classes=100, text_dim=384)
    enc, jid = count_parameters(m.encoder), count_parameters(m.jid)
    assert 1.2e6 < enc < 1.8e6 and jid <= 0.15e6


def test_nearest_exemplar_exact_accuracy():
    # two classes: exemplars along x and y; 3 queries near x, 2 near y, 1 of the y ones mislabelled as x
    feats = torch.tensor([[1.0, 0], [0, 1.0], [0.9, 0.1], [0.8, 0.3], [0.2, 0.9], [0.1, 1.0], [0.7, 0.6]])
    targets = torch.tensor([0, 1, 0, 0, 1, 1, 1])
    ex = torch.tensor([True, True, False, False, False, False, False])
    r = evaluate_oneshot(feats, targets, ex)
    assert r.top1 == pytest.approx(4 / 5) and r.num_queries == 5 and r.num_classes == 2
    assert r.per_class == pytest.approx([1.0, 2 / 3]) and r.confusion.tolist() == [[2, 0], [1, 2]]
    assert r.line() == "one-shot top-1: 0.800 (5 queries, 2 novel classes)"
    from crossglg.errors import ProtocolError

    with pytest.raises(ProtocolError, match="no queries to evaluate: all 2 recordings of the 2 evaluated classes"):
        evaluate_oneshot(feats[:2], targets[:2], ex[:2])  # exemplars only


def test_calibration_and_episodes_on_separable_data():
    rng = np.random.default_rng(0)
    centers = rng.uniform(0, 3, (6, 8))
    feats = np.abs(np.concatenate([c + 0.05 * rng.normal(size=(20, 8)) for c in centers]))
    labels = np.repeat(np.arange(6), 20)
    base = labels < 3
    sup_idx = np.array([60, 80, 100])
    q = ~base
    q[sup_idx] = False
    pred = distribution_calibration(
        feats[sup_idx], labels[sup_idx], feats[q], feats[base], labels[base], num_sampled=50
    )
    assert (pred == labels[q]).mean() == 1.0
    mean, ci = episode_accuracy(torch.tensor(feats), torch.tensor(labels), n_way=5, episodes=50)
    assert mean == 1.0 and ci == 0.0


def test_distillation_schedule():
    from crossglg.callbacks import Distillation

    d = Distillation(max_weight=2.0, start_epoch=2, warmup_epochs=4)
    assert [d.weight_at(e) for e in range(7)] == [0, 0, 0.5, 1.0, 1.5, 2.0, 2.0]
    assert [Distillation(1.0, 1, 0).weight_at(e) for e in range(3)] == [0, 1.0, 1.0]  # no warm-up: a step


def test_one_ramp_for_every_schedule():
    from crossglg.schedule import ramp

    assert [ramp(p, 1.0, 2.0) for p in (0.0, 0.99, 1.0, 1.5, 2.0, 3.0, 9.0)] == [0, 0, 0, 0.25, 0.5, 1.0, 1.0]
    assert ramp(0.0) == ramp(0.0, 0.0, -1.0) == 1.0  # no length: 1 from the start


def test_supervised_contrastive_on_a_constructed_case():
    import math

    from crossglg.models.metric import supervised_contrastive

    e1, e2 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    z, y = torch.stack([e1, 2 * e1, e2, 3 * e2]), torch.tensor([0, 0, 1, 1])
    # each anchor: its positive at cosine 1, two negatives at 0 (t = 1): log(e + 2) - 1
    assert supervised_contrastive(z, y, 1.0).item() == pytest.approx(math.log(math.e + 2) - 1, abs=1e-6)
    # a sample without a positive is no anchor; a lone class, no loss
    alone = torch.cat([z, torch.tensor([[1.0, 1.0]])])
    assert supervised_contrastive(alone, torch.tensor([0, 0, 1, 1, 2]), 1.0) > supervised_contrastive(z, y, 1.0)
    assert supervised_contrastive(z, torch.arange(4), 1.0).item() == 0.0
    # classes mixed up cost more than classes apart
    assert supervised_contrastive(z, torch.tensor([0, 1, 0, 1]), 0.1) > supervised_contrastive(z, y, 0.1)


def test_the_metric_objective_joins_the_losses_and_trains_the_embedding():
    torch.manual_seed(0)
    net = tiny_net(classifier={"supcon_weight": 0.5, "supcon_temperature": 0.2})
    text, kg = tiny_text()
    x, y = torch.randn(8, 3, 16, 25, 2), torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    first = None
    for _ in range(15):
        parts = net.losses(x, y, text, kg)
        opt.zero_grad()
        parts["loss"].backward()
        opt.step()
        first = first if first is not None else parts["loss_supcon"].item()
    assert "loss_supcon" in parts and parts["loss_supcon"].item() < first
    assert "loss_supcon" not in tiny_net().losses(x, y, text, kg)
