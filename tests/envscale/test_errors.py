"""One error root: every error class envscale defines descends from EnvscaleError and keeps its old builtin base."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import envscale
from envscale.errors import EnvscaleError

LAYERS = ("environments", "data_contracts", "models", "tasks", "flows")


def _public_error_classes() -> list[type[BaseException]]:
    found = []
    # The layer folders install as envscale.<layer> from their own folders: walk each.
    roots = [envscale] + [importlib.import_module(f"envscale.{layer}") for layer in LAYERS]
    names = [i.name for root in roots for i in pkgutil.walk_packages(root.__path__, f"{root.__name__}.")]
    for name_ in names:
        if name_.endswith("__main__"):
            continue
        module = importlib.import_module(name_)
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseException)
                and obj.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found.append(obj)
    return found


def test_every_public_error_class_has_the_one_root() -> None:
    classes = _public_error_classes()
    assert len(classes) >= 20  # the walk found the layers, not only the kernel
    strays = [f"{c.__module__}.{c.__qualname__}" for c in classes if not issubclass(c, EnvscaleError)]
    assert strays == []


@pytest.mark.parametrize(
    ("path", "builtin"),
    [
        ("envscale.config:ConfigError", ValueError),
        ("envscale.warehouse:WarehouseError", RuntimeError),
        ("envscale.llm.client:EndpointDead", RuntimeError),
        ("envscale.tasks.evaluate:NoModel", LookupError),
        ("envscale.environments.programs.checker:ProgramError", ValueError),
    ],
)
def test_callers_catching_the_old_builtin_still_catch_it(path: str, builtin: type) -> None:
    module, name = path.split(":")
    assert issubclass(getattr(importlib.import_module(module), name), builtin)
