"""
Defaults of the environment variables that the training configs read with `std.extVar`.

AllenNLP hands every environment variable to jsonnet as an external variable, but jsonnet has no
way to give an undefined one a default. The plugin therefore sets these defaults (without
overriding what the user exported) when it is imported, which `--include-package
allennlp_robust_xlt` and `.allennlp_plugins` both do before the config is read.

| variable | default | meaning |
|---|---|---|
| `XLT_TRANSFORMER` | `xlm-roberta-base` | model name or local model directory |
| `XLT_TRANSFORMER_DIM` | from `config.json` or the encoder table | hidden size (a name the table lacks) |
| `XLT_ENCODER` | from `config.json` or the model name | the encoder table's row or architecture |
| `XLT_DATA_DIR` | `data/xtreme` | directory in XTREME's layout (`xnli/`, `pawsx/`) |
| `XLT_NEIGHBORS` | the reference repository's counter-fitted table | RS-DA neighbour table |
| `XLT_SOURCE_LANGUAGES` | `en` | multi-source configs: the training languages, a comma list |
| `XLT_INTERMEDIATE_ARCHIVE` | `` (none) | a `model.tar.gz` of an intermediate task to start from |
| `XLT_INTERMEDIATE_TASK` | `xnli` | joint intermediate-task configs: the task trained with the target task |
| `XLT_PARALLEL_DATA` | `` (none) | parallel-data configs: a directory of parallel sentences |
| `XLT_UNLABELED_DATA` | `` (none) | label-free objectives: a directory of unlabelled `{lang}.tsv` files |
| `XLT_UNLABELED_LANGUAGES` | `` (every file) | their languages, a comma list |
| `XLT_MOVING_AVERAGE` | `` (none) | the decay of AllenNLP's exponential moving average of the weights |
| `XLT_TASK` | `xnli` | the task of the tuning configs (`training_configs/tuning/`) |
| `XLT_TUNE_CALLBACK` | `{}` | fixed parameters of the tuned method's callback (JSON object) |
| `XLT_TUNE_OVERRIDES` | `{}` | overrides of the tuning configs (JSON object, dotted keys) |

`XLT_TRANSFORMER_DIM` and `XLT_ENCODER` for a local model directory (`XLT_TRANSFORMER` naming
one) are read from its `config.json` when the plugin is imported, unless exported
(`allennlp_robust_xlt/encoders.py`, `local_model_environment`): the hidden size it states, and
its row of the encoder table (`allennlp_robust_xlt/encoders.libsonnet`: by the hub name the
config records or the directory's name) or else its architecture (`model_type`). For a model
name, the configs look both up in the encoder table; `XLT_TRANSFORMER_DIM` is needed only for a
model name the table lacks.

`XLT_INTERMEDIATE_ARCHIVE` serves intermediate-task training (XTREME-R trains XCOPA after SIQA):
when it names an archive, the configs of a task with an `intermediate_task` in the task table
(and any config that wraps its model in `xtreme.intermediate(...)`) load the modules their task
family names (for multiple choice: the encoder and the head) from that archive through
AllenNLP's `_pretrained`, trainable; empty, they start from the pretrained `XLT_TRANSFORMER`.
See `training_configs/xtreme.libsonnet` and `allennlp_robust_xlt/nn/intermediate_archive.py`.
The sequential configs (`*_intermediate_sequential_*`) need it: they start the target task from
that archive's encoder (the intermediate task is the archive's).

`XLT_INTERMEDIATE_TASK` serves joint intermediate-task training (`*_intermediate_joint_*`):
the key of the task (in the task table, `allennlp_robust_xlt/tasks.libsonnet`) trained together
with the target task, one head each on a shared encoder. The default, `xnli`, is English MNLI
(XNLI's `train-en.tsv`), the intermediate task of Phang et al. (2020).

`XLT_PARALLEL_DATA` serves fine-tuning with parallel data (`*_parallel_*`): a directory of
parallel sentences with English on one side, in the layouts of
`allennlp_robust_xlt/data/parallel_files.py` (Moses-style line-aligned files, TSV pairs, XNLI's
15-way file, XTREME's five-column translate-train files); the configs stop with one line when
it is empty.
"""

import os
from typing import Dict

REFERENCE_NEIGHBORS_URL = (
    "https://raw.githubusercontent.com/uclanlp/Robust-XLT/main/counterfitted_neighbors.json"
)

CONFIG_ENV_DEFAULTS: Dict[str, str] = {
    "XLT_TRANSFORMER": "xlm-roberta-base",
    "XLT_TRANSFORMER_DIM": "",
    "XLT_ENCODER": "",
    "XLT_DATA_DIR": "data/xtreme",
    "XLT_NEIGHBORS": REFERENCE_NEIGHBORS_URL,
    "XLT_SOURCE_LANGUAGES": "en",
    "XLT_INTERMEDIATE_ARCHIVE": "",
    "XLT_INTERMEDIATE_TASK": "xnli",
    "XLT_PARALLEL_DATA": "",
    "XLT_UNLABELED_DATA": "",
    "XLT_UNLABELED_LANGUAGES": "",
    "XLT_MOVING_AVERAGE": "",
    "XLT_TASK": "xnli",
    "XLT_TUNE_CALLBACK": "{}",
    "XLT_TUNE_OVERRIDES": "{}",
}


def apply_config_env_defaults() -> None:
    from allennlp_robust_xlt.encoders import local_model_environment

    transformer = os.environ.get("XLT_TRANSFORMER") or CONFIG_ENV_DEFAULTS["XLT_TRANSFORMER"]
    for name, value in local_model_environment(transformer).items():
        if not os.environ.get(name):
            os.environ[name] = value
    for name, value in CONFIG_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
