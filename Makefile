VENV ?= .venv
# An active virtual environment is used as it is; otherwise `make install` creates .venv
# (a stock Debian/Ubuntu Python refuses system-wide installs, PEP 668) and every target uses it.
PYTHON ?= $(if $(VIRTUAL_ENV),python,$(VENV)/bin/python)
SWEEP = $(PYTHON) -m crossglg sweep

.PHONY: install test lint demo demo-record bench-data bench reproduce reproduce-smoke tables tables-check \
	utdmhad-encoders utdmhad-text utdmhad-text-sources utdmhad-infogcn-sources utdmhad-val utdmhad-val-length \
	utdmhad-val-data-order utdmhad-length ablation-utdmhad composed

install:
	@if [ "$(PYTHON)" = "$(VENV)/bin/python" ] && [ ! -x "$(PYTHON)" ]; then python3 -m venv $(VENV); fi
	$(PYTHON) -m pip install -e '.[dev]'

test:
	$(PYTHON) -m pytest tests

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

demo:
	$(PYTHON) -m crossglg fit --config configs/demo.yaml

# The demo as a one-run sweep: its record (results/demo/) feeds the README's expected output.
demo-record:
	$(SWEEP) experiments/sweeps/demo.yaml
	$(PYTHON) -m crossglg tables

bench-data:
	$(PYTHON) experiments/bench_data.py

bench:
	$(PYTHON) experiments/bench.py
	$(PYTHON) experiments/bench_recognize.py

# Every table in README.md and docs/ from the committed records under results/.
tables:
	$(PYTHON) -m crossglg tables

tables-check:
	$(PYTHON) -m crossglg tables --check

# Each sweep is resumable: a run whose record is under results/<sweep>/ is not run again,
# an interrupted run resumes from its last checkpoint. After a sweep, `make tables`.
# The headline: plain against CrossGLG on the paper's base encoder (UTD-MHAD, 10 seeds).
utdmhad-encoders:
	$(SWEEP) experiments/sweeps/utdmhad_encoders.yaml
	$(PYTHON) -m crossglg tables

utdmhad-text:
	$(SWEEP) experiments/sweeps/utdmhad_text.yaml

# PURLS' published GPT-3 text of UTD-MHAD, imported once (configs/text/utdmhad_purls.yaml reads it).
data/text/purls-utdmhad.json:
	$(PYTHON) -m crossglg describe import purls ../shared/data/text/purls/supplements/gpt3_desc.xlsx --dataset utdmhad --out $@

utdmhad-text-sources: data/text/purls-utdmhad.json
	$(SWEEP) experiments/sweeps/utdmhad_text_sources.yaml

utdmhad-infogcn-sources: data/text/purls-utdmhad.json
	$(SWEEP) experiments/sweeps/utdmhad_infogcn_sources.yaml

# Validation split (4 auxiliary classes as pseudo-novel): where settings are chosen.
utdmhad-val:
	$(SWEEP) experiments/sweeps/utdmhad_val.yaml

utdmhad-val-length:
	$(SWEEP) experiments/sweeps/utdmhad_val_length.yaml

utdmhad-val-data-order:
	$(SWEEP) experiments/sweeps/utdmhad_val_data_order.yaml

utdmhad-length:
	$(SWEEP) experiments/sweeps/utdmhad_length.yaml

ablation-utdmhad:
	$(SWEEP) experiments/sweeps/utdmhad_ablation.yaml

# Plain against CrossGLG on the generated `composed` set (text informative by construction).
composed:
	$(SWEEP) experiments/sweeps/composed.yaml

DATA ?= data
SWEEPS ?= ntu120_oneshot ntu60_oneshot pkummd2_oneshot ntu120_distill

# The paper's tables: every sweep, then ours beside the paper's (printed, and results/benchmarks.csv).
reproduce:
	for s in $(SWEEPS); do $(SWEEP) experiments/sweeps/$$s.yaml -- --data.data_dir=$(DATA) || exit 1; done
	$(PYTHON) -m crossglg tables --benchmarks --csv results/benchmarks.csv

# The same path on the built-in data, into OUT (default runs/smoke): minutes, not days.
reproduce-smoke:
	$(SWEEP) --out $(or $(OUT),runs/smoke)/sweeps --records $(or $(OUT),runs/smoke)/records experiments/sweeps/smoke.yaml -- --data.data_dir=$(DATA)
	$(PYTHON) -m crossglg tables --records $(or $(OUT),runs/smoke)/records --benchmarks --csv $(or $(OUT),runs/smoke)/benchmarks.csv
