"""threedraw backend: LLM drawing, rendering, scoring and the CKE learning loop.

Never imports bpy: Blender work runs in a child process (threedraw.blender).
"""

__version__ = "0.1.0"
