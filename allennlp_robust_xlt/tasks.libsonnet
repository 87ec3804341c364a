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
  udpos: {
    name: 'UD-POS',
    family: 'tagging',
    benchmarks: ['xtreme', 'xtreme-r'],
    languages: [
      'en', 'af', 'ar', 'bg', 'de', 'el', 'es', 'et', 'eu', 'fa', 'fi', 'fr', 'he', 'hi', 'hu', 'id', 'it',
      'ja', 'kk', 'ko', 'mr', 'nl', 'pt', 'ru', 'ta', 'te', 'th', 'tl', 'tr', 'ur', 'vi', 'yo', 'zh',
    ],
    xtreme_r_languages: [
      'en', 'af', 'ar', 'bg', 'de', 'el', 'es', 'et', 'eu', 'fa', 'fi', 'fr', 'he', 'hi', 'hu', 'id', 'it',
      'ja', 'kk', 'ko', 'mr', 'nl', 'pt', 'ru', 'ta', 'te', 'th', 'tl', 'tr', 'ur', 'vi', 'yo', 'zh',
      'lt', 'pl', 'uk', 'wo', 'ro',
    ],
    // Universal Dependencies' 17 universal part-of-speech tags (UPOS).
    labels: [
      'ADJ', 'ADP', 'ADV', 'AUX', 'CCONJ', 'DET', 'INTJ', 'NOUN', 'NUM', 'PART', 'PRON', 'PROPN',
      'PUNCT', 'SCONJ', 'SYM', 'VERB', 'X',
    ],
    label_aliases: {},
    reader: 'xtreme_udpos',
    // `word<TAB>UPOS` per line, a blank line between sentences (test files of XTREME's own
    // preprocessing: the word only).
    directory: 'udpos',
    extension: '.tsv',
    train_languages: ['en'],
    // seqeval's micro F1 on the raw UPOS tags, as XTREME's evaluate.py computes it (seqeval reads
    // a tag's first letter as a chunk prefix, so runs of one tag count as one "entity"), and
    // the token accuracy.
    metrics: ['f1', 'accuracy', 'precision', 'recall'],
    metric: 'f1',
    // XTREME's scripts/train_udpos.sh: 2e-5, 10 epochs, batch 8 x 4 accumulation steps, 128
    // sub-words, selection on English dev F1.
    training: {
      learning_rate: 2e-5,
      epochs: 10,
      batch_size: 8,
      accumulation: 4,
      max_length: 128,
      validation_metric: '+f1',
      // RS-DA (not in the reference, which trains it on XNLI and PAWS-X only): 5 copies for 2
      // epochs, the baseline's 10 passes over the English training data.
      rs_da_copies: 5,
      rs_da_epochs: 2,
    },
    download: {
      recipe: 'udpos',
      // XTREME's scripts/download_data.sh: UD v2.5 for XTREME's languages, UD v2.7 for the
      // languages XTREME-R adds.
      sources: {
        'ud-v2.5': 'https://lindat.mff.cuni.cz/repository/xmlui/bitstream/handle/11234/1-3105/ud-treebanks-v2.5.tgz',
        'ud-v2.7': 'https://lindat.mff.cuni.cz/repository/xmlui/bitstream/handle/11234/1-3424/ud-treebanks-v2.7.tgz',
      },
      // Two large archives: only with `--tasks udpos`.
      by_default: false,
    },
  },
  panx: {
    name: 'PAN-X',
    family: 'tagging',
    benchmarks: ['xtreme', 'xtreme-r'],
    languages: [
      'en', 'ar', 'he', 'vi', 'id', 'jv', 'ms', 'tl', 'eu', 'ml', 'ta', 'te', 'af', 'nl', 'de', 'el', 'bn',
      'hi', 'mr', 'ur', 'fa', 'fr', 'it', 'pt', 'es', 'bg', 'ru', 'ja', 'ka', 'ko', 'th', 'sw', 'yo', 'my',
      'zh', 'kk', 'tr', 'et', 'fi', 'hu',
    ],
    xtreme_r_languages: [
      'en', 'ar', 'he', 'vi', 'id', 'jv', 'ms', 'tl', 'eu', 'ml', 'ta', 'te', 'af', 'nl', 'de', 'el', 'bn',
      'hi', 'mr', 'ur', 'fa', 'fr', 'it', 'pt', 'es', 'bg', 'ru', 'ja', 'ka', 'ko', 'th', 'sw', 'yo', 'my',
      'zh', 'kk', 'tr', 'et', 'fi', 'hu', 'qu', 'pl', 'uk', 'az', 'lt', 'pa', 'gu', 'ro',
    ],
    // WikiANN's named-entity tags in BIO (IOB2).
    labels: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC'],
    label_aliases: {},
    reader: 'xtreme_panx',
    directory: 'panx',
    extension: '.tsv',
    train_languages: ['en'],
    // seqeval's micro F1, precision and recall over entities (XTREME's evaluate.py).
    metrics: ['f1', 'precision', 'recall'],
    metric: 'f1',
    // XTREME's scripts/train_panx.sh: as UD-POS.
    training: {
      learning_rate: 2e-5,
      epochs: 10,
      batch_size: 8,
      accumulation: 4,
      max_length: 128,
      validation_metric: '+f1',
      rs_da_copies: 5,
      rs_da_epochs: 2,
    },
    download: {
      recipe: 'panx',
      sources: { panx: '' },
      // Sources without a working official address (the user passes a copy), and where to get one.
      manual: {
        panx: 'its official download (AmazonPhotos.zip on Amazon Cloud Drive) is gone'
              + ' (google-research/xtreme issue #101); the same release is panx_dataset.tar at'
              + ' https://www.dropbox.com/s/12h3qqog6q4bjve/panx_dataset.tar (afshinrahimi/mmner)',
      },
      by_default: false,
    },
  },
}
