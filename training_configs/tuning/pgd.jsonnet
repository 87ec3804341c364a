// `allennlp tune` (allennlp-optuna) of PGD's perturbation size on English dev: the task's
// adversarial config (XLT_TASK, default xnli) with the epsilon and step size of each trial.
// Search space: pgd.json. See training_configs/xtreme.libsonnet's `tunable` and the README.
local xtreme = import '../xtreme.libsonnet';
local epsilon = std.parseJson(std.extVar('epsilon'));

xtreme.tunable(xtreme.adversarial(std.extVar('XLT_TASK'), 'pgd'), {
  epsilon: epsilon,
  alpha: epsilon * std.parseJson(std.extVar('alpha_fraction')),
})
