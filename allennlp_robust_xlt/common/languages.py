"""
Language metadata of the XTREME and XTREME-R benchmarks, and the languages of each task.

`LANGUAGES` maps a language code to its `Language` (name, family, genus, script) for the 40
XTREME languages, the 10 that XTREME-R adds, and the synthetic benchmark's target languages
(`qaa`, `qab`, ...). `TASK_LANGUAGES` lists the languages of the tasks this plugin reads
(`xnli`, `pawsx`, `synthetic`), English (the source language) first.
`check_language_codes` turns an unknown code into an error that lists the known ones.
"""

from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from allennlp_robust_xlt.common.errors import ParameterError

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
        ("gu", "Gujarati", "Indo-European", "Indo-Aryan", "Gujarati"),
        ("ht", "Haitian Creole", "French Creole", "French Creole", "Latin"),
        ("lt", "Lithuanian", "Indo-European", "Baltic", "Latin"),
        ("mg", "Malagasy", "Austronesian", "Malayo-Polynesian", "Latin"),
        ("pa", "Punjabi", "Indo-European", "Indo-Aryan", "Gurmukhi"),
        ("pl", "Polish", "Indo-European", "Slavic", "Latin"),
        ("qu", "Quechua", "Quechuan", "Quechua", "Latin"),
        ("ro", "Romanian", "Indo-European", "Romance", "Latin"),
        ("uk", "Ukrainian", "Indo-European", "Slavic", "Cyrillic"),
        ("wo", "Wolof", "Niger-Congo", "Senegambian", "Latin"),
    ]
)

# The target languages of the synthetic benchmark (`allennlp_robust_xlt.data.synthetic_xlt`),
# under ISO 639-2's codes reserved for local use (qaa-qtz): qaa, qab, ... in order of growing
# misalignment from English.
SYNTHETIC_LANGUAGES: Dict[str, Language] = _table(
    (f"qa{letter}", f"Synthetic {letter.upper()}", "Synthetic", "Simulated", "Latin")
    for letter in "abcdefghijklmnopqrstuvwxyz"
)

LANGUAGES: Dict[str, Language] = {
    **XTREME_LANGUAGES,
    **XTREME_R_ADDED_LANGUAGES,
    **SYNTHETIC_LANGUAGES,
}
"""Every known language, by code."""

TASK_LANGUAGES: Dict[str, Tuple[str, ...]] = {
    "xnli": (
        "en",
        "ar",
        "bg",
        "de",
        "el",
        "es",
        "fr",
        "hi",
        "ru",
        "sw",
        "th",
        "tr",
        "ur",
        "vi",
        "zh",
    ),
    "pawsx": ("en", "de", "es", "fr", "ja", "ko", "zh"),
    "synthetic": ("en", *SYNTHETIC_LANGUAGES),
}
"""The languages of each task's dev and test sets, source language first."""

TASK_NAMES: Dict[str, str] = {"xnli": "XNLI", "pawsx": "PAWS-X", "synthetic": "synthetic benchmark"}


def get_language(code: str) -> Optional[Language]:
    return LANGUAGES.get(code)


def is_known_language(code: str) -> bool:
    return code in LANGUAGES


def language_name(code: str) -> str:
    language = LANGUAGES.get(code)
    return language.name if language is not None else code


def describe_known_codes(task: Optional[str] = None) -> str:
    """`known codes: ...` for error messages (the task's languages first, when given)."""
    if task is not None and task in TASK_LANGUAGES:
        task_codes = TASK_LANGUAGES[task]
        others = sorted(code for code in LANGUAGES if code not in task_codes)
        return (
            f"known {TASK_NAMES[task]} languages: {' '.join(task_codes)}; "
            f"other known codes: {' '.join(others)}"
        )
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
        language = LANGUAGES.get(code)
        family = language.family if language is not None else "unknown"
        groups.setdefault(family, []).append(code)
    return groups
