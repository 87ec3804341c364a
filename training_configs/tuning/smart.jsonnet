// `allennlp tune` of SMART's radius (its step is the radius: one step reaches the L-inf
// boundary) and KL weight (the paper's lambda_s in 1-5) on English dev: the task's SMART config
// (XLT_TASK, default xnli). Search space: smart.json.
local xtreme = import '../xtreme.libsonnet';
local epsilon = std.parseJson(std.extVar('epsilon'));

xtreme.tunable(xtreme.smart(std.extVar('XLT_TASK')), {
  epsilon: epsilon,
  alpha: epsilon,
  kl_weight: std.parseJson(std.extVar('kl_weight')),
})
