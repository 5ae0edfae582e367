"""The faithful CTR-GCN encoder: the published parameter counts, the channel-wise
topology refinement on a constructed case, the skeleton graph it starts from, and
CrossGLG plugged in unchanged."""

import pytest
import torch

from crossglg.models.ctrgcn import CTRGCN, ChannelTopologyRefinement, widening_strides
from crossglg.models.encoder import build_encoder
from crossglg.models.graph import spatial_partitions
from crossglg.models.jid import JointImportance
from helpers import tiny_net, tiny_text

#: Widths small enough for a CPU test, in the published layout (10 blocks, two widenings).
TINY_CTR = {"widths": [8, 8, 8, 8, 16, 16, 16, 32, 32, 32]}


def count(m):
    return sum(p.numel() for p in m.parameters())


class Uniform(torch.nn.Module):
    def forward(self, tokens):
        return torch.full(tokens.shape[:2], 1 / tokens.shape[1])


def test_parameter_counts_match_the_published_model():
    """NTU settings (3 channels, 25 joints, 2 persons): the authors' code has 1,462,092
    parameters with its 120-class fc (256 * 120 + 120 = 30,840), 1,431,252 without."""
    enc = build_encoder("ctrgcn")
    assert isinstance(enc, CTRGCN)
    assert count(enc) == 1_431_252
    assert count(enc) + 256 * 120 + 120 == 1_462_092
    assert count(enc.data_bn) == 300
    per_block = [12_052, 26_308, 26_308, 26_308, 78_084, 97_844, 97_844, 301_748, 382_228, 382_228]
    assert [count(b) for b in enc.blocks] == per_block
    # not adaptive: the 10 blocks' three 25x25 adjacencies become buffers
    assert count(CTRGCN(adaptive=False)) == 1_431_252 - 10 * 3 * 25 * 25


def test_layout_and_graph_initialisation():
    assert widening_strides([64, 64, 64, 64, 128, 128, 128, 256, 256, 256]) == [1, 1, 1, 1, 2, 1, 1, 2, 1, 1]
    enc = CTRGCN(**TINY_CTR)
    parts = torch.from_numpy(spatial_partitions())
    for block in enc.blocks:
        assert torch.equal(block.gcn.adjacency.detach(), parts) and block.gcn.alpha.item() == 0.0
    assert enc.blocks[0].residual is None and enc.blocks[0].gcn.refine[0].query.out_channels == 8
    with pytest.raises(ValueError, match="one entry per block"):
        CTRGCN(widths=[8, 8], strides=[1])


def test_refinement_on_a_constructed_case():
    """Each output channel aggregates joints over its own topology `alpha * expand(tanh(q_u
    - k_v)) + a[u, v]` (joint `u` receives from `v`); at `alpha = 0` it is the plain
    graph convolution over `a`."""
    torch.manual_seed(0)
    ctr = ChannelTopologyRefinement(cin=4, cout=3, rel=2)
    x, a, alpha = torch.randn(2, 4, 5, 6), torch.randn(6, 6), torch.tensor([0.7])
    q, k, val = ctr.query(x).mean(2), ctr.key(x).mean(2), ctr.value(x)
    w, bias = ctr.expand.weight[:, :, 0, 0], ctr.expand.bias
    ref = torch.zeros(2, 3, 5, 6)
    for b in range(2):
        for u in range(6):
            for v in range(6):
                topology = alpha * (w @ torch.tanh(q[b, :, u] - k[b, :, v]) + bias) + a[u, v]  # (C_out,)
                ref[b, :, :, u] += topology[:, None] * val[b, :, :, v]
    assert torch.allclose(ctr(x, a, alpha), ref, atol=1e-5)
    plain = torch.einsum("uv,bctv->bctu", a, val)
    assert torch.allclose(ctr(x, a, torch.zeros(1)), plain, atol=1e-5)


def test_encoder_shapes_persons_and_jid_hook():
    torch.manual_seed(0)
    enc = build_encoder("ctrgcn")
    x = torch.randn(2, 3, 8, 25, 2)
    shapes = []
    for block in enc.blocks:
        block.register_forward_hook(lambda mod, args, out: shapes.append(tuple(out.shape)))
    out = enc(x, jid=JointImportance(128, 16), jid_after=5)
    assert out.pooled.shape == (2, 256) and out.joint_tokens.shape == (2, 25, 256) and out.k_out.shape == (2, 25)
    assert torch.allclose(out.k_out.sum(1), torch.ones(2))
    assert [s[1] for s in shapes] == [64, 64, 64, 64, 128, 128, 128, 256, 256, 256]
    assert [s[2] for s in shapes] == [8, 8, 8, 8, 4, 4, 4, 2, 2, 2] and shapes[-1][0] == 4  # persons folded
    with pytest.raises(ValueError, match="person"):
        enc(torch.randn(1, 3, 8, 25, 1))


def test_uniform_importance_is_the_identity():
    torch.manual_seed(0)
    enc = build_encoder("ctrgcn", num_persons=1, **TINY_CTR).eval()
    for block in enc.blocks:  # a live refinement, so that every part of the block matters
        torch.nn.init.constant_(block.gcn.alpha, 0.5)
    x = torch.randn(2, 3, 8, 25, 1)
    plain = enc(x).pooled
    assert torch.allclose(plain, enc(x, jid=Uniform()).pooled, atol=1e-6)
    jid = JointImportance(16, 8)
    torch.nn.init.normal_(jid.score[2].weight, std=3.0)  # far from uniform
    assert (enc(x, jid=jid).pooled - plain).abs().max() > 1e-3


def test_crossglg_on_ctrgcn_trains():
    torch.manual_seed(0)
    m = tiny_net(encoder=dict(name="ctrgcn", args=TINY_CTR))
    assert isinstance(m.encoder, CTRGCN) and m.encoder.num_persons == 2  # sized by the network's persons
    text = tiny_text()
    x, y = torch.randn(4, 3, 8, 25, 2), torch.arange(4)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    first = None
    for _ in range(5):
        parts = m.losses(x, y, *text)
        first = first if first is not None else parts["loss"].item()
        opt.zero_grad()
        parts["loss"].backward()
        opt.step()
    assert {"loss_s", "loss_cal", "loss_c"} <= set(parts)
    assert parts["loss"].item() < first
    m.eval()
    assert m.embed(x).shape == (4, 32)
