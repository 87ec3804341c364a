// `allennlp tune` of FreeLB's ball, step size and number of steps; search space: freelb.json.
local xtreme = import '../xtreme.libsonnet';
local epsilon = std.parseJson(std.extVar('epsilon'));

xtreme.tunable(xtreme.adversarial(std.extVar('XLT_TASK'), 'freelb'), {
  epsilon: epsilon,
  alpha: epsilon * std.parseJson(std.extVar('alpha_fraction')),
  steps: std.parseJson(std.extVar('steps')),
})
