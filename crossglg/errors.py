"""Every error crossglg raises on purpose, in one place. Each names what is wrong and
where (a file, a line, a class); the command line prints it as one line
(`error: ...`) and exits with status 1. All derive from `CrossGLGError`, and keep the
built-in base they always had (`ValueError` or `RuntimeError`) so existing handlers
still catch them."""

from __future__ import annotations

import os


class CrossGLGError(Exception):
    """Base of crossglg's own errors."""


class SkeletonFormatError(CrossGLGError, ValueError):
    """A skeleton or label file is malformed. Names the file, the line (1-based,
    when the problem is on one line) and what is wrong."""

    def __init__(self, path: str | os.PathLike, reason: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class CacheError(CrossGLGError, RuntimeError):
    """A cache folder is missing, incomplete or inconsistent."""


class ProtocolError(CrossGLGError, ValueError):
    """A protocol cannot be applied to a cache (a missing exemplar, a bad subset)."""


class DescriptionError(CrossGLGError, ValueError):
    """A description (file or LLM answer) breaks the schema."""


class ImportSourceError(DescriptionError):
    """A published description source is missing, malformed or does not fit the data set."""


class EncoderUnavailable(CrossGLGError, RuntimeError):
    """The sentence encoder cannot be loaded (not installed, not cached offline)."""


class MissingAPIKey(CrossGLGError, RuntimeError):
    """`describe` needs an Anthropic API key."""


class CheckpointError(CrossGLGError, ValueError):
    """A file that is not a readable crossglg checkpoint."""


class GalleryError(CrossGLGError, ValueError):
    """A gallery that is unreadable, of another model, or empty."""
