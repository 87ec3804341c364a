// SQuAD v1.1 (see squad_baseline.jsonnet) with adversarial training on the word embeddings of
// the question and context sub-words (PGD; FGM or FreeLB: -o '{"trainer.callbacks.0.method": "fgm"}').
local xtreme = import 'xtreme.libsonnet';

xtreme.adversarial('squad')
