// MasakhaNER 2.0 zero-shot from PAN-X English with RS-DA: 5 synonym-perturbed copies of each
// PAN-X English sentence for 2 epochs, selected on clean PAN-X English dev; DATE read as O.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_da('masakhaner')
