"""The one LLM client every role uses: OpenAI-compatible endpoints through the ``openai`` SDK."""

from envscale.llm.client import ChatResult, EndpointDead, EndpointRefused, LLMClient, UsageMeter

__all__ = ["ChatResult", "EndpointDead", "EndpointRefused", "LLMClient", "UsageMeter"]
