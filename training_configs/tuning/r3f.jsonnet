// `allennlp tune` of R3F's noise scale and KL weight on English dev (fairseq's examples/rxf
// search lambda in 0.1-5): the task's R3F config (XLT_TASK, default xnli). Search space: r3f.json.
local xtreme = import '../xtreme.libsonnet';

xtreme.tunable(xtreme.r3f(std.extVar('XLT_TASK')), {
  epsilon: std.parseJson(std.extVar('epsilon')),
  kl_weight: std.parseJson(std.extVar('kl_weight')),
})
