"""
Cross-lingual alignment of multilingual encoders, layer by layer (`xtreme-alignment`; the thin
subcommand is `allennlp_robust_xlt.commands.xtreme_alignment`). The modules: `inputs` (models,
languages and parallel sentences), `metrics`, `attack`, `run` (the analysis), `report` and
`plots`. Retrieval follows XTREME's Tatoeba protocol (Hu et al., ICML 2020); the cosine gap
reads the cosine of translations against that of non-translations, since multilingual encoders
are anisotropic; CKA is Kornblith et al.'s (ICML 2019); the alignment under perturbation below
is this project's own measure, with the attack of Huang et al. (EMNLP 2021).

**Data.** Every language is compared with English on parallel sentences:

* a pair-classification task's test (or dev) files, parallel line by line across languages
  (XNLI's 15-way parallel `xnli/{split}-{lang}.tsv`, PAWS-X's, the synthetic benchmark's
  `pawsx/test-{lang}.tsv`): the first sentence of line i in English and in the language
  (`PARALLEL_SENTENCE`); files of different lengths are an error naming the longer file and its
  first line without a counterpart;
* Tatoeba's sentence pairs (`retrieval/tatoeba.py`: LASER's files, line-aligned).

A pair is kept once: a line whose English or foreign sentence already appeared in an earlier
kept line is skipped (XNLI repeats each premise for its three hypotheses; a repeated sentence
would make retrieval ambiguous and count in the random pairs as its own translation). The
number kept is in the report.

**Embeddings.** The shared engine (`retrieval/sentence_encoder.py`): a model name, a local
directory or an AllenNLP `model.tar.gz` (its fine-tuned transformer), sentences as XTREME feeds
them, mean pooling over the attention mask (special tokens included) or CLS, and every layer,
numbered like Hugging Face's `hidden_states` (0 = the embedding output), from one forward pass.
Per model, the English sentences of a file are embedded once for all languages, each language's
sentences once.

**Metrics**, per model, language and layer (x_i English, y_i its translation, e the pooled
embedding at the layer, n kept pairs):

* `cos_parallel` = mean_i cos(e(x_i), e(y_i));
* `cos_random` = mean_{i != j} cos(e(x_i), e(y_j)) (all n (n - 1) non-translation pairs,
  computed from the sums of the unit vectors, without the n x n matrix);
* `cos_gap` = `cos_parallel - cos_random`: anisotropy makes raw cosines high for any pair, so
  the gap and retrieval are what to read first;
* `p_at_1`: the fraction of English sentences whose nearest foreign sentence by cosine is their
  translation (XTREME's Tatoeba direction: English queries); `p_at_1_reverse`: foreign queries.
  Exact search (`retrieval/search.py`), ties to the lower index as in faiss;
* `cka`: linear CKA (Kornblith et al. 2019) of the two n x d matrices of embeddings, columns
  centred, in float64: `||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F)` (feature form, when d <= n),
  or the same number from the n x n Gram matrices (`<K, L>_F / (||K||_F ||L||_F)`, K = X X^T,
  when n < d).

The **summary layer** is `--layer`, else XTREME's retrieval layer for the model (Tatoeba's:
`hidden_states[8]` of mBERT, `[14]` of XLM-R large; other models `round(2 L / 3)`, see
`SentenceEncoder.default_layer`).

**Alignment under perturbation** (`--attack '<embedding_attack JSON>'`): each English
sentence's word embeddings get the perturbation, within the attack's ball (`norm`, `epsilon`,
`alpha`, `steps`, `random_init`, `seed` of the `embedding_attack` evaluator, whose start and
PGD step are used), that maximises

    L(delta) = - cos(e_l(x + delta), e_l(y))

at the model's summary layer l, y the translation (its clean embedding is the target, fixed):
projected gradient ascent on the cosine distance between the English sentence and its
translation, an encoder having no task head whose loss could be attacked. One ball per
sentence over its real tokens, the model frozen in eval mode. The attack depends on the
language (the targets are its translations), so each language attacks its own English copy.
The same metrics are then computed with the perturbed English embeddings at every layer
(`attacked_<metric>`, beside the clean ones; the foreign side stays clean) and the mean
perturbation norm. The stability is `attacked_cos_parallel - cos_parallel` (the report
shows it). With `epsilon` 0 the attacked metrics equal the clean ones exactly: under an attack,
the clean English embeddings of each language are computed in the attack's own batches.

**Outputs** (`output_dir`, a non-empty one only with `force`; written all at once at the end):
`alignment.csv` (`ALIGNMENT_COLUMNS`, one row per model, language and layer, then the attacked
columns under an attack), `alignment.md` (the summary at the summary layer and the layer
profile of each model), `alignment.json` (`summary_layer` — null when the models' defaults
differ —, `summary_layers` per model and the settings) and the plots `alignment_layers.png`
(cos gap and P@1 per layer, averaged over the languages, a line per model) and
`alignment_languages.png` (per language at the summary layer). Models given as `NAME=MODEL` are
written as `NAME` (`xtreme-compare` matches `NAME` and `NAME#k` with its methods).
"""
