VENV ?= .venv
# An active virtual environment is used as it is; otherwise `make install` creates .venv
# (a stock Debian/Ubuntu Python refuses system-wide installs, PEP 668) and every target uses it.
PYTHON ?= $(if $(VIRTUAL_ENV),python,$(VENV)/bin/python)
SWEEP = $(PYTHON) -m crossglg sweep

.PHONY: install test lint demo demo-record bench-data bench reproduce reproduce-smoke tables tables-check \
	utdmhad-encoders utdmhad-text utdmhad-text-sources utdmhad-infogcn-sources utdmhad-val utdmhad-val-length \
	utdmhad-val-data-order utdmhad-length ablation-utdmhad composed rehearsal reproduce-plan utdmhad-val-strongest utdmhad-strongest \
	pretrained sessions utdmhad-val-streams utdmhad-strongest-streams utdmhad-strongest-streams4

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

# prepare, the stand-in's direct cache (full NTU-120 size), the training loader and the time to the
# first batch, on this CPU (about 7 minutes on 2 cores; 6 GB of scratch space). BENCH_DATA_ARGS=--record
# also writes results/bench_data/<date>.json; see the script's docstring for the sizes.
bench-data:
	$(PYTHON) experiments/bench_data.py $(BENCH_DATA_ARGS)

bench:
	$(PYTHON) experiments/bench.py --record
	$(PYTHON) experiments/bench_recognize.py
	$(PYTHON) experiments/bench_video.py

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

# The strongest text-free model: chosen on the validation split (encoder, objective), then
# the chosen setting, plain against CrossGLG, on the test protocol (10 seeds paired).
utdmhad-val-strongest:
	$(SWEEP) experiments/sweeps/utdmhad_val_strongest.yaml

utdmhad-strongest:
	$(SWEEP) experiments/sweeps/utdmhad_strongest.yaml
	$(PYTHON) -m crossglg tables

# utdmhad-strongest on bones too, then each seed's joint + bone set, for plain and for CrossGLG.
utdmhad-strongest-streams:
	$(SWEEP) experiments/sweeps/utdmhad_strongest.yaml
	$(SWEEP) experiments/sweeps/utdmhad_strongest_bone.yaml
	$(PYTHON) experiments/fuse_streams.py joint=utdmhad_strongest bone=utdmhad_strongest_bone --name utdmhad_strongest_streams
	$(PYTHON) -m crossglg tables

# The set of all four streams, which the validation split chose (utdmhad-val-streams):
# utdmhad-strongest on joint motion and bone motion too, then each seed's set of the four.
utdmhad-strongest-streams4: utdmhad-strongest-streams
	$(SWEEP) experiments/sweeps/utdmhad_strongest_motion.yaml
	$(SWEEP) experiments/sweeps/utdmhad_strongest_bone_motion.yaml
	$(PYTHON) experiments/fuse_streams.py joint=utdmhad_strongest bone=utdmhad_strongest_bone \
		motion=utdmhad_strongest_motion bone_motion=utdmhad_strongest_bone_motion --name utdmhad_strongest_streams4
	$(PYTHON) -m crossglg tables

# The input stream on the validation split: joint, bone, motion and bone-motion runs, then each
# seed's joint + bone set and its set of all four streams.
utdmhad-val-streams:
	$(SWEEP) experiments/sweeps/utdmhad_val_streams.yaml
	$(PYTHON) experiments/fuse_streams.py utdmhad_val_streams
	$(PYTHON) experiments/fuse_streams.py utdmhad_val_streams --streams joint bone motion bone_motion
	$(PYTHON) -m crossglg tables

utdmhad-length:
	$(SWEEP) experiments/sweeps/utdmhad_length.yaml

ablation-utdmhad:
	$(SWEEP) experiments/sweeps/utdmhad_ablation.yaml

# Plain against CrossGLG on the generated `composed` set (text informative by construction).
composed:
	$(SWEEP) experiments/sweeps/composed.yaml

DATA ?= data
SWEEPS ?= ntu120_oneshot ntu60_oneshot pkummd2_oneshot ntu120_distill

# Runs at once: PARALLEL per GPU over GPUS GPUs (GPUS=0: PARALLEL CPU runs, cores shared).
GPUS ?= 0
PARALLEL ?= 1
# More options of the plan, e.g. PLAN_ARGS=--no-calibrate (count steps, time none), --calibrate-steps 2.
PLAN_ARGS ?=
SWEEP_SLOTS = --gpus $(GPUS) --parallel $(PARALLEL)

