// UD-POS with R3F (Aghajanyan et al. 2021): the task loss plus a symmetric KL between the outputs at
// the clean and at noisy word embeddings (docs/consistency-objectives.md); select on English dev,
// evaluate zero-shot like the baseline. R4F-style settings or another scale:
//   -o '{"trainer.callbacks.0.epsilon": 1e-4, "trainer.callbacks.0.noise_type": "normal"}'
local xtreme = import 'xtreme.libsonnet';

xtreme.r3f('udpos')
