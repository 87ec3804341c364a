// PAWS-X after an intermediate task, sequentially, with adversarial training on the word
// embeddings (PGD): the encoder of XLT_INTERMEDIATE_ARCHIVE's model (e.g. of xnli_adv.jsonnet for
// a robust intermediate stage, or of xnli_baseline.jsonnet), then English PAWS-X with the
// `adversarial_training` callback. See `sequential` in xtreme.libsonnet.
local xtreme = import 'xtreme.libsonnet';

xtreme.sequential(xtreme.adversarial('pawsx'), 'pawsx')
