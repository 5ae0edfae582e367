"""One-shot evaluation: nearest exemplar, distribution calibration, episodes, plots."""
