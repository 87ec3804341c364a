// The table of tasks: every fact about an XTREME / XTREME-R task that the plugin's readers,
// commands (download-xtreme, xtreme-report, ...) and training configs need, written once.
// Python reads it through `allennlp_robust_xlt/tasks.py` (which checks every row and documents
// the fields); the configs import it from `training_configs/xtreme.libsonnet`.
//
// Adding a task: one row here, and its code in a task-family package
// (`pair_classification/`, `tagging/`, `rc/`, `mc/`, `retrieval/`).
//
// Sources: google-research/xtreme (evaluate.py's task and language lists, scripts/*.sh for the
// training settings) and the reference protocol of Huang et al. (2021); see
// shared/docs/xtreme-tasks-reference.md.
{
  xnli: {
    name: 'XNLI',
    family: 'pair_classification',
    benchmarks: ['xtreme', 'xtreme-r'],
    // Test languages, the source language first.
    languages: ['en', 'ar', 'bg', 'de', 'el', 'es', 'fr', 'hi', 'ru', 'sw', 'th', 'tr', 'ur', 'vi', 'zh'],
    xtreme_r_languages: ['en', 'ar', 'bg', 'de', 'el', 'es', 'fr', 'hi', 'ru', 'sw', 'th', 'tr', 'ur', 'vi', 'zh'],
    labels: ['entailment', 'neutral', 'contradiction'],
    // MultiNLI-derived files (XNLI-MT) spell the last label `contradictory`.
    label_aliases: { contradictory: 'contradiction' },
    reader: 'xtreme_xnli',
    // Files under the data directory: `{directory}/{split}-{lang}{extension}`.
    directory: 'xnli',
    extension: '.tsv',
    train_languages: ['en'],
    metrics: ['accuracy'],
    metric: 'accuracy',
    // The reference protocol (Huang et al. 2021, XTREME's run_classify.py).
    training: {
      learning_rate: 2e-5,
      epochs: 5,
      batch_size: 32,
      accumulation: 1,
      max_length: 128,
      validation_metric: '+accuracy',
      rs_da_copies: 3,
      rs_da_epochs: 1,
    },
    download: {
      recipe: 'xnli',
      sources: {
        xnli: 'https://dl.fbaipublicfiles.com/XNLI/XNLI-1.0.zip',
        'xnli-mt': 'https://dl.fbaipublicfiles.com/XNLI/XNLI-MT-1.0.zip',
      },
    },
  },
  pawsx: {
    name: 'PAWS-X',
    family: 'pair_classification',
    benchmarks: ['xtreme'],
    languages: ['en', 'de', 'es', 'fr', 'ja', 'ko', 'zh'],
    xtreme_r_languages: [],
    labels: ['0', '1'],
    label_aliases: {},
    reader: 'xtreme_pawsx',
    directory: 'pawsx',
    extension: '.tsv',
    train_languages: ['en'],
    metrics: ['accuracy'],
    metric: 'accuracy',
    training: {
      learning_rate: 2e-5,
      epochs: 5,
      batch_size: 8,
      accumulation: 4,
      max_length: 128,
      validation_metric: '+accuracy',
      rs_da_copies: 10,
      rs_da_epochs: 3,
    },
    download: {
      recipe: 'pawsx',
      sources: { pawsx: 'https://storage.googleapis.com/paws/pawsx/x-final.tar.gz' },
    },
  },
  // Multiple choice (XTREME-R): XCOPA, trained on English COPA after the intermediate task SIQA
  // (google-research/xtreme scripts/train_xcopa.sh, third_party/run_xcopa.py).
  xcopa: {
    name: 'XCOPA',
    family: 'mc',
    benchmarks: ['xtreme-r'],
    // XCOPA has no English test set: English COPA gives train-en and val-en only.
    languages: ['et', 'ht', 'id', 'it', 'qu', 'sw', 'ta', 'th', 'tr', 'vi', 'zh'],
    xtreme_r_languages: ['et', 'ht', 'id', 'it', 'qu', 'sw', 'ta', 'th', 'tr', 'vi', 'zh'],
    // The label is the index of the right choice (0 or 1).
    labels: [],
    label_aliases: {},
    reader: 'xtreme_xcopa',
    directory: 'xcopa',
    extension: '.jsonl',
    // XCOPA (and SuperGLUE's COPA) name the dev split `val`: `xcopa/val-{lang}.jsonl`.
    split_names: { dev: 'val' },
    train_languages: ['en'],
    metrics: ['accuracy'],
    metric: 'accuracy',
    training: {
      learning_rate: 2e-5,
      epochs: 5,
      batch_size: 8,
      accumulation: 4,
      max_length: 128,
      validation_metric: '+accuracy',
      // Not from a reference (Huang et al. did not run XCOPA): COPA has 400 training examples,
      // so as many copies as for PAWS-X, for the baseline's 5 epochs.
      rs_da_copies: 10,
      rs_da_epochs: 5,
      // XTREME-R trains on SIQA first; the configs start from that archive when
      // XLT_INTERMEDIATE_ARCHIVE names one (training_configs/xtreme.libsonnet, `intermediate`).
      intermediate_task: 'siqa',
    },
    download: {
      recipe: 'xcopa',
      sources: {
        // SuperGLUE's English COPA: COPA/{train,val,test}.jsonl.
        copa: 'https://dl.fbaipublicfiles.com/glue/superglue/data/v2/COPA.zip',
        // The base of XCOPA's files `{base}/{lang}/{val,test}.{lang}.jsonl`.
        xcopa: 'https://raw.githubusercontent.com/cambridgeltl/xcopa/master/data',
      },
    },
  },
  // Social IQa, XTREME-R's intermediate task for XCOPA (3 choices; English only; not scored by
  // XTREME-R). Files as released in socialIQa_v1.4.tgz: `siqa/socialIQa_v1.4_{trn,dev,tst}.jsonl`.
  siqa: {
    name: 'SIQA',
    family: 'mc',
    benchmarks: [],
    languages: ['en'],
    xtreme_r_languages: [],
    // The label is the letter of the right answer (`correct`: A, B or C).
    labels: [],
    label_aliases: {},
    reader: 'xtreme_siqa',
    directory: 'siqa',
    extension: '.jsonl',
    file_pattern: 'socialIQa_v1.4_{split}{extension}',
    split_names: { train: 'trn', dev: 'dev', test: 'tst' },
    train_languages: ['en'],
    metrics: ['accuracy'],
    metric: 'accuracy',
    training: {
      learning_rate: 2e-5,
      epochs: 5,
      batch_size: 8,
      accumulation: 4,
      max_length: 128,
      validation_metric: '+accuracy',
      rs_da_copies: 3,
      rs_da_epochs: 1,
    },
    download: {
      recipe: 'siqa',
      sources: { siqa: 'https://maartensap.github.io/social-iqa/data/socialIQa_v1.4.tgz' },
    },
  },
}
