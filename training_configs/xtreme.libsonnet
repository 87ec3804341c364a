// What every training config of allennlp-robust-xlt shares: the zero-shot protocol (fine-tune on
// English, select on English dev only) with each task's XTREME settings from the plugin's task
// table, one reader and model per task family, and the robust methods on top of any of them.
//
// Environment variables (defaults set by the plugin, see allennlp_robust_xlt/common/config_env.py):
//   XLT_TRANSFORMER      model name or local directory          (default xlm-roberta-base)
//   XLT_TRANSFORMER_DIM  hidden size (default: a local model directory's config.json, else the
//                        encoder table allennlp_robust_xlt/encoders.libsonnet)
//   XLT_ENCODER          the encoder table's row or architecture (default: a local model
//                        directory's, from its config.json, else the row of XLT_TRANSFORMER)
//   XLT_DATA_DIR         data in XTREME's layout                (default data/xtreme)
//   XLT_NEIGHBORS        RS-DA neighbour table, path or URL     (default: the reference's table)
//   XLT_SOURCE_LANGUAGES multi-source configs: training languages, comma list (default en)
//   XLT_INTERMEDIATE_ARCHIVE  model.tar.gz of an intermediate task to start from (default: none;
//                        see `intermediate` and `sequential` below)
//   XLT_INTERMEDIATE_TASK joint intermediate-task configs: the task trained with the target task
//                        (default xnli, i.e. English MNLI; see `joint` below)
//   XLT_PARALLEL_DATA    parallel-data configs: a directory of parallel sentences (no default;
//                        see `parallel` below)
//   XLT_UNLABELED_DATA   label-free objectives: a directory of unlabelled target-language files
//                        {lang}.tsv (no default; see `unlabeled` below)
//   XLT_UNLABELED_LANGUAGES  their languages, a comma list (default: every file there)
//   XLT_MOVING_AVERAGE   the decay of an exponential moving average of the weights (AllenNLP's
//                        trainer `moving_average`, e.g. 0.999), for every config; default: none
//                        (see `moving_average` below)
// Sizes (epochs, batch size, ...) are changed with AllenNLP's own `-o/--overrides`.
//
// A config is one line: `xtreme.baseline('xnli')`, `xtreme.adversarial('udpos')`, ... A task
// family adds its reader and model in `families` below.
local transformer = std.extVar('XLT_TRANSFORMER');
local data_dir = std.extVar('XLT_DATA_DIR');
// The encoder: its row of the encoder table (allennlp_robust_xlt/encoders.libsonnet), by
// XLT_ENCODER (set by the plugin for a local model directory, from its config.json) or by the
// model name, else its architecture's defaults; its hidden size by XLT_TRANSFORMER_DIM (set by
// the plugin for a local model directory) or from the table.
local encoder_table = import '../allennlp_robust_xlt/encoders.libsonnet';
local encoder_name = std.extVar('XLT_ENCODER');
local architecture(name) = encoder_table.architectures[name] + { architecture: name };
local row(name) = architecture(encoder_table.encoders[name].architecture) + encoder_table.encoders[name];
local encoder =
  if encoder_name != '' then (
    if std.objectHas(encoder_table.encoders, encoder_name) then row(encoder_name)
    else if std.objectHas(encoder_table.architectures, encoder_name) then architecture(encoder_name)
    else error 'XLT_ENCODER: unknown encoder ' + encoder_name + ' (a model of the encoder table: '
               + std.join(' ', std.objectFields(encoder_table.encoders)) + '; or an architecture: '
               + std.join(' ', std.objectFields(encoder_table.architectures)) + ')'
  )
  else if std.objectHas(encoder_table.encoders, transformer) then row(transformer)
  else architecture(encoder_table.default_architecture);
