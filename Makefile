# The two commands of the README:
#   make book   build the HTML book into _build/html (executes notebooks through jupyter-cache)
#   make test   unit tests + pytest --nbval over every notebook + a strict book build + offline check
# Each creates .venv from requirements.lock on first use; needs only Python >= 3.11.5, pip and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/*.ipynb))
JB_STRICT := -W -n --keep-going
# Test processes: one per core is the fastest here, each with one thread (two threads per
# process on two cores made PyTorch spin-wait: more CPU time, not less wall time).
PYTEST_WORKERS ?= 2

.PHONY: all book test unit nbval nbval-compatible book-check offline-check notebooks audit mutants reproduce pdf colab-check clean clean-venv

all: book

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[book,test]"
	touch $@

venv: $(STAMP)

book: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/jupyter-book build . $(JB_STRICT)

test: unit nbval nbval-compatible book-check offline-check

unit: $(STAMP)
	$(BIN)/python -m pytest tests -q -n $(PYTEST_WORKERS) --ignore=tests/book

# A trained claim must have been audited (GANTEXT_REQUIRE_AUDIT); the second run rounds matrix
# products as another processor would (MKL_CBWR=COMPATIBLE) and must print the same compared outputs.
NBVAL := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 GANTEXT_REQUIRE_AUDIT=1 $(BIN)/python -m pytest --nbval \
	$(NOTEBOOKS) -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile \
	--nbval-sanitize-with .ci/nbval-sanitize.cfg

nbval: $(STAMP)
	$(NBVAL)

nbval-compatible: $(STAMP)
	MKL_CBWR=COMPATIBLE $(NBVAL)

# nbval has just executed every cell, so the strict build renders the stored outputs (execution
# off) and checks structure, cross-references, citations and warnings.
book-check: $(STAMP)
	$(BIN)/python .ci/noexec-config.py > _build_noexec_config.yml
	$(BIN)/jupyter-book build . $(JB_STRICT) --config _build_noexec_config.yml; status=$$?; \
		rm -f _build_noexec_config.yml; exit $$status

# Opens the built chapter in headless Chromium with the network off: math typeset, figures shown.
offline-check: $(STAMP)
	$(BIN)/python -m pytest tests/book -q -rs

notebooks: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python .ci/execute-notebooks.py $(NOTEBOOKS)

# Outside `make test`. The audit reruns every chapter over 10 seeds x 2 numerics settings and
# rewrites gantext/audit_record.json (about an hour on 2 cores); mutants plants wrong formulas.
audit: $(STAMP)
	$(BIN)/python tools/audit.py

mutants: $(STAMP)
	$(BIN)/python tools/mutants.py --resume

# Outside `make test`. The published mode-collapse tables rerun on their own protocols (VEEGAN's
# Table 1: GAN, unrolled, WGAN-GP; PacGAN's Table 1: packing 1-4), 5 seeds each, written with
# provenance to gantext/results/reproduce.json. Hours on a CPU; PacGAN's 400,000 steps want a GPU.
reproduce: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python -m gantext.reproduce --table veegan --threads 1
	$(BIN)/python -m gantext.reproduce --table pacgan

# The whole book as one PDF, offline (_build/pdf/book.pdf): each built page printed by headless
# Chromium after MathJax, joined by pdfunite; then its test. Needs Debian's chromium, poppler-utils.
pdf: $(STAMP)
	$(BIN)/python .ci/build-pdf.py
	$(BIN)/python -m pytest tests/book/test_pdf.py -q -rs

# Outside `make test` (CI runs it from .ci/run): gantext with Google Colab's package versions
# (.ci/colab-constraints.txt) on Python 3.13: resolve, no replacement, unit tests, nbval-lax.
colab-check: $(STAMP)
	$(BIN)/python .ci/colab-check.py

clean:
	rm -rf _build .jupyter_cache

clean-venv:
	rm -rf $(VENV)
