#!/usr/bin/env bash
# The learning experiment (and the training-throughput bench) on a lent GPU machine.
#
# That machine has torch/transformers/accelerate/peft but no Prefect, MLflow, DuckDB or TRL,
# cannot reach a package index, and each call carries at most 64 MiB. So:
#
#   here:   bash bench/device_learning.sh prep [BUDGET]   # bundle + cp312 wheels + GGUF halves under .device/
#   there, the throughput bench (#7) in one call (random-init models: no GGUF needed):
#     carry [.device/whl]  bash bench/device_learning.sh install && bash bench/device_learning.sh throughput
#   there, the learning experiment (#8) in three calls back to back (warm ~30 s between them):
#     1. carry [.device/whl, .device/bundle]  bash bench/device_learning.sh install
#     2. carry [.device/gguf-a]               bash bench/device_learning.sh stash a
#     3. carry [.device/gguf-b]               bash bench/device_learning.sh stash b && bash bench/device_learning.sh run small
#
# `run` joins the GGUF halves (checked against the sha256 from prep), trains stage 1 and 2 from the
# bundle, runs the RL stage (GRPO from stage 1+2 on the bundle's training-split tasks; RL_STEPS=N
# overrides the budget's steps, RL_STEPS=0 skips it), evaluates base / stage 1 / stage 1+2 / + RL on
# the bundle's held-out tasks, and writes the results file under $OUT. `throughput` writes throughput.txt/.json there (STEPS, SETTINGS and extra flags adjust it).
# Everything lands under /root/envscale-device (not in the working tree, which each call replaces).
# Rehearse the device half on CPU with `bash bench/device_learning.sh rehearse`: a venv holding only
# what the GPU image has (Python 3.11 here, where torch's CPU wheel lies on disk; the image's is 3.12),
# then prep + install + run with the tiny budget.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
DEV=.device
STATE=${STATE:-/root/envscale-device}
PY=${PY:-python3}
# What the GPU image lacks (or has too old), at the versions envscale is tested with here.
WHEELS=(transformers trl datasets dill multiprocess gguf duckdb sqlglot faker jsonschema
  jsonschema-specifications referencing rpds-py orjson pydantic pydantic-core pydantic-settings python-dotenv
  typing-inspection annotated-types fastapi starlette uvicorn openai jiter sniffio distro
  opentelemetry-api pydantic-extra-types httpx2 httpcore2 truststore liger-kernel)

pin() { # NAME -> NAME==VERSION from this checkout's venv (latest when absent here)
  local v
  v=$(.venv/bin/python -c "import importlib.metadata as m,sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass" "$1")
  if [ -n "$v" ]; then echo "$1==$v"; else echo "$1"; fi
}

prep() {
  local budget=${1:-small}
  rm -rf "$DEV/whl" "$DEV/bundle" "$DEV/gguf-a" "$DEV/gguf-b"
  mkdir -p "$DEV/whl" "$DEV/gguf-a" "$DEV/gguf-b"
  .venv/bin/python bench/learning_experiment.py --budget "$budget" --phase data --bundle "$DEV/bundle" \
    --home "$REPO/.envscale/device-$budget"
  local specs=()
  for name in "${WHEELS[@]}"; do specs+=("$(pin "$name")"); done
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version "${PYVER:-3.12}" --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d "$DEV/whl" "${specs[@]}"
  .venv/bin/python -m pip wheel -q --no-deps --no-build-isolation -w "$DEV/whl" .
  local gguf
  gguf=$(.venv/bin/python -c "from envscale.models.base_model import smollm2_gguf; print(smollm2_gguf())")
  (cd "$DEV" && split -b 50000000 "$gguf" gguf-part- && mv gguf-part-aa gguf-a/ && mv gguf-part-ab gguf-b/)
  sha256sum "$gguf" | cut -d' ' -f1 >"$DEV/bundle/gguf.sha256"
  du -sh "$DEV"/* | sed 's/^/prep: /'
}

install() {
  mkdir -p "$STATE"
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$STATE/site" \
    "$DEV"/whl/*.whl
  if [ -d "$DEV/bundle" ]; then rm -rf "$STATE/bundle" && cp -r "$DEV/bundle" "$STATE/bundle"; fi
  # From /tmp: in the repo root, its envscale/ folder would shadow the installed package.
  (cd /tmp && PYTHONPATH=$STATE/site $PY -c "import duckdb, trl, datasets, envscale.models.training, envscale.models.rl_stage, envscale.models.rl, envscale.environments.evaluation.run; print('install: ok')")
}

stash() { cp "$DEV/gguf-$1"/gguf-part-* "$STATE/"; ls -la "$STATE"; }

gpu_or_cpu() {
  if $PY -c "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader >&2 || true
    echo cuda
  else
    echo cpu
  fi
}

throughput() { # #7: envscale's settings and the candidates for >= 2x (Liger's fused kernels, a doubled batch)
  export PYTHONPATH=$STATE/site PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
  local out=${OUT:-$STATE/out} device
  mkdir -p "$out"
  device=$(gpu_or_cpu)
  $PY bench/train_throughput.py --device "$device" --steps "${STEPS:-15}" --json "$out/throughput.json" \
    --settings "${SETTINGS:-trl-defaults,envscale,envscale-2x,envscale-liger,envscale-liger-2x}" "$@" 2>&1 |
    grep -v "it/s\]" | tee "$out/throughput.txt"
}

run() { # #8: train stage 1 and 2 from the bundle, then GRPO (#16: RL_STEPS, 0 = none); evaluate base / stage 1 / stage 1+2 / + RL
  local budget=${1:-small}
  export PYTHONPATH=$STATE/site PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
  local out=${OUT:-$STATE/out} base=tiny device
  mkdir -p "$out"
  if [ "$budget" != tiny ]; then
    cat "$STATE"/gguf-part-* >"$STATE/SmolLM2-135M-Instruct.Q4_1.gguf"
    echo "$(cat "$STATE/bundle/gguf.sha256")  $STATE/SmolLM2-135M-Instruct.Q4_1.gguf" | sha256sum -c -
    base=$STATE/SmolLM2-135M-Instruct.Q4_1.gguf
  fi
  device=$(gpu_or_cpu)
  $PY bench/learning_experiment.py --budget "$budget" --phase device --bundle "$STATE/bundle" \
    --device "$device" --base-model "$base" --home "$STATE/home-$budget" --out "$out" \
    ${RL_STEPS:+--rl-steps "$RL_STEPS"} 2>&1 |
    grep -v "it/s\]" | tee "$out/learning.log"
}

rehearse() { # the device half on this CPU, in a Python 3.12 venv shaped like the GPU image
  local venv=/tmp/envscale-gpu-image
  if [ ! -x $venv/bin/python ]; then
    /usr/bin/python3.11 -m venv $venv
    $venv/bin/pip install -q torch==2.13.0
    $venv/bin/pip install -q "transformers==5.17.0" accelerate peft numpy pandas pyarrow aiohttp httpx jinja2 \
      pyyaml rich tqdm safetensors "tokenizers==0.23.2" "huggingface_hub==1.33.0" psutil regex requests \
      packaging filelock fsspec xxhash typer networkx
  fi
  PYVER=3.11 prep tiny
  STATE=/tmp/envscale-device-rehearsal PY=$venv/bin/python install
  STATE=/tmp/envscale-device-rehearsal PY=$venv/bin/python run tiny
}

"$@"
