"""
Language metadata of the XTREME and XTREME-R benchmarks.

`LANGUAGES` maps a language code to its `Language` (name, family, genus, script, ISO 639-3 code,
WALS entry) for the 40 XTREME languages and the 10 that XTREME-R adds (az gu ht lt pa pl qu ro
uk wo). Each task's languages are in the task table
(`allennlp_robust_xlt/tasks.libsonnet`).

Codes of ISO 639-2's range reserved for local use (`qaa` to `qtz`) are accepted as languages of
one's own data (the synthetic benchmark uses them); `register_languages` or a `languages.tsv`
file beside the data (`load_language_file`: `code<TAB>name<TAB>family<TAB>genus<TAB>script`)
gives them, or any other new code, a name and a family for reports. Error messages list the
benchmark languages only. `check_language_codes` turns an unknown code into an error that lists
the known ones.

Families and genera: WALS (Dryer & Haspelmath, eds., The World Atlas of Language Structures
Online; `cldf/languages.csv` of github.com/cldf-datasets/wals v2020.4, CC BY 4.0), read from the
language (doculect) whose id is the `wals` column. Where WALS has several doculects for one ISO
code (German, Greek, Spanish, Basque, Hebrew, Indonesian, Italian, Dutch, Tamil, Romanian,
Mandarin) the standard variety was taken; they agree on family and genus. Azerbaijani is WALS
`aze`, which lists both azj and azb. WALS files Haitian Creole under the family "other", genus
"Creoles and Pidgins": the table uses the genus as its family too. XTREME's README labels differ
in places: it says Turkic where WALS says Altaic (family; genus Turkic), Japonic for Japanese,
Koreanic (an isolate) for Korean, Kra-Dai for Tai-Kadai, Austroasiatic for Austro-Asiatic.

ISO 639-3 codes are the individual languages, not the macrolanguages that lang2vec maps
two-letter codes to (ar arb, et ekk, fa pes, ms zsm, sw swh, zh cmn, az azj, qu quy; see
`allennlp_robust_xlt.analysis.language_distances`).
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.common.line_reading import decode_line, numbered_lines

SOURCE_LANGUAGE = "en"
"""The language the models are fine-tuned on in the zero-shot setting."""


@dataclass(frozen=True)
class Language:
    code: str
    """The code the benchmark uses (ISO 639-1 for XTREME's languages; local-use `qaa`... for one's own)."""
    name: str
    family: str
    """Top-level language family as WALS names it (isolates are their own family)."""
    genus: str
    """WALS genus: the branch within the family (e.g. Germanic, Romance, Indic)."""
    script: str
    iso639_3: str = ""
    """The individual-language ISO 639-3 code (not the macrolanguage: `arb`, not `ara`)."""
    wals: str = ""
    """The WALS language (doculect) id the family and genus were read from, when there is one."""
    lineage: str = ""
    """For the derived table's languages: the Glottolog-derived lineage (URIEL), ` > `-joined."""


def _table(rows: Iterable[Tuple[str, ...]]) -> Dict[str, Language]:
    return {row[0]: Language(*row) for row in rows}


