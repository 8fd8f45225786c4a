"""Functions of the round-trip fixture tasks (loaded by lm-evaluation-harness from the YAMLs here)."""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(name):
    import datasets

    with open(HERE / name, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def load_toyqa(**_):
    return _load("toyqa.jsonl")


def load_toyfn(**_):
    return _load("toyfn.jsonl")


def doc_to_text(doc):
    return f"What is {doc['a']} + {doc['b']}?\nAnswer:"


def load_toygen(**_):
    return _load("toygen.jsonl")
