// PAWS-X after an intermediate task, sequentially (Phang et al. 2020): fine-tune on English PAWS-X
// starting from the encoder of the intermediate task's model.tar.gz that XLT_INTERMEDIATE_ARCHIVE
// names (e.g. of xnli_baseline.jsonnet: English MNLI); the head starts fresh. Select on English
// dev, evaluate zero-shot like the baseline. See `sequential` in xtreme.libsonnet.
local xtreme = import 'xtreme.libsonnet';

xtreme.sequential(xtreme.baseline('pawsx'), 'pawsx')
