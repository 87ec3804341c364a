// `allennlp tune` of RS-RP's Gaussian noise relative to the encoder's embedding scale: the
// standard deviation per coordinate in units of the typical coordinate size (the mean
// word-embedding norm over the square root of the hidden size; relative_to 'embedding_norm',
// see allennlp_robust_xlt/nn/embedding_scale.py). Search space: rs_rp_relative.json.
local xtreme = import '../xtreme.libsonnet';

xtreme.tunable(xtreme.rs_rp(std.extVar('XLT_TASK')), {
  relative_to: 'embedding_norm',
  scale: std.parseJson(std.extVar('scale')),
})
