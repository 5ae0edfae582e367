"""Skeleton data: parsers for NTU RGB+D, PKU-MMD and UTD-MHAD files, the generated sets
(`builtin`, `composed`), caches, one-shot protocols, transforms and the DataModule."""

from ..errors import SkeletonFormatError
from .cache import CacheError, SkeletonCache, prepare
from .ntu import BodySelection, read_skeleton_file
from .protocols import PROTOCOLS, OneShotProtocol, ProtocolError, get_protocol

__all__ = [
    "BodySelection",
    "CacheError",
    "OneShotProtocol",
    "PROTOCOLS",
    "ProtocolError",
    "SkeletonCache",
    "SkeletonFormatError",
    "get_protocol",
    "prepare",
    "read_skeleton_file",
]