# The 40 XTREME languages (Hu et al., 2020), then the 10 added by XTREME-R (Ruder et al., 2021).
# Columns: code, name, WALS family, WALS genus, script, ISO 639-3 code, WALS id (see the module
# docstring for the source and the choices).
XTREME_LANGUAGES: Dict[str, Language] = _table(
    [
        ("af", "Afrikaans", "Indo-European", "Germanic", "Latin", "afr", "afr"),
        ("ar", "Arabic", "Afro-Asiatic", "Semitic", "Arabic", "arb", "ams"),
        ("bg", "Bulgarian", "Indo-European", "Slavic", "Cyrillic", "bul", "bul"),
        ("bn", "Bengali", "Indo-European", "Indic", "Bengali", "ben", "ben"),
        ("de", "German", "Indo-European", "Germanic", "Latin", "deu", "ger"),
        ("el", "Greek", "Indo-European", "Greek", "Greek", "ell", "grk"),
        ("en", "English", "Indo-European", "Germanic", "Latin", "eng", "eng"),
        ("es", "Spanish", "Indo-European", "Romance", "Latin", "spa", "spa"),
        ("et", "Estonian", "Uralic", "Finnic", "Latin", "ekk", "est"),
        ("eu", "Basque", "Basque", "Basque", "Latin", "eus", "bsq"),
        ("fa", "Persian", "Indo-European", "Iranian", "Arabic", "pes", "prs"),
        ("fi", "Finnish", "Uralic", "Finnic", "Latin", "fin", "fin"),
        ("fr", "French", "Indo-European", "Romance", "Latin", "fra", "fre"),
        ("he", "Hebrew", "Afro-Asiatic", "Semitic", "Hebrew", "heb", "heb"),
        ("hi", "Hindi", "Indo-European", "Indic", "Devanagari", "hin", "hin"),
        ("hu", "Hungarian", "Uralic", "Ugric", "Latin", "hun", "hun"),
        ("id", "Indonesian", "Austronesian", "Malayo-Sumbawan", "Latin", "ind", "ind"),
        ("it", "Italian", "Indo-European", "Romance", "Latin", "ita", "ita"),
        ("ja", "Japanese", "Japanese", "Japanese", "Kanji/Kana", "jpn", "jpn"),
        ("jv", "Javanese", "Austronesian", "Javanese", "Latin", "jav", "jav"),
        ("ka", "Georgian", "Kartvelian", "Kartvelian", "Georgian", "kat", "geo"),
        ("kk", "Kazakh", "Altaic", "Turkic", "Cyrillic", "kaz", "kaz"),
        ("ko", "Korean", "Korean", "Korean", "Hangul", "kor", "kor"),
        ("ml", "Malayalam", "Dravidian", "Dravidian", "Malayalam", "mal", "mym"),
        ("mr", "Marathi", "Indo-European", "Indic", "Devanagari", "mar", "mhi"),
        ("ms", "Malay", "Austronesian", "Malayo-Sumbawan", "Latin", "zsm", "mly"),
        ("my", "Burmese", "Sino-Tibetan", "Burmese-Lolo", "Myanmar", "mya", "brm"),
        ("nl", "Dutch", "Indo-European", "Germanic", "Latin", "nld", "dut"),
        ("pt", "Portuguese", "Indo-European", "Romance", "Latin", "por", "por"),
        ("ru", "Russian", "Indo-European", "Slavic", "Cyrillic", "rus", "rus"),
        ("sw", "Swahili", "Niger-Congo", "Bantu", "Latin", "swh", "swa"),
        ("ta", "Tamil", "Dravidian", "Dravidian", "Tamil", "tam", "tml"),
        ("te", "Telugu", "Dravidian", "Dravidian", "Telugu", "tel", "tel"),
        ("th", "Thai", "Tai-Kadai", "Kam-Tai", "Thai", "tha", "tha"),
        ("tl", "Tagalog", "Austronesian", "Greater Central Philippine", "Latin", "tgl", "tag"),
        ("tr", "Turkish", "Altaic", "Turkic", "Latin", "tur", "tur"),
        ("ur", "Urdu", "Indo-European", "Indic", "Arabic", "urd", "urd"),
        ("vi", "Vietnamese", "Austro-Asiatic", "Vietic", "Latin", "vie", "vie"),
        ("yo", "Yoruba", "Niger-Congo", "Defoid", "Latin", "yor", "yor"),
        ("zh", "Chinese", "Sino-Tibetan", "Chinese", "Chinese characters", "cmn", "mnd"),
    ]
)

XTREME_R_ADDED_LANGUAGES: Dict[str, Language] = _table(
    [
        ("az", "Azerbaijani", "Altaic", "Turkic", "Latin", "azj", "aze"),
        ("gu", "Gujarati", "Indo-European", "Indic", "Gujarati", "guj", "guj"),
        (
            "ht",
            "Haitian Creole",
            "Creoles and Pidgins",
            "Creoles and Pidgins",
            "Latin",
            "hat",
            "hcr",
        ),
        ("lt", "Lithuanian", "Indo-European", "Baltic", "Latin", "lit", "lit"),
        ("pa", "Punjabi", "Indo-European", "Indic", "Gurmukhi", "pan", "pan"),
        ("pl", "Polish", "Indo-European", "Slavic", "Latin", "pol", "pol"),
        ("qu", "Quechua", "Quechuan", "Quechuan", "Latin", "quy", "qay"),
        ("ro", "Romanian", "Indo-European", "Romance", "Latin", "ron", "rom"),
        ("uk", "Ukrainian", "Indo-European", "Slavic", "Cyrillic", "ukr", "ukr"),
        ("wo", "Wolof", "Niger-Congo", "Wolof", "Latin", "wol", "wlf"),
    ]
)

