from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from envscale.config import EmbeddingSettings
from envscale.environments.graph.embedding import (
    EmbeddingCache,
    EmbeddingError,
    SentenceTransformerBackend,
    ToolEmbedder,
    make_embedder,
    tool_text,
)


class EmbeddingsStandIn:
    """TEST STAND-IN for an OpenAI-compatible /v1/embeddings endpoint on 127.0.0.1.

    Vectors are a deterministic function of the text (sha256 bytes), not unit length,
    and returned out of order, as some servers do, to check the client sorts by index.
    """

    def __init__(self, *, fail_after: int | None = None) -> None:
        self.inputs: list[str] = []
        self.fail_after = fail_after  # requests answered before every later one gets HTTP 500
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if stand_in.fail_after is not None and len(stand_in.inputs) >= stand_in.fail_after:
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                stand_in.inputs.extend(texts)
                data = [
                    {
                        "object": "embedding",
                        "index": i,
                        "embedding": [b - 100.0 for b in hashlib.sha256(t.encode()).digest()[:16]],
                    }
                    for i, t in enumerate(texts)
                ]
                payload = json.dumps(
                    {
                        "object": "list",
                        "data": data[::-1],
                        "model": body["model"],
                        "usage": {"prompt_tokens": 1, "total_tokens": 1},
                    }
                ).encode()
                self.send_response(200 if self.path == "/v1/embeddings" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> EmbeddingsStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_tool_text_uses_parameter_list_and_falls_back_to_name(tool_factory):
    order = tool_factory(
        "getOrderStatus", {"order_id": "string", "verbose": "boolean"}, required=["order_id"]
    )
    text = tool_text(order)
    assert text.splitlines() == ["order id (string, required): order id", "verbose (boolean): verbose"]
    assert "get order status" in tool_text(order, "full")
    bare = tool_factory("list_all_countries", description="Lists every country.")
    assert tool_text(bare) == "list all countries: Lists every country."
    with pytest.raises(ValueError):
        tool_text(order, "nonsense")  # type: ignore[arg-type]


def test_openai_backend_through_local_endpoint_embeds_only_new_tools(tmp_path, tool_factory):
    tools = [tool_factory(f"tool_{i}", {f"param_{i}": "string"}) for i in range(5)]
    with EmbeddingsStandIn() as server:
        settings = EmbeddingSettings(
            backend="openai", base_url=server.base_url, model="stand-in", batch_size=2
        )
        first = make_embedder(settings, tmp_path / "emb")
        v1 = first.embed_tools(tools[:3])
        assert (first.stats.hits, first.stats.misses) == (0, 3)
        assert len(server.inputs) == 3
        np.testing.assert_allclose(np.linalg.norm(v1, axis=1), 1.0, rtol=1e-5)
        # Out-of-order data was put back in input order: row i is text i's vector.
        text = tool_text(tools[1], first.text_mode)
        expected = np.array([b - 100.0 for b in hashlib.sha256(text.encode()).digest()[:16]])
        np.testing.assert_allclose(v1[1], expected / np.linalg.norm(expected), rtol=1e-5)

        # A new process (fresh embedder, same cache dir) sends only the two new tools.
        second = make_embedder(settings, tmp_path / "emb")
        v2 = second.embed_tools(tools)
        assert (second.stats.hits, second.stats.misses) == (3, 2)
        assert server.inputs[3:] == [tool_text(t, second.text_mode) for t in tools[3:]]
        np.testing.assert_array_equal(v2[:3], v1)

        # Another model is another vector space: nothing is reused.
        other = make_embedder(settings.model_copy(update={"model": "other"}), tmp_path / "emb")
        other.embed_tools(tools[:1])
        assert other.stats.misses == 1


def test_cold_embedding_is_cached_chunk_by_chunk_so_a_failure_loses_one_chunk_at_most(tmp_path, tool_factory):
    tools = [tool_factory(f"tool_{i}", {f"param_{i}": "string"}) for i in range(7)]
    with EmbeddingsStandIn(fail_after=4) as server:  # dies after two 2-text chunks
        settings = EmbeddingSettings(backend="openai", base_url=server.base_url, model="s", batch_size=2)
        embedder = make_embedder(settings, tmp_path)
        embedder.chunk = 2
        seen: list[tuple[int, int]] = []
        embedder.progress = lambda done, total: seen.append((done, total))
        with pytest.raises(Exception, match="500"):
            embedder.embed_tools(tools)
        assert seen == [(2, 7), (4, 7)]
        server.fail_after = None  # the endpoint is back; a new process resumes from the cache
        again = make_embedder(settings, tmp_path)
        vectors = again.embed_tools(tools)
        assert (again.stats.hits, again.stats.misses) == (4, 3) and len(server.inputs) == 7
    assert vectors.shape[0] == 7


def test_duplicate_texts_are_embedded_once(tmp_path, tool_factory):
    with EmbeddingsStandIn() as server:
        settings = EmbeddingSettings(backend="openai", base_url=server.base_url, text="parameters")
        embedder = make_embedder(settings, tmp_path)
        a = tool_factory("a", {"city": "string"})
        b = tool_factory("b", {"city": "string"})  # same parameter list, different tool
        vectors = embedder.embed_tools([a, b, a])
        assert len(server.inputs) == 1
        np.testing.assert_array_equal(vectors[0], vectors[1])


def test_cache_compacts_shards_and_keeps_every_vector(tmp_path):
    cache = EmbeddingCache(tmp_path, "m", max_shards=2)
    for i in range(5):
        cache.put([f"k{i}"], np.full((1, 3), i, dtype=np.float32))
    assert len(list(cache.dir.glob("*.npz"))) <= 3
    reread = EmbeddingCache(tmp_path, "m")
    got = reread.get([f"k{i}" for i in range(5)] + ["missing"])
    assert sorted(got) == [f"k{i}" for i in range(5)]
    assert got["k4"].tolist() == [4.0, 4.0, 4.0]


def test_openai_backend_needs_a_url_and_unknown_models_are_refused(tmp_path):
    with pytest.raises(EmbeddingError, match="base_url"):
        make_embedder(EmbeddingSettings(backend="openai"), tmp_path)
    with pytest.raises(EmbeddingError, match="local model folder"):
        SentenceTransformerBackend("sentence-transformers/some-hub-model")


class CountingBackend:
    """Delegates to the real backend and records what reached it."""

    def __init__(self, inner: SentenceTransformerBackend) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return self.inner.encode(texts)


@pytest.mark.slow
def test_minilm_from_the_package_offline_with_cache(tmp_path, tool_factory):
    tools = [
        tool_factory("get_weather", {"city": "string", "units": "string"}),
        tool_factory("get_forecast", {"city": "string", "days": "integer"}),
        tool_factory("cancel_order", {"order_id": "string", "reason": "string"}, kind="write"),
    ]
    backend = CountingBackend(SentenceTransformerBackend(batch_size=8))
    embedder = ToolEmbedder(backend, EmbeddingCache(tmp_path, backend.model_id))
    v = embedder.embed_tools(tools)
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-4)
    # Real semantics: the two weather tools are closer to each other than to the order tool.
    assert v[0] @ v[1] > v[0] @ v[2] + 0.1
    new = tool_factory("refund_order", {"order_id": "string", "amount": "number"}, kind="write")
    again = ToolEmbedder(backend, EmbeddingCache(tmp_path, backend.model_id))
    v2 = again.embed_tools([*tools, new])
    assert backend.calls[-1] == [tool_text(new, again.text_mode)]
    np.testing.assert_allclose(v2[:3], v, atol=1e-6)