local dim_override = std.extVar('XLT_TRANSFORMER_DIM');
local intermediate_archive = std.extVar('XLT_INTERMEDIATE_ARCHIVE');
local intermediate_task = std.stripChars(std.extVar('XLT_INTERMEDIATE_TASK'), ' ');
local parallel_data = std.extVar('XLT_PARALLEL_DATA');
local unlabeled_data = std.extVar('XLT_UNLABELED_DATA');
local unlabeled_languages = std.extVar('XLT_UNLABELED_LANGUAGES');
local moving_average_decay = std.stripChars(std.extVar('XLT_MOVING_AVERAGE'), ' ');
local dim =
  if dim_override != '' then std.parseInt(dim_override)
  else if std.objectHas(encoder_table.encoders, transformer) then encoder_table.encoders[transformer].hidden_size
  else error 'XLT_TRANSFORMER_DIM: unknown hidden size of ' + transformer + ' (neither a local model'
             + ' directory with a config.json nor a model of the encoder table): set XLT_TRANSFORMER_DIM';
// What the sentence-level heads pool: XTREME's CLS pooler, or the mean over the sub-words
// (encoders without a [CLS]: mT5; or trained to be pooled by mean: multilingual-e5).
local head_pooler =
  if encoder.pooling == 'mean' then { type: 'bag_of_embeddings', embedding_dim: dim, averaged: true }
  else { type: 'cls_pooler', embedding_dim: dim };

// Each task's reader, family, files and training settings: the plugin's task table.
local task_table = import '../allennlp_robust_xlt/tasks.libsonnet';
local tasks = {
  [key]: task_table[key].training + {
    reader: task_table[key].reader,
    family: task_table[key].family,
    directory: task_table[key].directory,
    extension: task_table[key].extension,
    // File names by split (optional in the table; see allennlp_robust_xlt/tasks.py).
    files: std.get(task_table[key], 'files', '{split}-{lang}' + task_table[key].extension),
    // The training language's code in the task's files (English: `en`, SIB-200's `eng_Latn`).
    source_language:
      if std.length(task_table[key].train_languages) > 0 then task_table[key].train_languages[0] else 'en',
  }
  for key in std.objectFields(task_table)
};
// `{directory}/{file name}`: the row's `files` pattern of the split (default
// `{split}-{lang}{extension}`), as `Task.file_name` in allennlp_robust_xlt/tasks.py.
local file(task, split, language=null) =
  local lang = if language == null then tasks[task].source_language else language;
  local files = tasks[task].files;
  local pattern = if std.isString(files) then files else files[split];
  local filled = std.foldl(
    function(name, pair) std.strReplace(name, pair[0], pair[1]),
    [['{split}', split], ['{lang}', lang], ['{question}', lang], ['{context}', lang]],
    pattern
  );
  data_dir + '/' + tasks[task].directory + '/' + filled;
// Machine-translated training data of a language: `{task}/translate-train/train-{lang}`.
local translated(task, language) =
  if language == 'en' then file(task, 'train')
  else data_dir + '/' + tasks[task].directory + '/translate-train/train-' + language + tasks[task].extension;
local source_languages = [
  std.stripChars(code, ' ')
  for code in std.split(std.extVar('XLT_SOURCE_LANGUAGES'), ',')
  if std.stripChars(code, ' ') != ''
];

