"""
The comparison of runs behind `xtreme-compare`: methods x seeds of `xtreme-report` directories,
per language and family, gains over a reference method with bootstrap intervals, and their
correlation with language distances and with the change of cross-lingual alignment.

**Inputs.** Each method has one `xtreme-report` directory per seed (`metrics.json`, see
`read_report`; optional `per_example/*.jsonl`, see `allennlp_robust_xlt.analysis.per_example`).
Every directory must be of the same task and split, and have the metric compared. Languages are
those every directory reports; source languages (`source_languages` of `metrics.json`, English
when absent) are reported but are not targets: family averages and correlations use the target
languages only.

**Per language and method** (`comparison.csv`): the mean of the metric over the seeds, its gain
over the reference method's mean, and a 95% percentile bootstrap interval of the gain:
- `interval = examples` when every directory has per-example results for every language (and
  pair): each replicate draws the test examples of a language with replacement, the same draw
  for every run (paired), recomputes each run's metric on it and averages over seeds. The
  interval is that of the test-set sample, for these trained models (seed variation is averaged,
  not resampled).
- `interval = seeds` otherwise: each replicate draws, per method, its seeds with replacement
  (the same draw for every language, so family averages stay coherent). No interval (empty)
  unless both the method and the reference have at least 2 seeds; with 2-3 seeds it is coarse.

**Families** (`families.csv`): for each WALS family and genus (`common.languages`, or a
`--families FILE` with `language,family[,genus]` for other languages), and for all target
languages together: the mean over its target languages of each method's mean, the mean gain,
and the interval from the same replicates averaged over the group's languages.

**Correlations** (`correlations.csv`, one row per test): Spearman's rho and Pearson's r of each
method's per-language gain with each predictor, over the target languages where the predictor
is defined (`n`); `p_value` is Spearman's two-sided permutation p-value, `p_holm` its Holm
adjustment over every row of the file, `p_pearson` Pearson's permutation p (not adjusted).
Predictors:
- `lang2vec:NAME`: the lang2vec-feature cosine distance of the language from English
  (`analysis.language_distances`; `--lang2vec` chooses the sets).
- `distance:NAME`: a user distance from `--distances FILE` (`language,distance_name,value`).
- `alignment:cos_gap`, `alignment:p_at_1` (with `--alignment DIR`): the method's model minus the
  reference model, per language, at the alignment summary layer.
- For generalized runs (reports with `pairs`), with `unit = pair`: the gain on pair l1-l2 against
  `NAME:mean`, the mean of the two languages' distances from English (English's own being 0),
  and `NAME:between`, the distance between l1 and l2 (lang2vec only). Pairs share languages, so
  they are not independent: read these p-values as descriptive.
With `scores`, also each method's own per-language score against the same distances and its
model's alignment level (`quantity = score`).

**Alignment** (`--alignment DIR`, an `xtreme-alignment` output): `alignment.csv` with the columns
`ALIGNMENT_COLUMNS`, one row per model, language and layer. A method matches the rows whose
`model` is its name (xtreme-alignment's `NAME=MODEL` arguments), or `NAME#k` (one model per seed;
averaged). The layer is `summary_layer` of `alignment.json` unless `alignment_layer` is given.
"""