LANGUAGES: Dict[str, Language] = {**XTREME_LANGUAGES, **XTREME_R_ADDED_LANGUAGES}
"""The benchmark languages, by code."""

LANGUAGE_TABLE = Path(__file__).with_name("language_table.tsv")


def _derived_table(path: Path = LANGUAGE_TABLE) -> Dict[str, Language]:
    """The languages of `language_table.tsv` (see `common/language_table.py`, which derives it)."""
    languages = {}
    with open(path, encoding="utf-8") as table:
        for number, line in enumerate(table, 1):
            columns = line.rstrip("\n").split("\t")
            if number == 1:
                continue
            code, name, family, genus, script, iso, lineage = columns
            languages[code] = Language(code, name, family, genus, script, iso, "", lineage)
    return languages


DERIVED_LANGUAGES: Dict[str, Language] = _derived_table()
"""
The languages of the tasks beyond XTREME-R (SIB-200's Flores-200 codes such as `eng_Latn`,
MasakhaNER's ISO 639-3 codes such as `yor`), with the family and genus derived from URIEL's
Glottolog-based genetic features and names from the IANA registry / CLDR (`language_table.py`).
"""

LOCAL_USE_CODE = re.compile(r"^q[a-t][a-z]$")
"""ISO 639-2's codes reserved for local use."""

_REGISTERED: Dict[str, Language] = {}


def register_languages(languages: Iterable[Language]) -> None:
    """Names and families for languages of one's own data (local-use or other new codes)."""
    for language in languages:
        if language.code in LANGUAGES or language.code in DERIVED_LANGUAGES:
            raise ParameterError(
                "languages", language.code, "is a benchmark language and cannot be redefined"
            )
        _REGISTERED[language.code] = language


def load_language_file(path: Union[str, Path]) -> List[Language]:
    """
    Registers the languages of a `languages.tsv` file (`code, name, family, genus, script`, tab
    separated, `#` comments) and returns them.
    """
    languages = []
    for number, raw in numbered_lines(str(path)):
        text = decode_line(raw, str(path), number)
        if text.startswith("#"):
            continue
        columns = text.split("\t")
        if len(columns) != 5 or not all(column.strip() for column in columns):
            raise InputFileError(
                path, number, "expected 5 tab-separated columns: code, name, family, genus, script"
            )
        if not re.fullmatch(r"[a-z]{2,3}", columns[0]):
            raise InputFileError(path, number, f"{columns[0]!r} is not a 2- or 3-letter code")
        languages.append(Language(*columns))
    register_languages(languages)
    return languages


def get_language(code: str) -> Optional[Language]:
    return LANGUAGES.get(code) or DERIVED_LANGUAGES.get(code) or _REGISTERED.get(code)


def is_known_language(code: str) -> bool:
    return (
        code in LANGUAGES
        or code in DERIVED_LANGUAGES
        or code in _REGISTERED
        or bool(LOCAL_USE_CODE.match(code))
    )


def is_source_language(code: str) -> bool:
    """Whether `code` is English, the source language (`en`, or a code such as `eng_Latn`)."""
    language = get_language(code)
    return code == SOURCE_LANGUAGE or (language is not None and language.iso639_3 == "eng")


def describe_known_codes(first: Sequence[str] = (), first_label: str = "") -> str:
    """`known codes: ...` for error messages (`first`, e.g. a task's languages, listed first)."""
    if first:
        others = sorted(code for code in LANGUAGES if code not in first)
        return f"{first_label}: {' '.join(first)}; other known codes: {' '.join(others)}"
    return f"known codes: {' '.join(sorted(LANGUAGES))}"


def check_language_codes(
    codes: Sequence[str], known: Sequence[str], component: str, parameter: str
) -> List[str]:
    """The codes, unchanged, or a `ParameterError` naming the first unknown one and the known ones."""
    for code in codes:
        if code not in known:
            raise ParameterError(
                component,
                parameter,
                f"has the unknown language code {code!r}; known codes: {' '.join(known)}",
            )
    return list(codes)


def family_groups(codes: Iterable[str]) -> Mapping[str, List[str]]:
    """Codes grouped by language family, families in order of first appearance."""
    groups: Dict[str, List[str]] = {}
    for code in codes:
        language = get_language(code)
        family = language.family if language is not None else "unknown"
        groups.setdefault(family, []).append(code)
    return groups
