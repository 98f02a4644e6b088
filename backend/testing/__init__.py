"""Test and benchmark doubles for what lies outside the project (a remote LLM API). Not a product part."""
