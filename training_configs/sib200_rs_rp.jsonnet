// SIB-200 with RS-RP: noise on the word embeddings during training (the `random_perturbation`
// callback), selected on clean English dev.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_rp('sib200')
