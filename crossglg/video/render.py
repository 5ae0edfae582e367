"""An animated GIF of a skeleton as the model sees it (NTU layout, front view), optionally
with the JID's joint importance as the joints' size and colour."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.layout import NTU_BONES
from ..io import atomic_write_with

MAX_FRAMES = 150  # longer recordings are shown subsampled


def animate_skeleton(
    recording: np.ndarray, path: str | Path, importance: np.ndarray | None = None, title: str = "", fps: int = 15
) -> Path:
    """`recording (3, T, 25, M)` as `read_recording` gives it -> a GIF at `path` (front
    view: x left-right, y up; the first body). `importance (25,)` sizes and colours the
    joints."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    xy = np.transpose(recording[:2, :, :, 0], (1, 2, 0))  # (T, 25, 2)
    xy = xy[:: max(1, int(np.ceil(len(xy) / MAX_FRAMES)))]
    lo, hi = xy.reshape(-1, 2).min(0), xy.reshape(-1, 2).max(0)
    pad = 0.1 * (hi - lo).max() + 0.05
    fig, ax = plt.subplots(figsize=(3.2, 4.0), dpi=80)
    ax.set_xlim(lo[0] - pad, hi[0] + pad)
    ax.set_ylim(lo[1] - pad, hi[1] + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)
    lines = [ax.plot([], [], color="0.4", lw=2)[0] for _ in NTU_BONES]
    k = np.full(25, 1 / 25) if importance is None else np.asarray(importance, float)
    sizes = 10 + 400 * k / k.max()
    dots = ax.scatter(xy[0, :, 0], xy[0, :, 1], s=sizes, c=k, cmap="viridis" if importance is not None else None)
    if importance is not None:
        fig.colorbar(dots, ax=ax, fraction=0.05, label="JID importance")

    def frame(t):
        for line, (a, b) in zip(lines, NTU_BONES):
            line.set_data(xy[t, [a, b], 0], xy[t, [a, b], 1])
        dots.set_offsets(xy[t])
        return [*lines, dots]

    anim = FuncAnimation(fig, frame, frames=len(xy), blit=True)
    tmp = Path(path).with_name(f".{Path(path).stem}.tmp.gif")
    try:
        anim.save(tmp, writer=PillowWriter(fps=fps))
        plt.close(fig)
        data = tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    return atomic_write_with(path, lambda fh: fh.write(data))
