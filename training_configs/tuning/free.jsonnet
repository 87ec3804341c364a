// `allennlp tune` of "free" adversarial training's ball and replays (its step is epsilon, as
// Shafahi et al.'s); search space: free.json.
local xtreme = import '../xtreme.libsonnet';

xtreme.tunable(xtreme.adversarial(std.extVar('XLT_TASK'), 'free'), {
  epsilon: std.parseJson(std.extVar('epsilon')),
  replays: std.parseJson(std.extVar('replays')),
})
