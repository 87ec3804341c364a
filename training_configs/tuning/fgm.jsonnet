// `allennlp tune` of FGM's epsilon (its single step has length epsilon); search space: fgm.json.
local xtreme = import '../xtreme.libsonnet';

xtreme.tunable(xtreme.adversarial(std.extVar('XLT_TASK'), 'fgm'), {
  epsilon: std.parseJson(std.extVar('epsilon')),
})
