VENV ?= .venv
# An active virtual environment is used as it is; otherwise `make install` creates .venv
# (a stock Debian/Ubuntu Python refuses system-wide installs, PEP 668) and every target uses it.
PYTHON ?= $(if $(VIRTUAL_ENV),python,$(VENV)/bin/python)

.PHONY: install test demo bench-data bench reproduce reproduce-smoke tables ablation-utdmhad utdmhad-encoders utdmhad-text utdmhad-text-sources utdmhad-val utdmhad-val-length utdmhad-val-data-order utdmhad-length utdmhad-infogcn-sources composed

install:
	@if [ "$(PYTHON)" = "$(VENV)/bin/python" ] && [ ! -x "$(PYTHON)" ]; then python3 -m venv $(VENV); fi
	$(PYTHON) -m pip install -e '.[dev]'

test:
	$(PYTHON) -m pytest tests

demo:
	$(PYTHON) -m crossglg fit --config configs/demo.yaml

bench-data:
	$(PYTHON) experiments/bench_data.py

bench:
	$(PYTHON) experiments/bench.py
	$(PYTHON) experiments/bench_recognize.py

ablation-utdmhad:
	$(PYTHON) -m crossglg sweep experiments/sweeps/utdmhad_ablation.yaml
	$(PYTHON) experiments/paired.py results/sweeps/utdmhad_ablation --out results/utdmhad_ablation.md

# Encoder x method on UTD-MHAD (InfoGCN as published beside InfoGCN-lite), paired by seed.
utdmhad-encoders: utdmhad-text
	$(PYTHON) -m crossglg sweep experiments/sweeps/utdmhad_encoders.yaml
	$(PYTHON) experiments/paired.py results/sweeps/utdmhad_text results/sweeps/utdmhad_encoders --baseline plain@infogcn --out results/utdmhad_encoders.md

# The UTD-MHAD text-guidance table (resumable: finished runs are skipped, an interrupted one resumes).
utdmhad-text:
	$(PYTHON) -m crossglg sweep experiments/sweeps/utdmhad_text.yaml
	$(PYTHON) experiments/paired.py results/sweeps/utdmhad_text --out results/utdmhad_text.md

# PURLS' published GPT-3 text of UTD-MHAD, imported once (configs/text/utdmhad_purls.yaml reads it).
data/text/purls-utdmhad.json:
	$(PYTHON) -m crossglg describe import purls ../shared/data/text/purls/supplements/gpt3_desc.xlsx --dataset utdmhad --out $@

utdmhad-text-sources: utdmhad-text data/text/purls-utdmhad.json
	$(PYTHON) -m crossglg sweep experiments/sweeps/utdmhad_text_sources.yaml
	$(PYTHON) experiments/paired.py results/sweeps/utdmhad_text results/sweeps/utdmhad_text_sources --out results/utdmhad_text_sources.md

# Validation split (4 auxiliary classes as pseudo-novel): the JID ramp against none, and
# whether the split sees the guidance's gain over the plain encoder.
utdmhad-val:
	$(PYTHON) -m crossglg sweep experiments/sweeps/utdmhad_val.yaml
	$(PYTHON) experiments/paired.py results/sweeps/utdmhad_val --baseline crossglg_gathered --out results/utdmhad_val.md

# Training length and stopping point as sources of variance, on the same split: the plain
# and CrossGLG rows at twice the budget (configs/schedules/long.yaml), validated every
# epoch, paired by seed with their 15-epoch runs in utdmhad_val.
utdmhad-val-length: utdmhad-val
	$(PYTHON) -m crossglg sweep experiments/sweeps/utdmhad_val_length.yaml
	$(PYTHON) experiments/paired.py results/sweeps/utdmhad_val results/sweeps/utdmhad_val_length --baseline plain@15ep --out results/utdmhad_val_length.md --curves results/utdmhad_val_length.png

# The data order (data.seed) as a source of variance on the same split, at one seed_everything.
utdmhad-val-data-order:
	$(PYTHON) -m crossglg sweep experiments/sweeps/utdmhad_val_data_order.yaml
	$(PYTHON) experiments/paired.py results/sweeps/utdmhad_val_data_order --out results/utdmhad_val_data_order.md

# The test protocol's plain and CrossGLG rows (utdmhad_encoders) at the same doubled budget.
utdmhad-length: utdmhad-encoders
	$(PYTHON) -m crossglg sweep experiments/sweeps/utdmhad_length.yaml
	$(PYTHON) experiments/paired.py results/sweeps/utdmhad_encoders results/sweeps/utdmhad_length --baseline plain@15ep --out results/utdmhad_length.md --curves results/utdmhad_length.png

# The text table's other rows (PURLS' text, templated text, G2L, L2G) on the faithful
# infogcn, paired by seed with utdmhad_encoders' plain and CrossGLG rows.
utdmhad-infogcn-sources: utdmhad-encoders data/text/purls-utdmhad.json
	$(PYTHON) -m crossglg sweep experiments/sweeps/utdmhad_infogcn_sources.yaml
	$(PYTHON) experiments/paired.py results/sweeps/utdmhad_encoders results/sweeps/utdmhad_infogcn_sources --out results/utdmhad_infogcn_sources.md

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

# Plain against CrossGLG on the generated `composed` set, where the text is informative
# by construction (novel classes are new combinations of seen part motions); resumable.
composed:
	$(PYTHON) -m crossglg sweep experiments/sweeps/composed.yaml
	$(PYTHON) experiments/paired.py results/sweeps/composed --out results/composed.md
