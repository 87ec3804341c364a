// MasakhaNER 2.0 zero-shot from PAN-X English with RS-RP (noise on the word embeddings during
// training), selected on PAN-X English dev; DATE read as O in the evaluation.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_rp('masakhaner')
