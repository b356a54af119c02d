"""Common Korean given names and syllables, for synthetic (demo) data and as a segmentation prior.

This is **synthetic-data material, not a list of real people**: the entries are generic, frequently used
given names (each is borne by many thousands of people in both Koreas), chosen to cover names popular in
the South across generations and names typical of the North (철, 혁, 룡, 련, 향, 옥, 순 ...). Combine them with
surnames at random; never attach them to real case data.

Names that begin with ㄹ (룡남, 련희, 리향) are written in the northern orthography on purpose, so that the demo
generator can produce both spellings of the same person (룡남 / 용남).
"""

from __future__ import annotations

import random
from typing import Literal

from .hangul import is_hangul_syllable

__all__ = [
    "COMMON_GIVEN_SYLLABLES",
    "FEMALE_GIVEN_NAMES",
    "MALE_GIVEN_NAMES",
    "sample_given_name",
]

Sex = Literal["male", "female"]

MALE_GIVEN_NAMES: tuple[str, ...] = (
    # Common in the South (several generations).
    "민준", "서준", "도윤", "예준", "시우", "하준", "주원", "지호", "지후", "준우", "준서", "건우", "현우",
    "도현", "지훈", "우진", "서진", "민재", "현준", "연우", "유준", "정우", "승우", "승현", "시윤",
    "준혁", "은우", "지환", "승민", "성민", "동현", "상훈", "영수", "영호", "정훈", "경수", "성호",
    "재현", "태현", "진우", "민수", "상철", "종민", "기남", "동구", "태식", "병철", "대중", "석진",
    # Typical in the North.
    "영철", "광철", "명철", "성남", "철민", "정남", "룡남", "광혁", "진혁", "학철", "철수", "일남",
    "혁", "철", "광수", "금철", "룡수", "국철", "성철", "복철", "명수", "영남", "창호", "남혁",
)  # fmt: skip

FEMALE_GIVEN_NAMES: tuple[str, ...] = (
    # Common in the South (several generations).
    "서연", "서윤", "지우", "서현", "민서", "하은", "하윤", "윤서", "지유", "지민", "채원", "수아",
    "지아", "지윤", "은서", "다은", "예은", "수빈", "소율", "예린", "은정", "혜영", "정숙", "미경",
    "은희", "경희", "정희", "선희", "혜정", "은경", "수정", "현주", "민지", "지현", "유진", "소연",
    "미영", "정은", "수진", "영미", "미숙", "순자", "영자", "아름", "하늘", "보람", "나래", "미나",
    # Typical in the North.
    "영희", "옥희", "금순", "향미", "련희", "순희", "명옥", "영옥", "춘화", "금옥", "미란", "설주",
    "은심", "향", "옥", "리향", "설향", "경옥", "금희", "은향", "련화", "성희", "복순", "명희",
)  # fmt: skip

#: Every syllable used in the name lists above (a prior for segmenting joined romanized names).
COMMON_GIVEN_SYLLABLES: frozenset[str] = frozenset(
    c for name in MALE_GIVEN_NAMES + FEMALE_GIVEN_NAMES for c in name if is_hangul_syllable(c)
)

_MALE_SYLLABLES: tuple[str, ...] = tuple(sorted({c for n in MALE_GIVEN_NAMES for c in n}))
_FEMALE_SYLLABLES: tuple[str, ...] = tuple(sorted({c for n in FEMALE_GIVEN_NAMES for c in n}))


def sample_given_name(rng: random.Random, sex: Sex = "female", *, recombine: float = 0.3) -> str:
    """Return a plausible synthetic given name in Hangul.

    Args:
        rng: Source of randomness (the result is deterministic for a seeded ``random.Random``).
        sex: "male" or "female".
        recombine: Probability of building a new two-syllable name from the syllables of the list instead
            of picking a listed name (gives more distinct names for large demo data sets).

    Returns:
        A given name such as "정은" or "광철".
    """
    names = MALE_GIVEN_NAMES if sex == "male" else FEMALE_GIVEN_NAMES
    if rng.random() >= recombine:
        return rng.choice(names)
    syllables = _MALE_SYLLABLES if sex == "male" else _FEMALE_SYLLABLES
    return rng.choice(syllables) + rng.choice(syllables)
