PYTHON ?= python

.PHONY: install test demo bench-data bench reproduce reproduce-smoke tables

install:
	$(PYTHON) -m pip install -e '.[dev]'

test:
	$(PYTHON) -m pytest -q tests

demo:
	$(PYTHON) -m crossglg fit --config configs/demo.yaml

bench-data:
	$(PYTHON) experiments/bench_data.py

bench:
	$(PYTHON) experiments/bench.py

ablation-utdmhad:
	$(PYTHON) experiments/ablation.py --config configs/utdmhad.yaml --seeds 0 1 2
