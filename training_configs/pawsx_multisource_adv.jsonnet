// PAWS-X trained on several source languages at once (multi-source transfer, with adversarial
// training on the word embeddings): English and the machine-translated training sets
// `pawsx/translate-train/train-{lang}.tsv` of the languages in XLT_SOURCE_LANGUAGES (comma list,
// default en), mixed by AllenNLP's multitask data loader; model selection on the source
// languages' dev sets. See `multisource` in xtreme.libsonnet.
local xtreme = import 'xtreme.libsonnet';

xtreme.multisource(xtreme.adversarial('pawsx'), 'pawsx')
