"""Endpoint faults for the stand-in server: 429 + Retry-After, 500s, timeouts, truncated JSON,
invalid tool-call arguments, empty choices, and a hang (no answer for far longer than the client waits).

``FaultInjector`` wraps a healthy responder and injects faults on a seeded schedule.
A retryable fault (429/500/timeout) never hits the same request body twice in a row, so
a client that retries as configured always gets through; the other faults are answers a
retry cannot fix, which the caller must record, not crash on.
"""

from __future__ import annotations

import hashlib
import json
import random
import threading
import time
from collections import Counter
from typing import Any

from tests.support import standin

RETRYABLE = ("rate_limit", "server_error", "timeout")
MARKED = ("truncated_json", "invalid_arguments", "empty_choices")
FAULTS = (*RETRYABLE, *MARKED, "hang")


def fault_reply(
    kind: str,
    request: dict[str, Any],
    *,
    retry_after_s: float,
    slow_s: float,
    healthy: standin.Responder = standin.echo_responder,
    hang_s: float = 2.0,
) -> standin.Reply:
    """One reply of the given fault kind (``timeout``: the healthy reply, later than the client waits)."""
    if kind == "rate_limit":
        return standin.error(429, retry_after=retry_after_s, message="rate limited (stand-in)")
    if kind == "server_error":
        return standin.error(500, message="internal error (stand-in)")
    if kind == "timeout":
        reply = healthy(request)
        reply.delay_s = slow_s
        return reply
    if kind == "truncated_json":
        return standin.truncated()
    if kind == "empty_choices":
        return standin.empty_choices()
    if kind == "invalid_arguments":
        tools = request.get("tools") or [{"function": {"name": "unknown_tool"}}]
        return standin.tool_call(tools[0]["function"]["name"], '{"customer_id": "c1", ')  # cut JSON
    if kind == "hang":
        reply = standin.text("never")
        reply.delay_s = hang_s
        return reply
    raise ValueError(f"unknown fault {kind!r}")


class FaultInjector:
    """A responder that answers with a fault with probability ``rate`` (kinds drawn from ``kinds``)."""

    def __init__(
        self,
        responder: standin.Responder,
        *,
        seed: int = 0,
        rate: float = 0.3,
        kinds: tuple[str, ...] = (*RETRYABLE, *MARKED),
        retry_after_s: float = 0.2,
        slow_s: float = 1.5,
        hang_after: int | None = None,
        hang_s: float = 2.0,
    ) -> None:
        self.responder = responder
        self.rng = random.Random(seed)
        self.rate = rate
        self.kinds = kinds
        self.retry_after_s = retry_after_s
        self.slow_s = slow_s
        self.hang_after = hang_after  # every request after this many hangs
        # A hang only has to outlast the client's patience; a bounded one lets the server stop quickly.
        self.hang_s = hang_s
        self.injected: Counter[str] = Counter()
        self.requests = 0
        self.arrivals: list[tuple[float, str]] = []  # (monotonic time, fault or 'ok')
        self._last_retryable: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, request: dict[str, Any]) -> Any:
        key = hashlib.sha1(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()
        with self._lock:
            self.requests += 1
            if self.hang_after is not None and self.requests > self.hang_after:
                kind: str | None = "hang"
            elif key in self._last_retryable:  # the retry of a retryable fault gets through
                self._last_retryable.discard(key)
                kind = None
            elif self.rng.random() < self.rate:
                kind = self.rng.choice(self.kinds)
            else:
                kind = None
            if kind in RETRYABLE:
                self._last_retryable.add(key)
            self.arrivals.append((time.monotonic(), kind or "ok"))
            if kind is not None:
                self.injected[kind] += 1
        if kind is None:
            return self.responder(request)
        return fault_reply(
            kind,
            request,
            retry_after_s=self.retry_after_s,
            slow_s=self.slow_s,
            healthy=self.responder,
            hang_s=self.hang_s,
        )
