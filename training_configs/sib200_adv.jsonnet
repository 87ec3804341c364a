// SIB-200 with adversarial training on the input word embeddings (PGD by default; see
// `adversarial` in xtreme.libsonnet), selected on clean English dev.
local xtreme = import 'xtreme.libsonnet';

xtreme.adversarial('sib200')
