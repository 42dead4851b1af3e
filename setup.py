"""Maps the design card's top-level layer folders onto one import name.

`environments/`, `tasks/`, `flows/`, `models/` and `data_contracts/` live at the
repository root (as the design card lays them out) and install as
`envscale.environments`, `envscale.tasks`, ... so the distribution claims only
the `envscale` import name. Subpackages are discovered, so nothing here needs
editing when a layer grows.
"""

from setuptools import find_packages, setup

LAYERS = ("environments", "tasks", "flows", "models", "data_contracts")

packages = ["envscale", *(f"envscale.{p}" for p in find_packages("envscale"))]
package_dir = {"envscale": "envscale"}
for layer in LAYERS:
    packages.append(f"envscale.{layer}")
    package_dir[f"envscale.{layer}"] = layer
    packages.extend(f"envscale.{layer}.{p}" for p in find_packages(layer))

setup(
    packages=packages,
    package_dir=package_dir,
    package_data={"": ["*.json", "*.jsonl", "*.yaml", "*.yml", "*.jinja", "*.sql", "*.md", "*.css"]},
    include_package_data=True,
)
