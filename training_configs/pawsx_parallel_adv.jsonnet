// PAWS-X fine-tuned on English with parallel data (XLT_PARALLEL_DATA) and adversarial training on the
// word embeddings of the task's batches; the parallel batches are clean unless
// -o '{"model.perturb_english": true}' (alignment computed on the perturbed English side).
// See `parallel` in xtreme.libsonnet.
local xtreme = import 'xtreme.libsonnet';

xtreme.parallel(xtreme.adversarial('pawsx'), 'pawsx')
