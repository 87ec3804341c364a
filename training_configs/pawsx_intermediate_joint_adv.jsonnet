// PAWS-X trained jointly with an intermediate task (default English MNLI; XLT_INTERMEDIATE_TASK),
// with adversarial training on the shared transformer's word embeddings for every batch of
// either task. See `joint` in xtreme.libsonnet.
local xtreme = import 'xtreme.libsonnet';

xtreme.joint(xtreme.adversarial('pawsx'), 'pawsx')
