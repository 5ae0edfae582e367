"""The one error type that bad skeleton input raises."""

from __future__ import annotations

import os


class SkeletonFormatError(ValueError):
    """A skeleton or label file is malformed. Names the file, the line (1-based,
    when the problem is on one line) and what is wrong."""

    def __init__(self, path: str | os.PathLike, reason: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")
