// What every training config of allennlp-robust-xlt shares: the zero-shot protocol (fine-tune on
// English, select on English dev only) with each task's XTREME settings from the plugin's task
// table, one reader and model per task family, and the robust methods on top of any of them.
//
// Environment variables (defaults set by the plugin, see allennlp_robust_xlt/common/config_env.py):
//   XLT_TRANSFORMER      model name or local directory          (default xlm-roberta-base)
//   XLT_TRANSFORMER_DIM  hidden size, if the table below lacks it (default: from the table)
//   XLT_DATA_DIR         data in XTREME's layout                (default data/xtreme)
//   XLT_NEIGHBORS        RS-DA neighbour table, path or URL     (default: the reference's table)
// Sizes (epochs, batch size, ...) are changed with AllenNLP's own `-o/--overrides`.
//
// A config is one line: `xtreme.baseline('xnli')`, `xtreme.adversarial('udpos')`, ... A task
// family adds its reader and model in `families` below.
local transformer = std.extVar('XLT_TRANSFORMER');
local data_dir = std.extVar('XLT_DATA_DIR');
local known_dims = {
  'xlm-roberta-base': 768,
  'xlm-roberta-large': 1024,
  'bert-base-multilingual-cased': 768,
  'bert-base-multilingual-uncased': 768,
};
local dim_override = std.extVar('XLT_TRANSFORMER_DIM');
local dim =
  if dim_override != '' then std.parseInt(dim_override)
  else if std.objectHas(known_dims, transformer) then known_dims[transformer]
  else error 'unknown hidden size of ' + transformer + ': set XLT_TRANSFORMER_DIM';

// Each task's reader, family, files and training settings: the plugin's task table.
local task_table = import '../allennlp_robust_xlt/tasks.libsonnet';
local tasks = {
  [key]: task_table[key].training + {
    reader: task_table[key].reader,
    family: task_table[key].family,
    directory: task_table[key].directory,
    extension: task_table[key].extension,
  }
  for key in std.objectFields(task_table)
};
local file(task, split, language='en') =
  data_dir + '/' + tasks[task].directory + '/' + split + '-' + language + tasks[task].extension;

