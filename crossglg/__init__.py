"""crossglg: CrossGLG (ECCV 2024), LLM-text-guided one-shot skeleton-based 3D action
recognition. Text guides training; inference uses the skeleton branch only."""

__version__ = "0.1.0"
