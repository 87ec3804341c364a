// PAN-X, adversarial training (PGD) on the word embeddings of the tagger's sub-words; select on
// English dev, evaluate zero-shot on panx/test-{lang}.tsv.
local xtreme = import 'xtreme.libsonnet';

xtreme.adversarial('panx')
