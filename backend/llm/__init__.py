"""LLM providers behind one small interface: chat messages in, text out.

    from threedraw.llm import ChatRequest, Message, make_provider
    provider = make_provider("openai-compatible", base_url="https://api.deepseek.com/v1", model="deepseek-chat")
    completion = await provider.complete(ChatRequest((Message("user", "hi"),), temperature=0.3))

Providers: ``openai-compatible`` (openai_compat.py, any chat-completions API) and
``local`` (local.py, llama-cpp-python on a GGUF). Both are imported only when made.
"""

from .base import ChatRequest, Completion, Message, Provider, ProviderError, Usage
from .factory import KIND_DEFAULTS, KINDS, ProviderConfig, make_provider, provider_from_config

__all__ = [
    "ChatRequest",
    "Completion",
    "Message",
    "Provider",
    "ProviderError",
    "Usage",
    "KINDS",
    "KIND_DEFAULTS",
    "ProviderConfig",
    "make_provider",
    "provider_from_config",
]
