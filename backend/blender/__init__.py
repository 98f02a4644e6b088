"""Blender in a child process: the backend's client (client) and the worker it runs (worker, imports bpy)."""
