// UD-POS with SMART (training_configs/udpos_smart.jsonnet) plus SMART's consistency term on
// unlabelled target-language inputs: the files {lang}.tsv of XLT_UNLABELED_DATA (one word per line,
// a blank line between sentences) in the languages of XLT_UNLABELED_LANGUAGES (default: every file
// there), one unlabelled batch per step, never a supervised loss; model selection on English dev
// (docs/unlabeled-text-and-averaging.md). Using the benchmark's own test inputs there is
// transductive: use other raw text of the languages.
local xtreme = import 'xtreme.libsonnet';

xtreme.unlabeled(xtreme.smart('udpos'), 'udpos')
