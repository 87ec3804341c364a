// PAWS-X trained jointly with an intermediate task (default English MNLI; another with
// XLT_INTERMEDIATE_TASK): AllenNLP's multitask model, one shared transformer and one head per
// task, both English training sets mixed by the multitask data loader; model selection on
// English PAWS-X dev; the archive evaluates and predicts PAWS-X. See `joint` in xtreme.libsonnet.
local xtreme = import 'xtreme.libsonnet';

xtreme.joint(xtreme.baseline('pawsx'), 'pawsx')
