"""Results as data: each finished run's small record (`results/<sweep>/<run>.json`,
committed), and everything built from the records: loading and naming rows
(`records.py`), pairing by seed and the tables (`tables.py`), and the regeneration of
every table in README.md and docs/ (`docs.py`, `python -m crossglg tables`)."""
