"""One-shot evaluation: nearest exemplar, exemplar draws, distribution calibration,
episodes, the no-learning floor, the text-leak probe, paired statistics, the evaluation
callback and its report."""
