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

DATA ?= data
SWEEPS ?= ntu120_oneshot ntu60_oneshot pkummd2_oneshot ntu120_distill

reproduce:
	for s in $(SWEEPS); do $(PYTHON) -m crossglg sweep experiments/sweeps/$$s.yaml -- --data.data_dir=$(DATA) || exit 1; done
	$(PYTHON) experiments/tables.py

reproduce-smoke:
	$(PYTHON) -m crossglg sweep --out $(or $(OUT),results/smoke)/sweeps experiments/sweeps/smoke.yaml -- --data.data_dir=$(DATA)
	$(PYTHON) experiments/tables.py --results $(or $(OUT),results/smoke)/sweeps --out $(or $(OUT),results/smoke)

tables:
	$(PYTHON) experiments/tables.py
