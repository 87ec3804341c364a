// Mewsli-X (XTREME-R): the dual encoder `xtreme_dual_encoder` trained on English Wikipedia
// mention-entity pairs (mewslix/wikipedia_pairs-train.jsonl; selection on the in-batch accuracy
// of wikipedia_pairs-dev.jsonl), with XTREME's settings for mBERT (scripts/train_mewslix.sh:
// 2e-5, 2 epochs, batch 64 x 4, 64 sub-words, no warm-up or weight decay; XLM-R large: 1e-5 and
// batch 8 x 4 with `-o`). Batches are drawn at random (in-batch negatives).
// Scored on the WikiNews mentions with `xtreme-retrieval model.tar.gz $XLT_DATA_DIR --task mewslix`.
local xtreme = import 'xtreme.libsonnet';

xtreme.baseline('mewslix') + {
  data_loader: { batch_size: xtreme.tasks.mewslix.batch_size, shuffle: true },
}
