"""
Language metadata of the XTREME and XTREME-R benchmarks.

`LANGUAGES` maps a language code to its `Language` (name, family, genus, script) for the 40
XTREME languages and the 10 that XTREME-R adds. Each task's languages are in the task table
(`allennlp_robust_xlt/tasks.libsonnet`).

Codes of ISO 639-2's range reserved for local use (`qaa` to `qtz`) are accepted as languages of
one's own data (the synthetic benchmark uses them); `register_languages` or a `languages.tsv`
file beside the data (`load_language_file`: `code<TAB>name<TAB>family<TAB>genus<TAB>script`)
gives them, or any other new code, a name and a family for reports. Error messages list the
benchmark languages only. `check_language_codes` turns an unknown code into an error that lists
the known ones.
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
    name: str
    family: str
    """Top-level language family (e.g. Indo-European); isolates are their own family."""
    genus: str
    """Branch within the family (e.g. Germanic, Romance, Indo-Aryan)."""
    script: str


def _table(rows: Iterable[Tuple[str, str, str, str, str]]) -> Dict[str, Language]:
    return {
        code: Language(code, name, family, genus, script)
        for code, name, family, genus, script in rows
    }


# The 40 XTREME languages (Hu et al., 2020), then the 10 added by XTREME-R (Ruder et al., 2021).
XTREME_LANGUAGES: Dict[str, Language] = _table(
    [
        ("af", "Afrikaans", "Indo-European", "Germanic", "Latin"),
        ("ar", "Arabic", "Afro-Asiatic", "Semitic", "Arabic"),
        ("bg", "Bulgarian", "Indo-European", "Slavic", "Cyrillic"),
        ("bn", "Bengali", "Indo-European", "Indo-Aryan", "Bengali"),
        ("de", "German", "Indo-European", "Germanic", "Latin"),
        ("el", "Greek", "Indo-European", "Hellenic", "Greek"),
        ("en", "English", "Indo-European", "Germanic", "Latin"),
        ("es", "Spanish", "Indo-European", "Romance", "Latin"),
        ("et", "Estonian", "Uralic", "Finnic", "Latin"),
        ("eu", "Basque", "Basque", "Basque", "Latin"),
        ("fa", "Persian", "Indo-European", "Iranian", "Arabic"),
        ("fi", "Finnish", "Uralic", "Finnic", "Latin"),
        ("fr", "French", "Indo-European", "Romance", "Latin"),
        ("he", "Hebrew", "Afro-Asiatic", "Semitic", "Hebrew"),
        ("hi", "Hindi", "Indo-European", "Indo-Aryan", "Devanagari"),
        ("hu", "Hungarian", "Uralic", "Ugric", "Latin"),
        ("id", "Indonesian", "Austronesian", "Malayo-Polynesian", "Latin"),
        ("it", "Italian", "Indo-European", "Romance", "Latin"),
        ("ja", "Japanese", "Japonic", "Japanese", "Kanji/Kana"),
        ("jv", "Javanese", "Austronesian", "Malayo-Polynesian", "Latin"),
        ("ka", "Georgian", "Kartvelian", "Karto-Zan", "Georgian"),
        ("kk", "Kazakh", "Turkic", "Kipchak", "Cyrillic"),
        ("ko", "Korean", "Koreanic", "Korean", "Hangul"),
        ("ml", "Malayalam", "Dravidian", "South Dravidian", "Malayalam"),
        ("mr", "Marathi", "Indo-European", "Indo-Aryan", "Devanagari"),
        ("ms", "Malay", "Austronesian", "Malayo-Polynesian", "Latin"),
        ("my", "Burmese", "Sino-Tibetan", "Lolo-Burmese", "Myanmar"),
        ("nl", "Dutch", "Indo-European", "Germanic", "Latin"),
        ("pt", "Portuguese", "Indo-European", "Romance", "Latin"),
        ("ru", "Russian", "Indo-European", "Slavic", "Cyrillic"),
        ("sw", "Swahili", "Niger-Congo", "Bantu", "Latin"),
        ("ta", "Tamil", "Dravidian", "South Dravidian", "Tamil"),
        ("te", "Telugu", "Dravidian", "South-Central Dravidian", "Telugu"),
        ("th", "Thai", "Kra-Dai", "Tai", "Thai"),
        ("tl", "Tagalog", "Austronesian", "Malayo-Polynesian", "Latin"),
        ("tr", "Turkish", "Turkic", "Oghuz", "Latin"),
        ("ur", "Urdu", "Indo-European", "Indo-Aryan", "Arabic"),
        ("vi", "Vietnamese", "Austroasiatic", "Vietic", "Latin"),
        ("yo", "Yoruba", "Niger-Congo", "Volta-Niger", "Latin"),
        ("zh", "Chinese", "Sino-Tibetan", "Sinitic", "Chinese characters"),
    ]
)

XTREME_R_ADDED_LANGUAGES: Dict[str, Language] = _table(
    [
        ("az", "Azerbaijani", "Turkic", "Oghuz", "Latin"),
        ("gu", "Gujarati", "Indo-European", "Indo-Aryan", "Gujarati"),
        ("ht", "Haitian Creole", "French Creole", "French Creole", "Latin"),
        ("lt", "Lithuanian", "Indo-European", "Baltic", "Latin"),
        ("pa", "Punjabi", "Indo-European", "Indo-Aryan", "Gurmukhi"),
        ("pl", "Polish", "Indo-European", "Slavic", "Latin"),
        ("qu", "Quechua", "Quechuan", "Quechua", "Latin"),
        ("ro", "Romanian", "Indo-European", "Romance", "Latin"),
        ("uk", "Ukrainian", "Indo-European", "Slavic", "Cyrillic"),
        ("wo", "Wolof", "Niger-Congo", "Senegambian", "Latin"),
    ]
)

LANGUAGES: Dict[str, Language] = {**XTREME_LANGUAGES, **XTREME_R_ADDED_LANGUAGES}
"""The benchmark languages, by code."""

LOCAL_USE_CODE = re.compile(r"^q[a-t][a-z]$")
"""ISO 639-2's codes reserved for local use."""

_REGISTERED: Dict[str, Language] = {}


def register_languages(languages: Iterable[Language]) -> None:
    """Names and families for languages of one's own data (local-use or other new codes)."""
    for language in languages:
        if language.code in LANGUAGES:
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
    return LANGUAGES.get(code) or _REGISTERED.get(code)


def is_known_language(code: str) -> bool:
    return code in LANGUAGES or code in _REGISTERED or bool(LOCAL_USE_CODE.match(code))


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