# The paper's tables: the plan and its cost measured on this machine first (every run, the
# finished ones, device-hours and wall time), every sweep, then ours beside the paper's
# (printed, and results/benchmarks.csv). `make reproduce DRY_RUN=1` (= `make reproduce-plan`)
# prints the plan only.
reproduce: reproduce-plan
ifeq ($(DRY_RUN),)
	for s in $(SWEEPS); do $(SWEEP) $(SWEEP_SLOTS) experiments/sweeps/$$s.yaml -- --data.data_dir=$(DATA) || exit 1; done
	$(PYTHON) -m crossglg tables --benchmarks --csv results/benchmarks.csv
endif

reproduce-plan:
	$(SWEEP) --dry-run $(SWEEP_SLOTS) $(PLAN_ARGS) $(foreach s,$(SWEEPS),experiments/sweeps/$(s).yaml) -- --data.data_dir=$(DATA)

# The same path on the built-in data, into OUT (default runs/smoke): minutes, not days.
reproduce-smoke:
	$(SWEEP) --out $(or $(OUT),runs/smoke)/sweeps --records $(or $(OUT),runs/smoke)/records experiments/sweeps/smoke.yaml -- --data.data_dir=$(DATA)
	$(PYTHON) -m crossglg tables --records $(or $(OUT),runs/smoke)/records --benchmarks --csv $(or $(OUT),runs/smoke)/benchmarks.csv

# The NTU-120 path of `reproduce` end to end on a small generated stand-in of NTU RGB+D 120
# (crossglg/data/ntu_standin.py), on the CPU in minutes, into REHEARSAL (default runs/rehearsal):
# the stand-in's .skeleton files, `prepare ntu120`, a tiny grid at 20 and 100 auxiliary classes
# (experiments/sweeps/ntu120_rehearsal.yaml), the tables. Accuracy on the stand-in means nothing.
REHEARSAL ?= runs/rehearsal
REHEARSAL_PER_CLASS ?= 4
NTU120_MISSING ?= $(or $(CROSSGLG_SHARED_DATA),../shared/data)/ntu/NTU_RGBD120_samples_with_missing_skeletons.txt
REHEARSAL_MISSING = $(if $(wildcard $(NTU120_MISSING)),$(NTU120_MISSING),none)

rehearsal:
	$(PYTHON) -m crossglg generate ntu120-standin --per-class $(REHEARSAL_PER_CLASS) --workers 2 --missing-list $(REHEARSAL_MISSING) --out $(REHEARSAL)/raw
	$(PYTHON) -m crossglg prepare ntu120 --raw-dir $(REHEARSAL)/raw --out $(REHEARSAL)/data/ntu120/cache --missing-list $(REHEARSAL_MISSING)
	$(SWEEP) --out $(REHEARSAL)/sweeps --records $(REHEARSAL)/records experiments/sweeps/ntu120_rehearsal.yaml -- --data.data_dir=$(REHEARSAL)/data
	$(PYTHON) -m crossglg tables --records $(REHEARSAL)/records --benchmarks --csv $(REHEARSAL)/benchmarks.csv

# The recogniser shipped in the package (crossglg/pretrained/utdmhad/ and its card utdmhad.json):
# the configuration the validation split chose (configs/utdmhad.yaml: CTR-GCN, CrossGLG) trained
# at seed 0 on joints and on bones, UTD-MHAD's 18 auxiliary classes only, shipped as one joint +
# bone stream set with each file's SHA-256 and the set's one-shot result. The same runs as seed 0
# of utdmhad_strongest and utdmhad_strongest_bone (their wall time is in the card).
pretrained:
	rm -rf runs/pretrained
	$(PYTHON) -m crossglg fit --config configs/utdmhad.yaml --config configs/methods/crossglg.yaml \
		--seed_everything 0 --trainer.default_root_dir runs/pretrained/joint
	$(PYTHON) -m crossglg fit --config configs/utdmhad.yaml --config configs/methods/crossglg.yaml \
		--data.transform.stream bone --seed_everything 0 --trainer.default_root_dir runs/pretrained/bone
	$(PYTHON) -m crossglg pretrained --export joint=runs/pretrained/joint bone=runs/pretrained/bone

# The walkthroughs in README.md and docs/recordings.md run and recorded (results/sessions/), then put in place.
sessions:
	$(PYTHON) experiments/sessions.py
	$(PYTHON) -m crossglg tables
