// MasakhaNER 2.0 zero-shot from PAN-X English with adversarial training on the word embeddings
// (PGD by default), selected on PAN-X English dev; DATE read as O in the evaluation.
local xtreme = import 'xtreme.libsonnet';

xtreme.adversarial('masakhaner')
