#!/usr/bin/env bash
# Reproduces the training results in README.md on tinyshakespeare (character level, 90/10 split):
# nanoGPT's baby GPT at the same size (also the student trained from scratch), a larger teacher, a distilled
# student, their evaluations, and the embedded default model. Writes models/ and prints every result line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
data=data/tinyshakespeare.txt
mkdir -p models
step() { echo "== $*" >&2; "$@"; }

# nanoGPT's CPU baby GPT: 4 layers, 4 heads, 128 wide, context 64, batch 12, 2000 steps, lr 1e-3 -> 1e-4.
step ./pocket train --data $data --out models/babygpt.gguf --dim 128 --layers 4 --heads 4 \
  --context 64 --batch 12 --steps 2000 --lr 1e-3 --min-lr 1e-4 --warmup 100

# The teacher: 6 layers x 192 wide, context 128 (the largest that trains in about ten minutes on 2 cores).
step ./pocket train --data $data --out models/teacher.gguf --dim 192 --layers 6 --heads 6 \
  --context 128 --batch 16 --steps 900 --lr 1e-3 --min-lr 1e-4 --warmup 50

# The student (baby GPT shape, 30% of the teacher's parameters) distilled for the same 2000 steps.
step ./pocket distill --teacher models/teacher.gguf --data $data --out models/student-distilled.gguf \
  --dim 128 --layers 4 --heads 4 --context 64 --batch 12 --steps 2000 --lr 1e-3 --min-lr 1e-4 --warmup 100 \
  --alpha 0.5 --temperature 2

for m in babygpt student-distilled; do
  step ./pocket eval -m models/$m.gguf --data $data --context 64 --reference models/teacher.gguf
done
step ./pocket eval -m models/teacher.gguf --data $data --context 64

# The embedded default: the teacher at Q8_0.
step ./pocket quantize models/teacher.gguf models/shakespeare-q8_0.gguf --type q8_0
step ./pocket eval -m models/shakespeare-q8_0.gguf --data $data --context 128
