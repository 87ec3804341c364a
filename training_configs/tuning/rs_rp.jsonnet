// `allennlp tune` of RS-RP's noise scale (Gaussian, per coordinate); search space: rs_rp.json.
local xtreme = import '../xtreme.libsonnet';

xtreme.tunable(xtreme.rs_rp(std.extVar('XLT_TASK')), {
  scale: std.parseJson(std.extVar('scale')),
})
