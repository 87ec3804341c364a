// UD-POS, adversarial training (PGD) on the word embeddings of the tagger's sub-words; select on
// English dev, evaluate zero-shot on udpos/test-{lang}.tsv.
local xtreme = import 'xtreme.libsonnet';

xtreme.adversarial('udpos')
