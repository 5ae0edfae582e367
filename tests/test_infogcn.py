"""The faithful InfoGCN encoder and its information-bottleneck head: the published
parameter counts, per-frame attention, the k-th mode input, the IB losses, and
CrossGLG plugged in unchanged."""

import pytest
import torch

from crossglg.models.encoder import build_encoder
from crossglg.models.infogcn import FrameSelfAttention, InfoBottleneckHead, InfoGCN, ib_losses, kth_mode
from crossglg.models.jid import JointImportance
from helpers import TINY as SMALL
from helpers import tiny_net, tiny_text


def count(m):
    return sum(p.numel() for p in m.parameters())


def test_parameter_counts_match_the_published_model():
    """NTU settings (3 heads, k=1, 2 persons): InfoGCN's encoder and full model over 100 classes."""
    enc = build_encoder("infogcn")
    assert isinstance(enc, InfoGCN)
    assert count(enc) == 1_344_011
    assert count(enc) + count(InfoBottleneckHead(256, 100)) == 1_567_087
    assert count(build_encoder("infogcn_lite")) == 1_332_660  # the faster variant, for comparison


def test_kth_mode_on_a_chain():
    # chain 0 <- 1 <- 2 (child, parent): A[parent, child] = 1
    m1 = kth_mode(3, ((1, 0), (2, 1)), k=1)
    assert torch.equal(m1, torch.tensor([[1.0, -1, 0], [0, 1, -1], [0, 0, 1]]))
    m2 = kth_mode(3, ((1, 0), (2, 1)), k=2)
    assert torch.equal(m2, torch.tensor([[1.0, 0, -1], [0, 1, 0], [0, 0, 1]]))
    with pytest.raises(ValueError, match="k >= 1"):
        InfoGCN(k=0, **SMALL)


def test_attention_is_per_frame():
    torch.manual_seed(0)
    att = FrameSelfAttention(16, 2, heads=3)
    x = torch.randn(2, 16, 5, 25)
    a = att(x)
    assert a.shape == (2 * 5, 3, 25, 25) and torch.allclose(a.sum(-1), torch.ones(10, 3, 25))
    assert not torch.allclose(a[0], a[1])  # two frames of one sample attend differently
    # changing one frame changes only that frame's attention
    y = x.clone()
    y[:, :, 2] += 1.0
    b = att(y)
    assert torch.allclose(a[[0, 1, 3, 4]], b[[0, 1, 3, 4]]) and not torch.allclose(a[2], b[2])


def test_encoder_shapes_persons_and_jid_hook():
    torch.manual_seed(0)
    enc = InfoGCN(num_persons=1, **SMALL)
    x = torch.randn(3, 3, 16, 25, 1)
    out = enc(x, jid=JointImportance(16, 8), jid_after=5)
    assert out.pooled.shape == (3, 16) and out.joint_tokens.shape == (3, 25, 16) and out.k_out.shape == (3, 25)
    with pytest.raises(ValueError, match="person"):
        enc(torch.randn(1, 3, 16, 25, 2))

    class Uniform(torch.nn.Module):
        def forward(self, tokens):
            return torch.full(tokens.shape[:2], 1 / tokens.shape[1])

    enc.eval()
    assert torch.allclose(enc(x).pooled, enc(x, jid=Uniform()).pooled, atol=1e-6)
    # the ramp's blend: share 0 is the unweighted encoder, 1 the full re-weighting
    jid = JointImportance(16, 8)
    torch.nn.init.normal_(jid.score[2].weight, std=3.0)  # far from uniform
    plain, full = enc(x).pooled, enc(x, jid=jid).pooled
    assert torch.allclose(enc(x, jid=jid, jid_mix=0.0).pooled, plain, atol=1e-6)
    assert torch.equal(enc(x, jid=jid, jid_mix=1.0).pooled, full)
    half = enc(x, jid=jid, jid_mix=0.5).pooled
    assert (half - plain).abs().max() > 1e-3 and (half - full).abs().max() > 1e-3


def test_ib_losses_on_a_constructed_case():
    z = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0]])
    y = torch.tensor([0, 0, 2])
    prior = torch.tensor([[2.0, 0.0], [9.0, 9.0], [0.0, 1.0]])
    mmd, zmean = ib_losses(z, y, prior)
    # class 0 mean (2, 0) = prior; class 2 mean (0, 2) vs (0, 1): squared error 1 over 4 entries
    assert mmd.item() == pytest.approx(0.25)
    assert zmean.item() == pytest.approx(torch.tensor([4 / 3, 2 / 3]).norm().item())


def test_ib_head_samples_in_training_only():
    torch.manual_seed(0)
    head = InfoBottleneckHead(8, 5, noise_ratio=0.5)
    x = torch.randn(4, 8)
    head.eval()
    z, mu, _ = head.latent(x)
    assert torch.equal(z, mu) and torch.equal(head(x), head.decoder(mu))
    head.train()
    z, mu, _ = head.latent(x)
    assert not torch.allclose(z, mu)
    assert head.z_prior.shape == (5, 8)
    g = head.z_prior @ head.z_prior.T  # orthogonal priors
    assert torch.allclose(g - torch.diag(torch.diag(g)), torch.zeros(5, 5), atol=1e-4)


def test_crossglg_on_infogcn_with_ib_head_trains():
    torch.manual_seed(0)
    m = tiny_net(
        encoder=dict(name="infogcn", args={**SMALL, "num_persons": 2}),
        classifier=dict(kind="ib", embedding="latent_mean"),
    )
    text = tiny_text()
    x, y = torch.randn(8, 3, 8, 25, 2), torch.arange(4).repeat(2)
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
    first = None
    for _ in range(15):
        parts = m.losses(x, y, *text)
        first = first if first is not None else parts["loss"].item()
        opt.zero_grad()
        parts["loss"].backward()
        opt.step()
    assert {"loss_s", "loss_cal", "loss_c", "loss_mmd", "loss_zmean"} <= set(parts)
    assert parts["loss"].item() < first
    m.eval()
    assert m.embed(x).shape == (8, 16)
    with pytest.raises(ValueError, match="latent_mean"):
        tiny_net(classifier=dict(embedding="latent_mean"))
