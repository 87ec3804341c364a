// `allennlp tune` of PGD's radius relative to the encoder's embedding scale: epsilon and alpha
// in units of the mean word-embedding norm (relative_to 'embedding_norm', see
// allennlp_robust_xlt/nn/embedding_scale.py), so that one search space serves every encoder.
// Search space: pgd_relative.json. Another method: XLT_TUNE_CALLBACK='{"method": "fast"}'
// (drop alpha_fraction from the space for fast and fgm).
local xtreme = import '../xtreme.libsonnet';
local epsilon = std.parseJson(std.extVar('epsilon'));

xtreme.tunable(xtreme.adversarial(std.extVar('XLT_TASK'), 'pgd'), {
  relative_to: 'embedding_norm',
  epsilon: epsilon,
  alpha: epsilon * std.parseJson(std.extVar('alpha_fraction')),
})
