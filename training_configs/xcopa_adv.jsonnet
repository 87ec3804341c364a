// XCOPA with adversarial training on the word embeddings (PGD by default; see xtreme.libsonnet),
// after the intermediate task when XLT_INTERMEDIATE_ARCHIVE names the SIQA archive. The ball is
// per example and choice.
local xtreme = import 'xtreme.libsonnet';

xtreme.adversarial('xcopa')
