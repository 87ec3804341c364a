// XCOPA, XTREME-R's second stage: fine-tune on English COPA (xcopa/train-en.jsonl), select on
// val-en.jsonl, evaluate zero-shot on xcopa/{val,test}-{lang}.jsonl. Starts from the SIQA archive
// (training_configs/siqa_baseline.jsonnet) that XLT_INTERMEDIATE_ARCHIVE names, its encoder and
// head, or from the pretrained XLT_TRANSFORMER when the variable is empty.
local xtreme = import 'xtreme.libsonnet';

xtreme.baseline('xcopa')
