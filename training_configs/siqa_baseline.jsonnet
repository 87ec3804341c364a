// SIQA (Social IQa), XTREME-R's intermediate task for XCOPA: fine-tune on
// siqa/socialIQa_v1.4_trn.jsonl, select on socialIQa_v1.4_dev.jsonl. Its model.tar.gz is the
// XLT_INTERMEDIATE_ARCHIVE of the xcopa_* configs (XTREME's scripts/train_xcopa.sh).
local xtreme = import 'xtreme.libsonnet';

xtreme.baseline('siqa')
