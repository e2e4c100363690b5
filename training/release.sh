#!/usr/bin/env bash
# Reproduce the shipped model and its evaluation from the corpus (about 15 minutes on 2 CPU cores).
set -euo pipefail
cd "$(dirname "$0")/.."
N=.venv/bin/notelens
$N data validate training/data/corpus.jsonl
$N train --data training/data/corpus.jsonl --config training/config.yaml -o models/notelens-minilm
$N evaluate --model models/notelens-minilm --data training/data/corpus.jsonl --split test \
            -o models/notelens-minilm --update-card
