// XNLI with SMART (Jiang et al. 2020): the task loss plus the symmetric KL at an adversarial
// perturbation of the word embeddings and the Bregman proximal term against a moving-average
// teacher (docs/consistency-objectives.md); select on English dev, evaluate zero-shot like the
// baseline. Without the teacher (ALUM's term): -o '{"trainer.callbacks.0.proximal_weight": 0}'
local xtreme = import 'xtreme.libsonnet';

xtreme.smart('xnli')
