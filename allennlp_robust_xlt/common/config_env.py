"""
Defaults of the environment variables that the training configs read with `std.extVar`.

AllenNLP hands every environment variable to jsonnet as an external variable, but jsonnet has no
way to give an undefined one a default. The plugin therefore sets these defaults (without
overriding what the user exported) when it is imported, which `--include-package
allennlp_robust_xlt` and `.allennlp_plugins` both do before the config is read.

| variable | default | meaning |
|---|---|---|
| `XLT_TRANSFORMER` | `xlm-roberta-base` | model name or local model directory |
| `XLT_TRANSFORMER_DIM` | `` (from a table of known models) | hidden size, for models the table lacks |
| `XLT_DATA_DIR` | `data/xtreme` | directory in XTREME's layout (`xnli/`, `pawsx/`) |
| `XLT_NEIGHBORS` | the reference repository's counter-fitted table | RS-DA neighbour table |
| `XLT_TASK` | `xnli` | the task of the tuning configs (`training_configs/tuning/`) |
| `XLT_TUNE_CALLBACK` | `{}` | fixed parameters of the tuned method's callback (JSON object) |
| `XLT_TUNE_OVERRIDES` | `{}` | overrides of the tuning configs (JSON object, dotted keys) |
"""

import os
from typing import Dict

REFERENCE_NEIGHBORS_URL = (
    "https://raw.githubusercontent.com/uclanlp/Robust-XLT/main/counterfitted_neighbors.json"
)

CONFIG_ENV_DEFAULTS: Dict[str, str] = {
    "XLT_TRANSFORMER": "xlm-roberta-base",
    "XLT_TRANSFORMER_DIM": "",
    "XLT_DATA_DIR": "data/xtreme",
    "XLT_NEIGHBORS": REFERENCE_NEIGHBORS_URL,
    "XLT_TASK": "xnli",
    "XLT_TUNE_CALLBACK": "{}",
    "XLT_TUNE_OVERRIDES": "{}",
}


def apply_config_env_defaults() -> None:
    for name, value in CONFIG_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