{
  transformer: transformer,
  dim: dim,
  data_dir: data_dir,
  neighbors: std.extVar('XLT_NEIGHBORS'),
  tasks: tasks,
  file:: file,

  // The pretrained transformer as a token embedder (for `basic_classifier`-style models).
  transformer_embedder:: {
    type: 'pretrained_transformer',
    model_name: transformer,
    // The heads pool or pick tokens themselves: without the transformer's own (unused) pooler,
    // DDP needs no `find_unused_parameters` and nothing unused is loaded.
    transformer_kwargs: { add_pooling_layer: false },
  },

  // Per task family: its reader (`reader(task)`), its model (`model(task)`) and the field its
  // batches are bucketed by (`sorting_keys`).
  families:: {
    pair_classification: {
      reader(task):: {
        type: tasks[task].reader,
        max_length: tasks[task].max_length,
        tokenizer: { type: 'pretrained_transformer', model_name: transformer, add_special_tokens: false },
        token_indexers: { tokens: { type: 'pretrained_transformer', model_name: transformer } },
      },
      model(task):: {
        type: 'xtreme_pair_classifier',
        namespace: 'tags',
        text_field_embedder: { token_embedders: { tokens: $.transformer_embedder } },
        // RobertaClassificationHead / BERT pooler: dense + tanh on the first token, then linear.
        seq2vec_encoder: { type: 'cls_pooler', embedding_dim: dim },
        feedforward: { input_dim: dim, num_layers: 1, hidden_dims: dim, activations: 'tanh' },
        dropout: 0.1,
      },
      sorting_keys: ['tokens'],
    },
  },

  reader(task):: $.families[tasks[task].family].reader(task),

  // Fine-tuning on English, model selection on English dev only (zero-shot protocol), with the
  // reference's optimisation (AdamW, eps 1e-8, no weight decay, no warm-up, linear decay,
  // gradient-norm clipping at 1.0) and the task's learning rate, epochs, batch and length.
  baseline(task):: {
    local family = $.families[tasks[task].family],
    dataset_reader: $.reader(task),
    train_data_path: file(task, 'train'),
    validation_data_path: file(task, 'dev'),
    model: family.model(task),
    data_loader: {
      batch_sampler: { type: 'bucket', batch_size: tasks[task].batch_size, sorting_keys: family.sorting_keys },
    },
    validation_data_loader: {
      batch_sampler: { type: 'bucket', batch_size: 64, sorting_keys: family.sorting_keys },
    },
    random_seed: 7,
    numpy_seed: 7,
    pytorch_seed: 7,
    trainer: {
      num_epochs: tasks[task].epochs,
      num_gradient_accumulation_steps: tasks[task].accumulation,
      validation_metric: tasks[task].validation_metric,
      grad_norm: 1.0,
      optimizer: { type: 'huggingface_adamw', lr: tasks[task].learning_rate, eps: 1e-8, weight_decay: 0.0, correct_bias: true },
      learning_rate_scheduler: { type: 'linear_with_warmup', warmup_steps: 0 },
      checkpointer: { keep_most_recent_by_count: 1 },
      // `tensorboard`: AllenNLP's TensorBoard logger (event files under <run>/log/train and
      // <run>/log/validation; `tensorboard --logdir runs`): every epoch's training and
      // validation metrics, and every 100 batches the batch metrics, including the robust
      // methods' adversarial_loss, clean_loss and perturbation_norm.
      // `rng_state` saves the global random generators in the checkpoints, so that `allennlp
      // train --recover` ends like an uninterrupted run
      // (allennlp_robust_xlt/training/callbacks/rng_state.py); it stays last. The methods below
      // put their own callback first (`trainer.callbacks.0`).
      callbacks: [{ type: 'tensorboard' }, { type: 'rng_state' }],
    },
  },
  // RS-DA, randomized smoothing by data augmentation (the reference's recipe): the baseline,
  // trained on `rs_da_copies` synonym-perturbed copies of each English training example (made
  // on the fly by the `randomized_smoothing` reader, nothing written to disk) for `rs_da_epochs`
  // epochs. Validation, `allennlp evaluate` and `allennlp predict` read clean text with the
  // plain reader. The neighbour table comes from XLT_NEIGHBORS (override with
  // `-o '{"dataset_reader.neighbors": "..."}'`).
  rs_da(task):: $.baseline(task) + {
    dataset_reader: {
      type: 'randomized_smoothing',
      base_reader: $.reader(task),
      neighbors: $.neighbors,
      copies: tasks[task].rs_da_copies,
      match: 'exact',
      seed: 7,
    },
    validation_dataset_reader: $.reader(task),
    trainer+: { num_epochs: tasks[task].rs_da_epochs },
  },
  // Adversarial training on the input word embeddings: the baseline plus the
  // `adversarial_training` trainer callback (allennlp_robust_xlt/training/callbacks/
  // adversarial_training.py, where the defaults and their sources are documented: PGD, L2 ball,
  // epsilon 0.7, alpha 0.2, 3 steps, random start, adversarial loss only, no clean warm-up).
  // Change the method or a setting with
  // `-o '{"trainer.callbacks.0.method": "freelb", "trainer.callbacks.0.steps": 2}'`.
  adversarial(task, method='pgd'):: $.baseline(task) + {
    trainer+: { callbacks: [{ type: 'adversarial_training', method: method }] + super.callbacks },
  },
  // For `allennlp tune` (allennlp-optuna; training_configs/tuning/): `config`, a method's config
  // whose first callback is the method's, with `callback` (the searched parameters, read from
  // Optuna's trial through std.extVar by training_configs/tuning/<method>.jsonnet) and the
  // fixed parameters of XLT_TUNE_CALLBACK (a JSON object, e.g. '{"warmup_steps": 625}') merged
  // into that callback, then the overrides of XLT_TUNE_OVERRIDES (a JSON object of AllenNLP-style
  // dotted keys without list indices, e.g. '{"trainer.num_epochs": 2}': `allennlp tune` has no
  // `-o`). Both default to {} (allennlp_robust_xlt/common/config_env.py).
  tunable(config, callback)::
    local fixed = std.parseJson(std.extVar('XLT_TUNE_CALLBACK'));
    local overrides = std.parseJson(std.extVar('XLT_TUNE_OVERRIDES'));
    local nested(key, value) = std.foldr(function(part, inner) { [part]: inner }, std.split(key, '.'), value);
    local tuned = config + {
      trainer+: { callbacks: [super.callbacks[0] + callback + fixed] + super.callbacks[1:] },
    };
    std.foldl(function(merged, key) std.mergePatch(merged, nested(key, overrides[key])), std.objectFields(overrides), tuned),
  // RS-RP, randomized smoothing by random perturbation: the baseline plus the
  // `random_perturbation` trainer callback (allennlp_robust_xlt/training/callbacks/
  // random_perturbation.py), which adds noise to the word embeddings during training only.
  rs_rp(task, distribution='gaussian'):: $.baseline(task) + {
    trainer+: { callbacks: [{ type: 'random_perturbation', distribution: distribution }] + super.callbacks },
  },
}