{
  transformer: transformer,
  dim: dim,
  encoder: encoder,
  data_dir: data_dir,
  neighbors: std.extVar('XLT_NEIGHBORS'),
  tasks: tasks,
  file:: file,

  // The pretrained transformer as a token embedder (for `basic_classifier`-style models).
  transformer_embedder:: {
    type: 'pretrained_transformer',
    model_name: transformer,
    // The heads pool or pick tokens themselves: without the transformer's own (unused) pooler,
    // DDP needs no `find_unused_parameters` and nothing unused is loaded (the encoder table's
    // `transformer_kwargs`: `add_pooling_layer: false` where the model class has the option).
    transformer_kwargs: encoder.transformer_kwargs,
  } + (if encoder.sub_module != '' then { sub_module: encoder.sub_module } else {}),

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
        seq2vec_encoder: head_pooler,
        feedforward: { input_dim: dim, num_layers: 1, hidden_dims: dim, activations: 'tanh' },
        dropout: 0.1,
      },
      sorting_keys: ['tokens'],
      // What an intermediate archive gives the model: the encoder only (the heads of two pair
      // tasks differ in their labels; Phang et al. load the encoder only).
      intermediate_modules: { text_field_embedder: '_text_field_embedder' },
      // The task's head on a shared encoder (joint training, AllenNLP's `multitask` model): the
      // same pooler, feedforward, dropout and classifier as `model`, with the task's own label
      // namespace (`label_namespace(task)`, which its reader is given too).
      head(task):: {
        type: 'classifier',
        seq2vec_encoder: head_pooler,
        feedforward: { input_dim: dim, num_layers: 1, hidden_dims: dim, activations: 'tanh' },
        dropout: 0.1,
        label_namespace: $.label_namespace(task),
      },
      predictor: 'xtreme_pair_classification',
    },
    // Single-text classification (SIB-200): the pair classifier's reader settings, model and
    // head on one text (`xtreme_text_classifier`, predictor `xtreme_text_classification`).
    classification: self.pair_classification + {
      model(task):: super.model(task) + { type: 'xtreme_text_classifier' },
      predictor: 'xtreme_text_classification',
    },
    // Multiple choice (XCOPA, SIQA): XTREME's AutoModelForMultipleChoice as
    // `xtreme_multiple_choice`; a choice's pair is "{premise} What was the {question}?" (SIQA:
    // "{context} {question}") with the choice, truncated to max_length wordpieces.
    mc: {
      reader(task):: {
        type: tasks[task].reader,
        max_length: tasks[task].max_length,
        tokenizer: { type: 'pretrained_transformer', model_name: transformer, add_special_tokens: false },
        token_indexers: { tokens: { type: 'pretrained_transformer', model_name: transformer } },
      },
      model(task):: {
        type: 'xtreme_multiple_choice',
        // Checked against the embedder's transformer (one from an intermediate archive included).
        transformer_model: transformer,
        text_field_embedder: { token_embedders: { tokens: $.transformer_embedder } },
        // BERT's pooler (dense + tanh on the first token), dropout 0.1, one score per choice.
        seq2vec_encoder: head_pooler,
        scorer: {
          input_dim: dim,
          num_layers: 2,
          hidden_dims: [dim, 1],
          activations: ['tanh', 'linear'],
          dropout: [0.1, 0.0],
        },
      },
      // The number of choices, the same for every example: batches are drawn at random.
      sorting_keys: ['alternatives'],
      // What an intermediate archive gives the model: the encoder and the head.
      intermediate_modules: { text_field_embedder: '_text_field_embedder', scorer: '_scorer' },
    },
    // UD-POS, PAN-X: XTREME's run_tag.py as AllenNLP pieces. Each word is split into sub-words by
    // the mismatched indexer; the embedder gives each word the vector of its first sub-word (XTREME
    // labels the first sub-word) and folds sentences longer than `max_length` sub-words into
    // windows, so every word gets one tag.
    tagging: {
      mismatched(task):: { model_name: transformer, max_length: tasks[task].max_length },
      reader(task):: {
        type: tasks[task].reader,
        token_indexers: {
          tokens: { type: 'pretrained_transformer_mismatched_batched' } + $.families.tagging.mismatched(task),
        },
      },
      model(task):: {
        type: 'xtreme_tagger',
        text_field_embedder: {
          token_embedders: {
            tokens: $.transformer_embedder + $.families.tagging.mismatched(task) + {
              type: 'pretrained_transformer_mismatched',
              sub_token_mode: 'first',
            },
          },
        },
        dropout: 0.1,
        // The classifier as transformers initialises it (normal, std 0.02; bias 0).
        initializer: {
          regexes: [
            ['tag_projection.weight', { type: 'normal', std: 0.02 }],
            ['tag_projection.bias', { type: 'zero' }],
          ],
        },
      },
      sorting_keys: ['tokens'],
      // RS-DA perturbs the reader's list of words, each word replaced by one word (one tag each).
      text_arguments: ['words'],
    },
    // Extractive QA (SQuAD, XQuAD, MLQA, TyDiQA-GoldP): one instance per question with all its
    // windows (allennlp_robust_xlt/rc/); batches count questions.
    rc: {
      reader(task):: {
        type: tasks[task].reader,
        transformer_model_name: transformer,
        max_length: tasks[task].max_length,
        doc_stride: tasks[task].doc_stride,
        max_query_length: tasks[task].max_query_length,
      },
      model(task):: {
        type: 'xtreme_transformer_qa',
        text_field_embedder: { token_embedders: { tokens: $.transformer_embedder } },
      },
      sorting_keys: ['windows'],
    },
    // Retrieval with fine-tuning (LAReQA, Mewsli-X): (query, candidate) pairs, each truncated to
    // the task's sub-word limits (the table's `retrieval`), and XTREME-R's dual encoder
    // (allennlp_robust_xlt/retrieval/), pooling as the table says `xtreme-retrieval` embeds.
    retrieval: {
      reader(task):: { type: tasks[task].reader, transformer_model_name: transformer },
      model(task):: {
        type: 'xtreme_dual_encoder',
        text_field_embedder: { token_embedders: { tokens: $.transformer_embedder } },
        // The task table's (XTREME's [CLS]), or the mean for an encoder pooled by mean.
        pooling: if encoder.pooling == 'mean' then 'mean' else task_table[task].retrieval.pooling,
      },
      sorting_keys: ['candidate'],
    },
  },

  // Intermediate-task training (XTREME-R trains XCOPA after SIQA): `model` with each of its
  // constructor arguments named in `modules` (argument -> module path in the archived model)
  // loaded from the archive that XLT_INTERMEDIATE_ARCHIVE names, through AllenNLP's `_pretrained`
  // with `freeze: false` (AllenNLP's default would freeze them); `model` unchanged when the
  // variable is empty. The argument's own settings stay beside `_pretrained`: training ignores
  // them, and the model builds itself from them when its archive is loaded (so the intermediate
  // archive is not needed then; allennlp_robust_xlt/nn/intermediate_archive.py).
  intermediate(model, modules)::
    if intermediate_archive == '' then model
    else model + {
      [argument]: model[argument] + {
        _pretrained: { archive_file: intermediate_archive, module_path: modules[argument], freeze: false },
      }
      for argument in std.objectFields(modules)
    },

  reader(task):: $.families[tasks[task].family].reader(task),

  // AllenNLP's exponential moving average of the weights (its trainer's `moving_average`,
  // `exponential`: shadow <- decay * shadow + (1 - decay) * weights after every optimizer step,
  // with AllenNLP's warm-up min(decay, (1 + n) / (10 + n)) at step n), when XLT_MOVING_AVERAGE
  // gives a decay: validation, the best model and the archive then use the averaged weights.
  // A checkpoint average (`average-checkpoints`) is the other way to average weights.
  moving_average::
    if moving_average_decay == '' then {}
    else
      local decay = std.parseJson(moving_average_decay);
      if !std.isNumber(decay) || decay <= 0 || decay >= 1 then
        error 'XLT_MOVING_AVERAGE: the decay must be a number in (0, 1), got ' + moving_average_decay
      else { moving_average: { type: 'exponential', decay: decay } },
  // Each task's labels in a model that trains several (`joint`).
  label_namespace(task):: task + '_labels',

  // Fine-tuning on English, model selection on English dev only (zero-shot protocol), with the
  // reference's optimisation (AdamW, eps 1e-8, no weight decay, no warm-up, linear decay,
  // gradient-norm clipping at 1.0) and the task's learning rate, epochs, batch and length.
  baseline(task):: {
    local family = $.families[tasks[task].family],
    dataset_reader: $.reader(task),
    // A task trained on another task's files (`train_task` in its training settings: LAReQA
    // trains on SQuAD) reads that task's train and dev files.
    train_data_path: file(std.get(tasks[task], 'train_task', task), 'train'),
    validation_data_path: file(std.get(tasks[task], 'train_task', task), 'dev'),
    // A task trained after an intermediate task (`intermediate_task` in its table row) starts
    // from the archive XLT_INTERMEDIATE_ARCHIVE names, when it names one.
    model:
      if std.objectHas(tasks[task], 'intermediate_task')
      then $.intermediate(family.model(task), family.intermediate_modules)
      else family.model(task),
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
      // Weight decay and warm-up steps: 0 unless the task's training settings give them (QA);
      // as in XTREME's scripts, biases and LayerNorm weights never decay.
      optimizer: { type: 'huggingface_adamw', lr: tasks[task].learning_rate, eps: 1e-8, weight_decay: std.get(tasks[task], 'weight_decay', 0.0), correct_bias: true } + (
        if std.get(tasks[task], 'weight_decay', 0.0) > 0 then { parameter_groups: [[['bias', 'LayerNorm\\.weight'], { weight_decay: 0.0 }]] } else {}
      ),
      learning_rate_scheduler: { type: 'linear_with_warmup', warmup_steps: std.get(tasks[task], 'warmup_steps', 0) },
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
    } + $.moving_average,
  },
  // Multi-source transfer: the task trained on several source languages at once
  // (XLT_SOURCE_LANGUAGES; English's training file and `translate-train/train-{lang}` for the
  // others), each a dataset of AllenNLP's `multitask` data loader, so that every instance
  // carries its language (the loader's `task` field). By default every epoch uses every
  // instance (proportional mixing); temperature-style mixing with
  // `-o '{"data_loader.instances_per_epoch": 100000,
  //       "data_loader.sampler": {"type": "temperature", "temperature": 5}}'`.
  // Model selection on the dev sets of the source languages (read as one validation set by the
  // plain reader, which `allennlp evaluate` and `xtreme-report` then use too). Each reader
  // accepts only its own language (`languages`), so an unknown code is one clear error.
  multisource(config, task):: config + {
    local family = $.families[tasks[task].family],
    dataset_reader: {
      type: 'multitask',
      readers: {
        [language]: config.dataset_reader + { languages: [language] }
        for language in source_languages
      },
    },
    validation_dataset_reader: $.reader(task),
    train_data_path: { [language]: translated(task, language) for language in source_languages },
    validation_data_path: [file(task, 'dev', language) for language in source_languages],
    data_loader: {
      type: 'multitask',
      scheduler: { type: 'roundrobin', batch_size: tasks[task].batch_size },
      shuffle: true,
    },
  },
  // RS-DA, randomized smoothing by data augmentation (the reference's recipe): the baseline,
  // trained on `rs_da_copies` synonym-perturbed copies of each English training example (made
  // on the fly by the `randomized_smoothing` reader, nothing written to disk) for `rs_da_epochs`
  // epochs. Validation, `allennlp evaluate` and `allennlp predict` read clean text with the
  // plain reader. The neighbour table comes from XLT_NEIGHBORS (override with
  // `-o '{"dataset_reader.neighbors": "..."}'`).
  rs_da(task):: $.baseline(task) + {
    local family = $.families[tasks[task].family],
    dataset_reader: {
      type: 'randomized_smoothing',
      base_reader: $.reader(task),
      neighbors: $.neighbors,
      copies: tasks[task].rs_da_copies,
      match: 'exact',
      seed: 7,
    } + (if std.objectHas(family, 'text_arguments') then { text_arguments: family.text_arguments } else {}),
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
  // The consistency (KL) objectives, through the same callback (docs/consistency-objectives.md;
  // allennlp_robust_xlt/training/adversarial_methods/{r3f,smart}.py hold the defaults and their
  // sources). R3F (Aghajanyan et al. 2021): uniform noise of scale 1e-5 on the word embeddings and
  // a symmetric KL of weight 1 between the clean and the noisy outputs (fairseq's defaults).
  // SMART (Jiang et al. 2020): one L-inf ascent step (radius 1e-5, step 1e-3) on the symmetric
  // KL, weight 1, and the Bregman proximal term against a moving-average teacher (mu 1, beta
  // 0.99) as in the paper. `settings` is merged into the callback.
  r3f(task, settings={}):: $.adversarial(task, 'r3f') + {
    trainer+: { callbacks: [super.callbacks[0] + settings] + super.callbacks[1:] },
  },
  smart(task, settings={}):: $.adversarial(task, 'smart') + {
    trainer+: {
      callbacks: [super.callbacks[0] + { proximal_weight: 1.0 } + settings] + super.callbacks[1:],
    },
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

  // Unlabelled target-language inputs for a label-free objective (docs/unlabeled-text-and-
  // averaging.md): `config` (a config whose first callback is a label-free method's, e.g.
  // `adversarial(task, 'smart')`) plus the `unlabeled_consistency` callback right after it,
  // which reads one file per language `{lang}{extension}` of XLT_UNLABELED_DATA (the languages
  // of XLT_UNLABELED_LANGUAGES, default all) with the task's reader, in the task's stripped-test
  // layout, and adds the method's consistency term on one unlabelled batch (of the task's batch
  // size) per step: never a supervised loss; model selection stays on English dev
  // (allennlp_robust_xlt/training/callbacks/unlabeled_consistency.py). Change its settings with
  // `-o '{"trainer.callbacks.1.weight": 0.5}'`. Pair-classification and tagging tasks only.
  unlabeled_families:: ['pair_classification', 'tagging'],
  unlabeled(config, task)::
    if unlabeled_data == '' then
      error 'XLT_UNLABELED_DATA must name a directory of unlabelled target-language files {lang}'
            + tasks[task].extension + ' (the task\'s stripped-test layout)'
    else if std.count($.unlabeled_families, tasks[task].family) == 0 then
      error 'unlabelled inputs: ' + task + ' is a ' + tasks[task].family + ' task; they are read for'
            + ' the families ' + std.join(' ', $.unlabeled_families)
    else config + {
      trainer+: {
        callbacks: [super.callbacks[0]] + [{
          type: 'unlabeled_consistency',
          reader: $.reader(task),
          directory: unlabeled_data,
          languages: unlabeled_languages,
          extension: tasks[task].extension,
          batch_size: tasks[task].batch_size,
        }] + super.callbacks[1:],
      },
    },

  // ---- Training regimes (intermediate tasks, parallel data) over any of the methods above ----

  // Intermediate-task training, sequential (Phang et al. 2020): the target task fine-tuned from
  // the model of a first run on an intermediate task (any task this plugin trains, e.g.
  // `xnli_baseline.jsonnet` for English MNLI), whose model.tar.gz XLT_INTERMEDIATE_ARCHIVE names:
  // the intermediate task is the archive's. The modules the task family names in
  // `intermediate_modules` come from that archive, trainable, through `intermediate` above (for
  // sentence pairs the encoder only; the head starts fresh); an archive trained with another
  // transformer than XLT_TRANSFORMER is one clear error. `config` is any method's config of the
  // target task: `sequential(adversarial('pawsx'), 'pawsx')`.
  sequential(config, task)::
    if intermediate_archive == '' then
      error 'XLT_INTERMEDIATE_ARCHIVE must name the model.tar.gz of the intermediate task (e.g. of'
            + ' xnli_baseline.jsonnet): the sequential configs start from its encoder'
    else config + {
      model: $.intermediate(
        config.model + { transformer_model: transformer },
        $.families[tasks[task].family].intermediate_modules
      ),
    },

  // Intermediate-task training, joint: the target task and the intermediate task
  // XLT_INTERMEDIATE_TASK (a task key of the task table; default `xnli`, English MNLI) trained
  // together by AllenNLP's `multitask` model (`xtreme_multitask`): one shared
  // `pretrained_transformer` backbone, one head per task with its own label namespace and
  // metrics (the target task's under their plain names, the other's prefixed: `xnli_accuracy`).
  // AllenNLP's `multitask` data loader reads both training sets (`train-en` of each task) with
  // the `roundrobin` scheduler: batches of the target task's size alternate the two tasks
  // instance by instance until the smaller set is used up, then hold the larger one's rest; no
  // sampler, so every epoch uses every instance of both (the target task's examples are seen
  // once per epoch, as in its single-task run: compare the regimes at the same number of target
  // epochs). Model selection on the target task's English dev, read by its plain reader, which
  // `allennlp evaluate`, `predict` and `xtreme-report` use on the archive. RS-DA (`config` from
  // `rs_da`) wraps both tasks' readers, each with its own number of copies.
  joint(config, task, intermediate=intermediate_task)::
    local family_of(key) = $.families[tasks[key].family];
    local heads = [task, intermediate];
    local labelled(key) = $.reader(key) + { label_namespace: $.label_namespace(key) };
    local reader_of(key) =
      if config.dataset_reader.type == 'randomized_smoothing'
      then config.dataset_reader + { base_reader: labelled(key), copies: tasks[key].rs_da_copies }
      else labelled(key);
    if !std.objectHas(tasks, intermediate) then
      error 'XLT_INTERMEDIATE_TASK: unknown task ' + std.toString(intermediate) + '; known: '
            + std.join(' ', std.objectFields(tasks))
    else if intermediate == task then
      error 'XLT_INTERMEDIATE_TASK: the intermediate task must differ from the target task ' + task
    else if !std.objectHasAll(family_of(intermediate), 'head') then
      error 'XLT_INTERMEDIATE_TASK: ' + intermediate + ' is a ' + tasks[intermediate].family
            + ' task, which has no multitask head yet; joint training takes a task of the families'
            + ' ' + std.join(' ', [f for f in std.objectFieldsAll($.families) if std.objectHasAll($.families[f], 'head')])
    else config + {
      dataset_reader: { type: 'multitask', readers: { [key]: reader_of(key) for key in heads } },
      validation_dataset_reader: labelled(task),
      train_data_path: { [key]: file(key, 'train') for key in heads },
      validation_data_path: file(task, 'dev'),
      model: {
        type: 'xtreme_multitask',
        target_task: task,
        transformer_model: transformer,
        predictor: family_of(task).predictor,
        backbone: {
          type: 'pretrained_transformer',
          model_name: transformer,
          transformer_kwargs: encoder.transformer_kwargs,
          output_token_strings: false,
        } + (if encoder.sub_module != '' then { sub_module: encoder.sub_module } else {}),
        heads: { [key]: family_of(key).head(key) for key in heads },
        arg_name_mapping: { backbone: { tokens: 'text' } },
      },
      data_loader: {
        type: 'multitask',
        scheduler: { type: 'roundrobin', batch_size: tasks[task].batch_size },
        shuffle: true,
      },
    },

  // Fine-tuning with parallel data: the task's training as `config` has it (any method), plus
  // the `parallel_objectives` model's objectives on the parallel sentences of the directory
  // XLT_PARALLEL_DATA (`parallel_sentences` reader: Moses files, TSV pairs, XNLI's 15-way file,
  // XTREME's five-column translate-train files). Alignment of the pooled sentence embeddings of a
  // sentence and its translation (InfoNCE, weight 1); xTune's consistency (symmetric KL between
  // the predictions on an English pair and its translation; needs five-column translate-train
  // files) with `-o '{"model.consistency_weight": 5.0}'`; the other settings likewise
  // (`model.alignment_weight`, `model.alignment_loss`: infonce or mse, `model.pooling`,
  // `model.temperature`, `model.perturb_english`). AllenNLP's `multitask` data loader alternates
  // task batches and parallel batches (`homogeneous_roundrobin`, both of the task's batch size);
  // every epoch reads all of both. Model selection on English dev, as the task's config.
  parallel_reader(task):: {
    type: 'parallel_sentences',
    max_length: tasks[task].max_length,
    tokenizer: { type: 'pretrained_transformer', model_name: transformer, add_special_tokens: false },
    token_indexers: { tokens: { type: 'pretrained_transformer', model_name: transformer } },
  },
  parallel(config, task)::
    if parallel_data == '' then
      error 'XLT_PARALLEL_DATA must name a directory of parallel sentences (Moses files, TSV pairs,'
            + ' xnli.15way.orig.tsv or five-column translate-train files)'
    else config + {
      dataset_reader: {
        type: 'multitask',
        readers: { [task]: config.dataset_reader, parallel: $.parallel_reader(task) },
      },
      validation_dataset_reader: std.get(config, 'validation_dataset_reader', config.dataset_reader),
      train_data_path: { [task]: config.train_data_path, parallel: parallel_data },
      model: {
        type: 'parallel_objectives',
        model: config.model,
        alignment_weight: 1.0,
        alignment_loss: 'infonce',
        pooling: 'mean',
        consistency_weight: 0.0,
        perturb_english: false,
      },
      data_loader: {
        type: 'multitask',
        scheduler: { type: 'homogeneous_roundrobin', batch_size: tasks[task].batch_size },
        shuffle: true,
      },
    },
}
