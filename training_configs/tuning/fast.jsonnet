// `allennlp tune` of Fast AT's epsilon (Wong et al.: one step of 1.25 epsilon from a random
// start, so the step follows epsilon); search space: fast.json.
local xtreme = import '../xtreme.libsonnet';

xtreme.tunable(xtreme.adversarial(std.extVar('XLT_TASK'), 'fast'), {
  epsilon: std.parseJson(std.extVar('epsilon')),
})
