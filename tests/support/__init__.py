"""Test tooling shared by tests and benchmarks; not part of the installed package.

`standin` (a real local OpenAI-compatible server scripted by a responder), `oracle`
(a responder that plays gold answers), `shop_env` (a small shop environment built in
a test), `reliability/` (fault and hostile-input generators, crash harness).
"""
