"""
The language table of the tasks beyond XTREME-R (SIB-200's Flores-200 codes, MasakhaNER's ISO
639-3 codes), derived from maintained sources, never typed by hand:

* **family and genus**: URIEL's genetic features as lang2vec 1.1.2 ships them (`fam`,
  `family_features.npz`: one-hot membership `F_<name>` in the nodes of the Glottolog-derived
  family tree, for 7,970 ISO 639-3 codes). A node's members are the languages that have its
  feature, so a language's lineage is its nodes from the largest (the family) to the smallest;
  the **family** is the first node, the **genus** the second (the family's first subgroup), or
  the family again for a language with one node (an isolate such as Korean). A language that
  URIEL has no `fam` data for has the family `Unclassified` (see `docs/languages-beyond-xtreme.md`).
* **names**: `langcodes` with its `language_data` (the IANA subtag registry and CLDR), for the
  ISO 639-3 code; **scripts** likewise for the ISO 15924 code of a Flores code `xxx_Scrp`.

`language_table.tsv` beside this module is the table this module writes; a test checks that it
equals what `generate_rows()` gives. Regenerate it after a change of the task table's languages:

    python -m allennlp_robust_xlt.common.language_table

Columns (tab-separated, one header line): `code, name, family, genus, script, iso639_3,
lineage` (the lineage's nodes joined by ` > `). `common/languages.py` reads it.
"""

import json
import os
import sys
import warnings
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import _jsonnet
import numpy

TABLE = Path(__file__).with_name("language_table.tsv")
TASK_TABLE = Path(__file__).parent.parent / "tasks.libsonnet"
COLUMNS = ("code", "name", "family", "genus", "script", "iso639_3", "lineage")
UNCLASSIFIED = "Unclassified"
"""The family of a language without URIEL `fam` data."""
LINEAGE_SEPARATOR = " > "


def split_code(code: str) -> Tuple[str, str]:
    """`(ISO 639-3 code, ISO 15924 script or "")` of a code: `zho_Hant` -> (`zho`, `Hant`)."""
    language, _, script = code.partition("_")
    return language, script


def table_codes(xtreme_codes: Sequence[str]) -> List[str]:
    """Every test language of the task table that is not one of `xtreme_codes`, in table order."""
    rows = json.loads(_jsonnet.evaluate_file(str(TASK_TABLE)))
    codes: List[str] = []
    for row in rows.values():
        for field in ("languages", "xtreme_r_languages", "train_languages"):
            for code in row[field]:
                if code not in xtreme_codes and code not in codes:
                    codes.append(code)
    return codes


class FamilyTree:
    """URIEL's `fam` features (lang2vec 1.1.2): each language's lineage, largest node first."""

    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lang2vec imports the deprecated pkg_resources
            import lang2vec.lang2vec as l2v
        path = os.path.join(os.path.dirname(l2v.__file__), "data", "family_features.npz")
        with numpy.load(path) as data:
            self.features = [str(name)[2:] for name in data["feats"]]  # drop "F_"
            self.languages = {str(code): index for index, code in enumerate(data["langs"])}
            self.membership = data["data"][:, :, 0] == 1
        self.sizes = self.membership.sum(axis=0)

    def lineage(self, iso: str) -> List[str]:
        """The nodes `iso` belongs to, from the family down (empty when URIEL lacks it)."""
        index = self.languages.get(iso)
        if index is None:
            return []
        nodes = numpy.nonzero(self.membership[index])[0]
        # Larger nodes contain smaller ones; ties (a node and its only child) by feature order.
        ordered = sorted(nodes, key=lambda node: (-int(self.sizes[node]), int(node)))
        return [self.features[node] for node in ordered]


def family_and_genus(lineage: Sequence[str]) -> Tuple[str, str]:
    if not lineage:
        return UNCLASSIFIED, UNCLASSIFIED
    return lineage[0], lineage[1] if len(lineage) > 1 else lineage[0]


def _names() -> Tuple[object, object]:
    import langcodes

    def language_name(iso: str) -> str:
        return str(langcodes.Language.get(iso).display_name())

    def script_name(script: str) -> str:
        return str(langcodes.Language.get(f"und-{script}").script_name()) if script else ""

    return language_name, script_name


def generate_rows(codes: Optional[Sequence[str]] = None) -> List[Tuple[str, ...]]:
    """The table's rows for `codes` (default: the task table's non-XTREME-R languages)."""
    if codes is None:
        from allennlp_robust_xlt.common.languages import LANGUAGES

        codes = table_codes(list(LANGUAGES))
    tree = FamilyTree()
    language_name, script_name = _names()
    rows = []
    for code in codes:
        iso, script = split_code(code)
        lineage = tree.lineage(iso)
        family, genus = family_and_genus(lineage)
        rows.append(
            (
                code,
                language_name(iso),  # type: ignore[operator]
                family,
                genus,
                script_name(script),  # type: ignore[operator]
                iso,
                LINEAGE_SEPARATOR.join(lineage),
            )
        )
    return rows


def table_text(rows: Sequence[Tuple[str, ...]]) -> str:
    return "".join("\t".join(row) + "\n" for row in [COLUMNS, *rows])


def derived_disagreements() -> List[Tuple[str, str, str, str, str]]:
    """
    `(code, hand family, derived family, hand genus, derived genus)` for each of the 50
    hand-checked XTREME-R languages whose derived family or genus differs from the hand-checked
    (WALS) one.
    """
    from allennlp_robust_xlt.common.languages import LANGUAGES

    tree = FamilyTree()
    rows = []
    for code, language in LANGUAGES.items():
        family, genus = family_and_genus(tree.lineage(language.iso639_3))
        if (family, genus) != (language.family, language.genus):
            rows.append((code, language.family, family, language.genus, genus))
    return rows


def main(argv: Sequence[str]) -> int:
    if argv[1:2] == ["--disagreements"]:
        print("| code | WALS family | derived family | WALS genus | derived genus |")
        print("|---|---|---|---|---|")
        for row in derived_disagreements():
            print("| " + " | ".join(row) + " |")
        return 0
    TABLE.write_text(table_text(generate_rows()), encoding="utf-8")
    print(f"wrote {TABLE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
