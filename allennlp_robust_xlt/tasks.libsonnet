// The table of tasks: every fact about an XTREME / XTREME-R task that the plugin's readers,
// commands (download-xtreme, xtreme-report, ...) and training configs need, written once.
// Python reads it through `allennlp_robust_xlt/tasks.py` (which checks every row and documents
// the fields); the configs import it from `training_configs/xtreme.libsonnet`.
//
// Adding a task: one row here, and its code in a task-family package
// (`pair_classification/`, `classification/`, `tagging/`, `rc/`, `mc/`, `retrieval/`).
//
// Sources: the benchmarks' papers, XTREME (Hu et al., ICML 2020, arXiv 2003.11080) and XTREME-R
// (Ruder et al., EMNLP 2021, arXiv 2104.07412), and their code, google-research/xtreme
// (evaluate.py's task and language lists, scripts/*.sh for the training settings,
// utils_preprocess.py for the file layouts); the reference protocol of Huang et al. (EMNLP 2021,
// arXiv 2104.08645) and its code, uclanlp/Robust-XLT; and each dataset's official release (its
// address in the row's `download.sources`).
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
    files: { train: 'train-{lang}.jsonl', dev: 'val-{lang}.jsonl', test: 'test-{lang}.jsonl' },
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
    files: {
      train: 'socialIQa_v1.4_trn.jsonl',
      dev: 'socialIQa_v1.4_dev.jsonl',
      test: 'socialIQa_v1.4_tst.jsonl',
    },
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
  // Beyond XTREME-R (docs/languages-beyond-xtreme.md). Their language codes are those of the
  // releases (Flores-200's `eng_Latn`, ISO 639-3's `yor`); their names and families come from the
  // derived table `allennlp_robust_xlt/common/language_table.tsv`.
  //
  // SIB-200 (Adelani et al., EACL 2024; data CC BY-SA 4.0): topic classification of Flores-200
  // sentences into 7 categories, in 205 languages and dialects, 701 / 99 / 204 sentences per
  // language; the same index_id is the same sentence in every language. The release's layout:
  // `data/annotated/{lang}/{train,dev,test}.tsv` with the header `index_id<TAB>category<TAB>text`.
  sib200: {
    name: 'SIB-200',
    family: 'classification',
    benchmarks: [],
    // The 205 directories of the release's data/annotated, English first.
    languages: [
      'eng_Latn', 'ace_Arab', 'ace_Latn', 'acm_Arab', 'acq_Arab', 'aeb_Arab', 'afr_Latn',
      'ajp_Arab', 'aka_Latn', 'als_Latn', 'amh_Ethi', 'apc_Arab', 'arb_Arab', 'arb_Latn',
      'ars_Arab', 'ary_Arab', 'arz_Arab', 'asm_Beng', 'ast_Latn', 'awa_Deva', 'ayr_Latn',
      'azb_Arab', 'azj_Latn', 'bak_Cyrl', 'bam_Latn', 'ban_Latn', 'bel_Cyrl', 'bem_Latn',
      'ben_Beng', 'bho_Deva', 'bjn_Arab', 'bjn_Latn', 'bod_Tibt', 'bos_Latn', 'bug_Latn',
      'bul_Cyrl', 'cat_Latn', 'ceb_Latn', 'ces_Latn', 'cjk_Latn', 'ckb_Arab', 'crh_Latn',
      'cym_Latn', 'dan_Latn', 'deu_Latn', 'dik_Latn', 'dyu_Latn', 'dzo_Tibt', 'ell_Grek',
      'epo_Latn', 'est_Latn', 'eus_Latn', 'ewe_Latn', 'fao_Latn', 'fij_Latn', 'fin_Latn',
      'fon_Latn', 'fra_Latn', 'fur_Latn', 'fuv_Latn', 'gaz_Latn', 'gla_Latn', 'gle_Latn',
      'glg_Latn', 'grn_Latn', 'guj_Gujr', 'hat_Latn', 'hau_Latn', 'heb_Hebr', 'hin_Deva',
      'hne_Deva', 'hrv_Latn', 'hun_Latn', 'hye_Armn', 'ibo_Latn', 'ilo_Latn', 'ind_Latn',
      'isl_Latn', 'ita_Latn', 'jav_Latn', 'jpn_Jpan', 'kab_Latn', 'kac_Latn', 'kam_Latn',
      'kan_Knda', 'kas_Arab', 'kas_Deva', 'kat_Geor', 'kaz_Cyrl', 'kbp_Latn', 'kea_Latn',
      'khk_Cyrl', 'khm_Khmr', 'kik_Latn', 'kin_Latn', 'kir_Cyrl', 'kmb_Latn', 'kmr_Latn',
      'knc_Arab', 'knc_Latn', 'kon_Latn', 'kor_Hang', 'lao_Laoo', 'lij_Latn', 'lim_Latn',
      'lin_Latn', 'lit_Latn', 'lmo_Latn', 'ltg_Latn', 'ltz_Latn', 'lua_Latn', 'lug_Latn',
      'luo_Latn', 'lus_Latn', 'lvs_Latn', 'mag_Deva', 'mai_Deva', 'mal_Mlym', 'mar_Deva',
      'min_Arab', 'min_Latn', 'mkd_Cyrl', 'mlt_Latn', 'mni_Beng', 'mos_Latn', 'mri_Latn',
      'mya_Mymr', 'nld_Latn', 'nno_Latn', 'nob_Latn', 'npi_Deva', 'nqo_Nkoo', 'nso_Latn',
      'nus_Latn', 'nya_Latn', 'oci_Latn', 'ory_Orya', 'pag_Latn', 'pan_Guru', 'pap_Latn',
      'pbt_Arab', 'pes_Arab', 'plt_Latn', 'pol_Latn', 'por_Latn', 'prs_Arab', 'quy_Latn',
      'ron_Latn', 'run_Latn', 'rus_Cyrl', 'sag_Latn', 'san_Deva', 'sat_Olck', 'scn_Latn',
      'shn_Mymr', 'sin_Sinh', 'slk_Latn', 'slv_Latn', 'smo_Latn', 'sna_Latn', 'snd_Arab',
      'som_Latn', 'sot_Latn', 'spa_Latn', 'srd_Latn', 'srp_Cyrl', 'ssw_Latn', 'sun_Latn',
      'swe_Latn', 'swh_Latn', 'szl_Latn', 'tam_Taml', 'taq_Latn', 'taq_Tfng', 'tat_Cyrl',
      'tel_Telu', 'tgk_Cyrl', 'tgl_Latn', 'tha_Thai', 'tir_Ethi', 'tpi_Latn', 'tsn_Latn',
      'tso_Latn', 'tuk_Latn', 'tum_Latn', 'tur_Latn', 'twi_Latn', 'tzm_Tfng', 'uig_Arab',
      'ukr_Cyrl', 'umb_Latn', 'urd_Arab', 'uzn_Latn', 'vec_Latn', 'vie_Latn', 'war_Latn',
      'wol_Latn', 'xho_Latn', 'ydd_Hebr', 'yor_Latn', 'yue_Hant', 'zho_Hans', 'zho_Hant',
      'zsm_Latn', 'zul_Latn',
    ],
    xtreme_r_languages: [],
    // The release's labels.txt, in its order.
    labels: ['science/technology', 'travel', 'politics', 'sports', 'health', 'entertainment', 'geography'],
    label_aliases: {},
    reader: 'sib200',
    directory: 'sib200',
    extension: '.tsv',
    files: '{lang}/{split}.tsv',
    train_languages: ['eng_Latn'],
    metrics: ['accuracy'],
    metric: 'accuracy',
    // The authors' zero-shot script (code/xlmr_zero.sh, code/train_textclass.py): 1e-5, 20
    // epochs, batch 16, 164 sub-words; selection on English dev accuracy here.
    training: {
      learning_rate: 1e-5,
      epochs: 20,
      batch_size: 16,
      accumulation: 1,
      max_length: 164,
      validation_metric: '+accuracy',
      // Not from a reference: 701 training sentences, so 10 copies for 4 epochs (40 passes, the
      // baseline's 20 twice, as PAWS-X's RS-DA has 30 passes for 5).
      rs_da_copies: 10,
      rs_da_epochs: 4,
    },
    download: {
      recipe: 'sib200',
      // The repository's archive holds the data (data/annotated/...).
      sources: { sib200: 'https://github.com/dadelani/sib-200/archive/refs/heads/main.zip' },
      by_default: false,
    },
  },
  // MasakhaNER 2.0 (Adelani et al., EMNLP 2022; data CC BY-NC 4.0 as its README says): named
  // entities in 20 African languages, `MasakhaNER2.0/data/{lang}/{train,dev,test}.txt`, one
  // `token TAG` per line (one space), a blank line between sentences, BIO over PER, ORG, LOC
  // and DATE. Zero-shot from PAN-X English (`train_task`), whose tags have no DATE: the
  // evaluation reads B-DATE and I-DATE as O (`label_aliases`), so a DATE entity is neither
  // credited nor required.
  masakhaner: {
    name: 'MasakhaNER 2.0',
    family: 'tagging',
    benchmarks: [],
    languages: [
      'bam', 'bbj', 'ewe', 'fon', 'hau', 'ibo', 'kin', 'lug', 'luo', 'mos', 'nya', 'pcm', 'sna',
      'swa', 'tsn', 'twi', 'wol', 'xho', 'yor', 'zul',
    ],
    xtreme_r_languages: [],
    labels: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC'],
    label_aliases: { 'B-DATE': 'O', 'I-DATE': 'O' },
    note: 'zero-shot from PAN-X English, whose tags have no DATE: the gold B-DATE and I-DATE tags'
          + ' are read as O, so F1 is over PER, ORG and LOC only.',
    reader: 'masakhaner',
    directory: 'masakhaner',
    extension: '.txt',
    files: '{lang}/{split}.txt',
    // Trained on PAN-X English (`training.train_task`), not on MasakhaNER.
    train_languages: [],
    metrics: ['f1', 'precision', 'recall'],
    metric: 'f1',
    // PAN-X's settings (XTREME's scripts/train_panx.sh), on PAN-X's English train and dev files.
    training: {
      learning_rate: 2e-5,
      epochs: 10,
      batch_size: 8,
      accumulation: 4,
      max_length: 128,
      validation_metric: '+f1',
      rs_da_copies: 5,
      rs_da_epochs: 2,
      train_task: 'panx',
    },
    download: {
      recipe: 'masakhaner',
      sources: { masakhaner: 'https://github.com/masakhane-io/masakhane-ner/archive/refs/heads/main.zip' },
      by_default: false,
    },
  },

  // -- Extractive QA (family `rc`): SQuAD v1.1 JSON files, scored per question as XTREME scores
  // them. Trained on English SQuAD v1.1 (`squad`), evaluated zero-shot on XQuAD, MLQA and
  // TyDiQA-GoldP. Optional fields: `files` (file names by split), `scoring` (the official script:
  // `squad` = SQuAD v1.1, `mlqa` = MLQA's normalisation of the context's language), `inputs`.
  // XTREME's run_squad.py / train_qa.sh settings; `doc_stride` is the step between window
  // starts, `max_query_length` cuts questions (in sub-words).
  local qa_training = {
    learning_rate: 3e-5,
    epochs: 3,
    batch_size: 4,
    accumulation: 8,
    max_length: 384,
    doc_stride: 128,
    max_query_length: 64,
    warmup_steps: 500,
    weight_decay: 1e-4,
    // XTREME keeps the final checkpoint; the configs select on English SQuAD dev F1.
    validation_metric: '+f1',
    // RS-DA: not in the reference (no QA); 3 copies for 1 epoch, as XNLI (a large training set).
    rs_da_copies: 3,
    rs_da_epochs: 1,
  },
  local qa_row = {
    family: 'rc',
    labels: [],
    label_aliases: {},
    extension: '.json',
    metrics: ['exact_match', 'f1'],
    metric: 'f1',
    scoring: 'squad',
    inputs: ['question', 'context'],
    training: qa_training,
  },
  squad: qa_row {
    name: 'SQuAD v1.1',
    benchmarks: [],
    languages: ['en'],
    xtreme_r_languages: [],
    reader: 'xtreme_squad',
    directory: 'squad',
    files: { train: 'train-v1.1.json', dev: 'dev-v1.1.json' },
    train_languages: ['en'],
    download: {
      recipe: 'squad',
      sources: {
        'squad-train': 'https://raw.githubusercontent.com/rajpurkar/SQuAD-explorer/master/dataset/train-v1.1.json',
        'squad-dev': 'https://raw.githubusercontent.com/rajpurkar/SQuAD-explorer/master/dataset/dev-v1.1.json',
      },
    },
  },
  xquad: qa_row {
    name: 'XQuAD',
    benchmarks: ['xtreme', 'xtreme-r'],
    languages: ['en', 'es', 'de', 'el', 'ru', 'tr', 'ar', 'vi', 'th', 'zh', 'hi'],
    xtreme_r_languages: ['en', 'es', 'de', 'el', 'ru', 'tr', 'ar', 'vi', 'th', 'zh', 'hi', 'ro'],
    reader: 'xtreme_xquad',
    directory: 'xquad',
    // XQuAD has no dev set (dev is SQuAD's); XTREME strips the answers of these files.
    files: { test: 'xquad.{lang}.json' },
    train_languages: [],
    download: {
      recipe: 'xquad',
      sources: { xquad: 'https://raw.githubusercontent.com/deepmind/xquad/master/xquad.{lang}.json' },
    },
  },
  mlqa: qa_row {
    name: 'MLQA',
    benchmarks: ['xtreme', 'xtreme-r'],
    languages: ['en', 'es', 'de', 'ar', 'hi', 'vi', 'zh'],
    xtreme_r_languages: ['en', 'es', 'de', 'ar', 'hi', 'vi', 'zh'],
    reader: 'xtreme_mlqa',
    directory: 'mlqa',
    // A language pair is (question, context): 49 files per split; XTREME uses the diagonal.
    files: {
      dev: 'MLQA_V1/dev/dev-context-{context}-question-{question}.json',
      test: 'MLQA_V1/test/test-context-{context}-question-{question}.json',
    },
    train_languages: [],
    scoring: 'mlqa',
    download: {
      recipe: 'mlqa',
      sources: { mlqa: 'https://dl.fbaipublicfiles.com/MLQA/MLQA_V1.zip' },
    },
  },
  tydiqa: qa_row {
    name: 'TyDiQA-GoldP',
    benchmarks: ['xtreme', 'xtreme-r'],
    languages: ['en', 'ar', 'bn', 'fi', 'id', 'ko', 'ru', 'sw', 'te'],
    xtreme_r_languages: ['en', 'ar', 'bn', 'fi', 'id', 'ko', 'ru', 'sw', 'te'],
    reader: 'xtreme_tydiqa',
    directory: 'tydiqa',
    // The released dev files are XTREME's test set (stripped by XTREME); no dev set.
    files: {
      train: 'tydiqa-goldp-v1.1-train/tydiqa.goldp.{lang}.train.json',
      test: 'tydiqa-goldp-v1.1-dev/tydiqa.goldp.{lang}.dev.json',
    },
    train_languages: ['en', 'ar', 'bn', 'fi', 'id', 'ko', 'ru', 'sw', 'te'],
    download: {
      recipe: 'tydiqa',
      sources: {
        'tydiqa-train': 'https://storage.googleapis.com/tydiqa/v1.1/tydiqa-goldp-v1.1-train.json',
        'tydiqa-dev': 'https://storage.googleapis.com/tydiqa/v1.1/tydiqa-goldp-v1.1-dev.tgz',
      },
    },
  },

  // -- Retrieval without fine-tuning (family `retrieval`): the encoder's sentence embeddings,
  // scored by `xtreme-retrieval` (no reader, no training). `retrieval` holds XTREME's settings
  // (scripts/run_tatoeba.sh, run_bucc2018.sh): the pooling, and the layer of known models,
  // numbered like Hugging Face's `hidden_states` (XTREME's `--specific_layer k` is
  // hidden_states[k+1]; other models: `default_layer`'s rule in retrieval/sentence_encoder.py).
  tatoeba: {
    name: 'Tatoeba',
    family: 'retrieval',
    benchmarks: ['xtreme', 'xtreme-r'],
    // XTREME's 36 (XTREME_TASK2LANGS), every one paired with English.
    languages: [
      'ar', 'he', 'vi', 'id', 'jv', 'tl', 'eu', 'ml', 'ta', 'te', 'af', 'nl', 'de', 'el', 'bn',
      'hi', 'mr', 'ur', 'fa', 'fr', 'it', 'pt', 'es', 'bg', 'ru', 'ja', 'ka', 'ko', 'th', 'sw',
      'zh', 'kk', 'tr', 'et', 'fi', 'hu',
    ],
    xtreme_r_languages: [
      'ar', 'he', 'vi', 'id', 'jv', 'tl', 'eu', 'ml', 'ta', 'te', 'af', 'nl', 'de', 'el', 'bn',
      'hi', 'mr', 'ur', 'fa', 'fr', 'it', 'pt', 'es', 'bg', 'ru', 'ja', 'ka', 'ko', 'th', 'sw',
      'zh', 'kk', 'tr', 'et', 'fi', 'hu', 'az', 'lt', 'pl', 'uk', 'ro',
    ],
    labels: [],
    label_aliases: {},
    reader: '',
    directory: 'tatoeba',
    extension: '',
    train_languages: [],
    metrics: ['accuracy_at_1', 'accuracy_at_1_reverse'],
    metric: 'accuracy_at_1',
    training: {},
    download: {
      recipe: 'tatoeba',
      // XTREME's scripts/download_data.sh: the LASER repository, data/tatoeba/v1.
      sources: { tatoeba: 'https://github.com/facebookresearch/LASER/archive/main.zip' },
    },
    retrieval: {
      pooling: 'mean',
      layers: { 'bert-base-multilingual-cased': 8, 'xlm-roberta-large': 14 },
      // LASER's three-letter codes of the languages (XTREME's `tatoeba_preprocess`).
      laser_codes: {
        ar: 'ara', he: 'heb', vi: 'vie', id: 'ind', jv: 'jav', tl: 'tgl', eu: 'eus', ml: 'mal',
        ta: 'tam', te: 'tel', af: 'afr', nl: 'nld', de: 'deu', el: 'ell', bn: 'ben', hi: 'hin',
        mr: 'mar', ur: 'urd', fa: 'pes', fr: 'fra', it: 'ita', pt: 'por', es: 'spa', bg: 'bul',
        ru: 'rus', ja: 'jpn', ka: 'kat', ko: 'kor', th: 'tha', sw: 'swh', zh: 'cmn', kk: 'kaz',
        tr: 'tur', et: 'est', fi: 'fin', hu: 'hun', az: 'aze', lt: 'lit', pl: 'pol', uk: 'ukr',
        ro: 'ron',
      },
    },
  },
  bucc2018: {
    name: 'BUCC 2018',
    family: 'retrieval',
    benchmarks: ['xtreme'],
    languages: ['de', 'fr', 'ru', 'zh'],
    xtreme_r_languages: [],
    labels: [],
    label_aliases: {},
    reader: '',
    directory: 'bucc2018',
    extension: '',
    train_languages: [],
    metrics: ['f1', 'precision', 'recall'],
    metric: 'f1',
    training: {},
    download: {
      recipe: 'bucc2018',
      // XTREME's scripts/download_data.sh: one archive per language and release (`sample`,
      // XTREME's dev; `training`, its test), the placeholders filled by the recipe.
      sources: {
        bucc2018: 'https://comparable.limsi.fr/bucc2018/bucc2018-{lang}-en.{release}-gold.tar.bz2',
      },
      // Eight archives, the training ones large: only with `--tasks bucc2018`.
      by_default: false,
    },
    retrieval: {
      pooling: 'cls',
      layers: { 'bert-base-multilingual-cased': 8, 'xlm-roberta-large': 8 },
      // The file names of each split, XTREME's first, then the original release's
      // (XTREME renames BUCC's "sample" to dev and "training" to test).
      split_names: { dev: ['dev', 'sample'], test: ['test', 'training'] },
    },
  },

  // -- Retrieval with fine-tuning (XTREME-R; family `retrieval`): a dual encoder
  // (`xtreme_dual_encoder`) trained with `allennlp train` on English pairs, scored by
  // `xtreme-retrieval` with mAP@20 (allennlp_robust_xlt/retrieval/ranking.py). `retrieval`: the
  // pooling the configs train and `xtreme-retrieval` embeds with (XTREME's [CLS]), the sub-word
  // limits of queries and candidates, the cut-off k and the task's other files.
  // LAReQA: trained on SQuAD v1.1 (a question -> the sentence of its context holding the answer,
  // `squad`'s files), evaluated on XQuAD-R (google-research-datasets/lareqa; XTREME's
  // scripts/train_lareqa.sh, run_eval_lareqa.sh, third_party/utils_lareqa.py).
  lareqa: {
    name: 'LAReQA',
    family: 'retrieval',
    benchmarks: ['xtreme-r'],
    // XQuAD-R's 11 languages: a question must retrieve its answer in all of them.
    languages: ['en', 'ar', 'de', 'el', 'es', 'hi', 'ru', 'th', 'tr', 'vi', 'zh'],
    xtreme_r_languages: ['en', 'ar', 'de', 'el', 'es', 'hi', 'ru', 'th', 'tr', 'vi', 'zh'],
    labels: [],
    label_aliases: {},
    reader: 'xtreme_lareqa',
    directory: 'lareqa',
    extension: '.json',
    // XQuAD-R has one split (its answers are public); training reads `squad`'s files.
    files: { test: 'xquad-r/{lang}.json' },
    train_languages: [],
    metrics: ['map_at_20'],
    metric: 'map_at_20',
    training: {
      learning_rate: 2e-5,
      epochs: 3,
      batch_size: 4,
      accumulation: 4,
      max_length: 256,
      // Selection on the in-batch accuracy of SQuAD dev's pairs (XTREME keeps checkpoint-9000).
      validation_metric: '+accuracy',
      train_task: 'squad',
    },
    download: {
      recipe: 'lareqa',
      // XTREME's scripts/download_data.sh: the LAReQA repository (XQuAD-R in xquad-r/).
      sources: { lareqa: 'https://github.com/google-research-datasets/lareqa/archive/master.zip' },
    },
    retrieval: {
      pooling: 'cls',
      max_query_length: 96,
      max_candidate_length: 256,
      k: 20,
    },
  },
  // Mewsli-X: trained on English Wikipedia mention-entity pairs, evaluated on WikiNews mentions
  // in 11 languages against the candidate set of entity descriptions (XTREME's
  // scripts/train_mewslix.sh, third_party/utils_mewslix.py; Botha et al. 2020's data).
  mewslix: {
    name: 'Mewsli-X',
    family: 'retrieval',
    benchmarks: ['xtreme-r'],
    languages: ['ar', 'de', 'en', 'es', 'fa', 'ja', 'pl', 'ro', 'ta', 'tr', 'uk'],
    xtreme_r_languages: ['ar', 'de', 'en', 'es', 'fa', 'ja', 'pl', 'ro', 'ta', 'tr', 'uk'],
    labels: [],
    label_aliases: {},
    reader: 'xtreme_mewslix',
    directory: 'mewslix',
    extension: '.jsonl',
    // train/dev: English mention-entity pairs; the evaluated mentions are `retrieval.mentions`.
    files: { train: 'wikipedia_pairs-train.jsonl', dev: 'wikipedia_pairs-dev.jsonl' },
    train_languages: ['en'],
    metrics: ['map_at_20'],
    metric: 'map_at_20',
    training: {
      // mBERT's (XLM-R large: 1e-5, batch 8 x 4).
      learning_rate: 2e-5,
      epochs: 2,
      batch_size: 64,
      accumulation: 4,
      max_length: 64,
      validation_metric: '+accuracy',
    },
    download: {
      recipe: 'mewslix',
      // No download holds the WikiNews article text: the user builds the dataset.
      sources: { mewslix: '' },
      manual: {
        mewslix: 'no download holds its WikiNews article text: build the dataset with Google\'s'
                 + ' script (5-10 minutes; needs python3, virtualenv, wget, bzip2, git, md5sum, zip):'
                 + ' wget -O google-research-master.zip'
                 + ' https://github.com/google-research/google-research/archive/refs/heads/master.zip'
                 + ' && unzip -q google-research-master.zip'
                 + ' && cd google-research-master/dense_representations_for_entity_retrieval/mel'
                 + ' && bash get-mewsli-x.sh (the svn export of XTREME\'s download_data.sh no'
                 + ' longer works); then pass its output directory mewsli_x/output/dataset'
                 + ' (candidate_set_entities.jsonl, wikipedia_pairs-{train,dev}.jsonl,'
                 + ' wikinews_mentions-{dev,test}.jsonl), or an archive of it',
      },
      // 535 MB of candidates and a user-built source: only with `--tasks mewslix`.
      by_default: false,
    },
    retrieval: {
      pooling: 'cls',
      max_query_length: 64,
      max_candidate_length: 64,
      k: 20,
      // XTREME's layout: mentions per split and language (test's `entity_id` is blanked), their
      // gold `{example_id: [entity_id]}`, and the entities every mention is ranked against.
      mentions: 'wikinews_mentions/{split}-{lang}.jsonl',
      labels: 'wikinews_labels/{split}-{lang}.json',
      candidates: 'candidate_set_entities.jsonl',
    },
  },
}
