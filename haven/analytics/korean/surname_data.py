"""Korean surname table: Hangul in both orthographies, hanja, romanizations, variants, frequency.

Sources (letters are used in the row comments):

(a) lgzsoldos.blogspot.com, "Romanization of Korean Family Names" (2009), via linkage-notes §4.2.
(b) GitHub ``leedohyung28/insta_name_suggest``, ``js/data/eng-suggest/lastname.js``: a hobby list that maps
    about 40 surnames' Latin spellings to one key (read at commit 7f6098b).
(c) Korea Times, 2016-09, report on the 2015 census (Statistics Korea): Kim 21.5 %, Lee/Yi 14.7 %, Park 8.4 %,
    Choe/Choi 4.7 %, Chung 4.3 % (鄭 only), Kang 2.4 %, Cho 2.1 %, Yun/Yoon 2.1 %, Chang 2.0 %, Lim/Im 1.7 % (林).
(d) ALA-LC Korean romanization tables (McCune–Reischauer based): 李 is always *Yi*, 柳/劉 *Yu*, 羅 *Na*.
(e) Statistics Korea 2015 census, "성씨·본관별 인구 (5인 이상)", as tabulated by the Korean Wikipedia/namu
    mirrors and press reposts (total 49,705,663 Korean nationals). Counts are per *hanja* surname; the
    ``frequency`` column sums the hanja surnames that share one southern Hangul spelling and is rounded.
    Below rank ~40 the figures are **approximate** (to about ±30 %): they are good enough for term-frequency
    weighting and synthetic data, not for demography.
(f) Infogalactic "List of South Korean surnames by prevalence" (2000 census), column "Popular spellings".
(g) MOFA passport guidance (2014), quoted in the niidae wiki "Korean name": any spelling pronounceable
    like the Hangul is accepted, e.g. 인 -> IN, INN, IHN, YIN.

Columns ``rr`` and ``nk`` follow the rules in :mod:`haven.analytics.korean.romanize` (the tests check that
they equal the romanizer's output); ``mr`` follows ALA-LC usage (d); ``passport`` is the most common
conventional spelling; ``variants`` lists other spellings seen in (a), (b), (f), (g) or in common use.
Several variants are shared between surnames on purpose (Chin = 신/진, Chun = 전/천, Sung = 성/송):
lookups are one-to-many.

The **id** of a surname is its southern Hangul spelling (after the initial-sound law), so 李 = 이 = 리 has
the id "이". 柳/劉 (북: 류, 남: 유 or, since 2007, optionally 류) and 兪 (유 in both) are different surnames in
the South, but the romanized forms Yu/Yoo/Ryu and the Hangul 유/류 cannot be reliably told apart in
refugee documentation, so they share the id "유"; the hanja are listed so that callers who do have
hanja can still separate them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SURNAMES", "SURNAMES_BY_ID", "Surname"]


@dataclass(frozen=True, slots=True)
class Surname:
    """One Korean surname (possibly covering several hanja surnames that share a Hangul spelling).

    Attributes:
        id: Southern Hangul spelling, used as the canonical id (e.g. "이").
        north: Northern Hangul spelling (e.g. "리"); equal to ``id`` when both orthographies agree.
        hanja: Hanja surnames written with this Hangul, most frequent first.
        rr: Revised Romanization (strict, of the southern form), e.g. "Gim".
        mr: McCune–Reischauer as used by ALA-LC, e.g. "Ch'oe".
        nk: DPRK official romanization of the northern form, e.g. "Ri".
        passport: The most common conventional spelling, e.g. "Lee".
        variants: Other spellings seen in use.
        frequency: Approximate share of the South Korean population, in percent (2015 census).
    """

    id: str
    north: str
    hanja: tuple[str, ...]
    rr: str
    mr: str
    nk: str
    passport: str
    variants: tuple[str, ...]
    frequency: float

    @property
    def spellings(self) -> tuple[str, ...]:
        """All Latin spellings listed in the table row (without duplicates)."""
        seen: dict[str, None] = {}
        for s in (self.passport, self.rr, self.mr, self.nk, *self.variants):
            seen.setdefault(s, None)
        return tuple(seen)


# (id, north, hanja, RR, MR, NK, passport, variants, % of population)
# Frequency source (c) for the top 10 (鄭/林 figures widened by the other hanja, see (e)), (e) otherwise.
_ROWS: tuple[tuple[str, str, str, str, str, str, str, str, float], ...] = (
    ("김", "김", "金", "Gim", "Kim", "Kim", "Kim", "Gim Kym Ghim Khim Geem", 21.5),  # a b f
    ("이", "리", "李 伊 異", "I", "Yi", "Ri", "Lee", "Yi Rhee Ree Rey Rhie Ri I Li Yee Rhi", 14.7),  # a b d f
    ("박", "박", "朴", "Bak", "Pak", "Pak", "Park", "Pak Bak Bark Pack Bahk Parc", 8.4),  # a f
    ("최", "최", "崔", "Choe", "Ch'oe", "Choe", "Choi", "Choe Chey Choy Chwe Che Tsoi", 4.7),  # c f
    (
        "정",
        "정",
        "鄭 丁 程",
        "Jeong",
        "Chŏng",
        "Jŏng",
        "Jung",
        "Jeong Chung Joung Cheong Chong Jong Choung",
        4.8,
    ),
    ("강", "강", "姜 康 剛 强", "Gang", "Kang", "Kang", "Kang", "Gang Kahng Khang Kwang", 2.6),  # b f
    ("조", "조", "趙 曺", "Jo", "Cho", "Jo", "Cho", "Jo Joe Joh Jou Choh", 2.9),  # c f
    ("윤", "윤", "尹", "Yun", "Yun", "Yun", "Yoon", "Yun Youn Yune Yeun", 2.1),  # c f
    ("장", "장", "張 蔣 章", "Jang", "Chang", "Jang", "Jang", "Chang Jahng Jhang Zang", 2.1),  # a c f
    ("임", "림", "林 任", "Im", "Im", "Rim", "Lim", "Im Yim Rim Leem Rhim Reem Lym Rym", 2.1),  # c f
    ("한", "한", "韓", "Han", "Han", "Han", "Han", "Hahn Hann", 1.5),  # b f
    ("오", "오", "吳", "O", "O", "O", "Oh", "O Oe Au", 1.5),  # b f
    ("서", "서", "徐", "Seo", "Sŏ", "Sŏ", "Seo", "Suh Su Sur So Seu", 1.5),  # b f
    ("신", "신", "申 辛 愼", "Sin", "Sin", "Sin", "Shin", "Sin Shinn Sheen Seen Chin", 2.1),  # b f
    ("권", "권", "權", "Gwon", "Kwŏn", "Kwŏn", "Kwon", "Gwon Kweon Kwun Kwan", 1.4),  # a f
    ("황", "황", "黃", "Hwang", "Hwang", "Hwang", "Hwang", "Whang Hoang Whoang", 1.4),  # f
    ("안", "안", "安", "An", "An", "An", "Ahn", "An Ann Aan", 1.4),  # b f
    ("송", "송", "宋", "Song", "Song", "Song", "Song", "Soung Sung", 1.4),  # f
    ("유", "류", "柳 劉 兪 庾", "Yu", "Yu", "Ryu", "Yoo", "Yu You Ryu Ryoo Lyu Rhyu", 2.0),  # a b d f
    ("홍", "홍", "洪", "Hong", "Hong", "Hong", "Hong", "Houng", 1.1),  # b f
    ("전", "전", "全 田 錢", "Jeon", "Chŏn", "Jŏn", "Jeon", "Jun Chun Chon Jeun Cheon Jon", 1.4),  # b f
    ("고", "고", "高", "Go", "Ko", "Ko", "Ko", "Koh Go Goh Kho Gho", 0.9),  # b
    ("문", "문", "文", "Mun", "Mun", "Mun", "Moon", "Mun Moun", 0.9),  # b
    ("양", "량", "梁 楊", "Yang", "Yang", "Ryang", "Yang", "Ryang Lyang", 1.0),  # b
    ("손", "손", "孫", "Son", "Son", "Son", "Son", "Sohn Shon Soun", 0.9),  # b
    ("배", "배", "裵", "Bae", "Pae", "Pae", "Bae", "Pae Bai Bay", 0.8),  # b
    ("백", "백", "白", "Baek", "Paek", "Paek", "Baek", "Paik Baik Paek Back", 0.7),  # b
    ("허", "허", "許", "Heo", "Hŏ", "Hŏ", "Heo", "Huh Hur Her Ho", 0.6),
    ("남", "남", "南", "Nam", "Nam", "Nam", "Nam", "Nahm Nham", 0.5),  # b
    ("심", "심", "沈", "Sim", "Sim", "Sim", "Shim", "Sim Sheem", 0.5),
    ("노", "로", "盧 魯 路", "No", "No", "Ro", "Noh", "Roh No Ro Rho Nho", 0.5),
    ("하", "하", "河", "Ha", "Ha", "Ha", "Ha", "Hah", 0.4),
    ("곽", "곽", "郭", "Gwak", "Kwak", "Kwak", "Kwak", "Gwak Kwack", 0.4),
    ("성", "성", "成", "Seong", "Sŏng", "Sŏng", "Sung", "Seong Soung", 0.4),  # b
    ("차", "차", "車", "Cha", "Ch'a", "Cha", "Cha", "Char Chah Tcha", 0.4),  # b
    ("주", "주", "朱 周", "Ju", "Chu", "Ju", "Joo", "Ju Jou Choo Chu", 0.4),  # b
    ("우", "우", "禹", "U", "U", "U", "Woo", "U Wu", 0.4),
    ("구", "구", "具 丘", "Gu", "Ku", "Ku", "Koo", "Ku Goo Gu Kou Kuh", 0.4),  # b
    ("민", "민", "閔", "Min", "Min", "Min", "Min", "", 0.3),
    ("나", "라", "羅", "Na", "Na", "Ra", "Na", "Ra La Nah Rha", 0.3),  # d
    ("진", "진", "陳 秦 晉", "Jin", "Chin", "Jin", "Jin", "Chin Jean Gin Zhin", 0.4),  # b
    ("지", "지", "池", "Ji", "Chi", "Ji", "Ji", "Chi Jee", 0.3),
    ("엄", "엄", "嚴", "Eom", "Ŏm", "Ŏm", "Um", "Eom Uhm Om", 0.3),
    ("채", "채", "蔡", "Chae", "Ch'ae", "Chae", "Chae", "Chai Chay", 0.3),
    ("원", "원", "元", "Won", "Wŏn", "Wŏn", "Won", "Weon Wone Wun", 0.3),  # b
    ("천", "천", "千", "Cheon", "Ch'ŏn", "Chŏn", "Chun", "Cheon Chon Choun", 0.2),  # b
    ("방", "방", "方 房", "Bang", "Pang", "Pang", "Bang", "Pang Bhang Bahng Pahng", 0.2),  # b
    ("공", "공", "孔", "Gong", "Kong", "Kong", "Kong", "Gong Kohng Khong Goung", 0.2),  # b
    ("현", "현", "玄", "Hyeon", "Hyŏn", "Hyŏn", "Hyun", "Hyeon Hyon Hyoun", 0.2),
    ("함", "함", "咸", "Ham", "Ham", "Ham", "Ham", "Hahm", 0.2),
    ("변", "변", "卞 邊", "Byeon", "Pyŏn", "Pyŏn", "Byun", "Byeon Pyun Pyeon Byon Pyon", 0.3),
    ("염", "렴", "廉", "Yeom", "Yŏm", "Ryŏm", "Yeom", "Yum Youm Yom Ryom", 0.1),
    ("여", "려", "呂 余", "Yeo", "Yŏ", "Ryŏ", "Yeo", "Yuh Yo Ryo", 0.1),
    ("추", "추", "秋", "Chu", "Ch'u", "Chu", "Choo", "Chu Chou", 0.1),
    ("도", "도", "都", "Do", "To", "To", "Do", "Doh To Toh", 0.1),
    ("소", "소", "蘇", "So", "So", "So", "So", "Soh", 0.1),
    ("석", "석", "石 昔", "Seok", "Sŏk", "Sŏk", "Seok", "Suk Sok", 0.1),
    ("선", "선", "宣", "Seon", "Sŏn", "Sŏn", "Sun", "Seon Sunn", 0.1),
    ("설", "설", "薛 偰", "Seol", "Sŏl", "Sŏl", "Seol", "Sul Seul Sull Sol", 0.1),  # b
    ("마", "마", "馬", "Ma", "Ma", "Ma", "Ma", "Mah", 0.08),
    ("길", "길", "吉", "Gil", "Kil", "Kil", "Kil", "Gil Gill Kill Khil Keel", 0.08),  # b
    ("연", "연", "延 燕", "Yeon", "Yŏn", "Yŏn", "Yeon", "Youn Yon", 0.07),
    ("위", "위", "魏", "Wi", "Wi", "Wi", "Wi", "Wee Wie", 0.06),
    ("표", "표", "表", "Pyo", "P'yo", "Phyo", "Pyo", "Phyo Pio", 0.06),  # b
    ("명", "명", "明", "Myeong", "Myŏng", "Myŏng", "Myung", "Myeong Myong", 0.05),
    ("기", "기", "奇", "Gi", "Ki", "Ki", "Ki", "Gi Kee", 0.05),
    ("반", "반", "潘", "Ban", "Pan", "Pan", "Ban", "Pan Bahn Bann", 0.05),  # b
    ("왕", "왕", "王", "Wang", "Wang", "Wang", "Wang", "Whang Wong", 0.05),  # b
    ("금", "금", "琴", "Geum", "Kŭm", "Kŭm", "Keum", "Geum Kum", 0.05),
    ("옥", "옥", "玉", "Ok", "Ok", "Ok", "Ok", "Ock Oak", 0.05),
    ("육", "륙", "陸", "Yuk", "Yuk", "Ryuk", "Yook", "Yuk Ryuk", 0.04),
    ("인", "인", "印", "In", "In", "In", "In", "Inn Ihn Yin", 0.05),  # g
    ("맹", "맹", "孟", "Maeng", "Maeng", "Maeng", "Maeng", "Meng", 0.04),
    ("제", "제", "諸", "Je", "Che", "Je", "Je", "Che Jae", 0.04),
    ("모", "모", "牟 毛", "Mo", "Mo", "Mo", "Mo", "Moh", 0.04),
    ("탁", "탁", "卓", "Tak", "T'ak", "Thak", "Tak", "Tark Thak", 0.04),
    ("국", "국", "鞠 國", "Guk", "Kuk", "Kuk", "Kook", "Kuk Guk", 0.04),
    ("어", "어", "魚", "Eo", "Ŏ", "Ŏ", "Eo", "Uh", 0.04),
    ("은", "은", "殷", "Eun", "Ŭn", "Ŭn", "Eun", "Un", 0.03),
    ("편", "편", "片", "Pyeon", "P'yŏn", "Phyŏn", "Pyun", "Pyeon Pyon Phyon", 0.03),
    ("용", "룡", "龍 容", "Yong", "Yong", "Ryong", "Yong", "Young Ryong Lyong Yung", 0.03),  # b
    ("예", "예", "芮", "Ye", "Ye", "Ye", "Ye", "Yeh", 0.03),
    ("경", "경", "慶 景", "Gyeong", "Kyŏng", "Kyŏng", "Kyung", "Kyeong Kyong Gyeong", 0.03),
    ("봉", "봉", "奉", "Bong", "Pong", "Pong", "Bong", "Pong", 0.02),
    ("사", "사", "史", "Sa", "Sa", "Sa", "Sa", "Sah", 0.02),
    ("부", "부", "夫", "Bu", "Pu", "Pu", "Boo", "Bu Pu Poo", 0.02),
    ("가", "가", "賈", "Ga", "Ka", "Ka", "Ka", "Ga Kah", 0.02),
    ("태", "태", "太", "Tae", "T'ae", "Thae", "Tae", "Tai Thae", 0.02),
    ("목", "목", "睦", "Mok", "Mok", "Mok", "Mok", "Mock", 0.02),
    ("형", "형", "邢", "Hyeong", "Hyŏng", "Hyŏng", "Hyung", "Hyeong Hyong", 0.02),
    ("피", "피", "皮", "Pi", "P'i", "Phi", "Pi", "Pee Phi", 0.02),
    ("감", "감", "甘", "Gam", "Kam", "Kam", "Kam", "Gam", 0.01),
    ("음", "음", "陰", "Eum", "Ŭm", "Ŭm", "Eum", "Um", 0.01),
    ("빈", "빈", "賓 彬", "Bin", "Pin", "Pin", "Bin", "Pin", 0.01),
    ("동", "동", "董", "Dong", "Tong", "Tong", "Dong", "Tong", 0.01),
    ("온", "온", "溫", "On", "On", "On", "On", "Ohn", 0.01),
    ("호", "호", "扈", "Ho", "Ho", "Ho", "Ho", "Hoh", 0.01),
    ("좌", "좌", "左", "Jwa", "Chwa", "Jwa", "Jwa", "Chwa", 0.01),
    ("승", "승", "承", "Seung", "Sŭng", "Sŭng", "Seung", "Sung", 0.005),
    ("간", "간", "簡", "Gan", "Kan", "Kan", "Kan", "Gan Khan", 0.005),
    ("견", "견", "甄", "Gyeon", "Kyŏn", "Kyŏn", "Kyun", "Kyeon Kyon", 0.004),
    ("시", "시", "施", "Si", "Si", "Si", "Shi", "Si", 0.004),
    ("범", "범", "范 凡", "Beom", "Pŏm", "Pŏm", "Bum", "Beom Pum", 0.005),
    # Two-syllable surnames (복성). Source (b) for the Namgung spellings, (e) for the counts.
    ("남궁", "남궁", "南宮", "Namgung", "Namgung", "Namgung", "Namgoong", "Namkung Namkoong Namkoung", 0.04),
    ("황보", "황보", "皇甫", "Hwangbo", "Hwangbo", "Hwangbo", "Hwangbo", "Whangbo Hwangpo", 0.02),
    ("제갈", "제갈", "諸葛", "Jegal", "Chegal", "Jegal", "Jegal", "Chegal Jekal Jaegal", 0.01),
    ("선우", "선우", "鮮于", "Seonu", "Sŏnu", "Sŏnu", "Sunwoo", "Seonwoo Sunu Sonu", 0.01),
    ("독고", "독고", "獨孤", "Dokgo", "Tokko", "Tokko", "Dokko", "Tokko Dokgo Tokgo", 0.004),
    ("사공", "사공", "司空", "Sagong", "Sagong", "Sagong", "Sakong", "Sagong", 0.01),
    ("서문", "서문", "西門", "Seomun", "Sŏmun", "Sŏmun", "Seomoon", "Seomun Suhmoon", 0.001),
)


def _build() -> tuple[Surname, ...]:
    rows = []
    for sid, north, hanja, rr, mr, nk, passport, variants, freq in _ROWS:
        rows.append(
            Surname(
                id=sid,
                north=north,
                hanja=tuple(hanja.split()),
                rr=rr,
                mr=mr,
                nk=nk,
                passport=passport,
                variants=tuple(variants.split()),
                frequency=freq,
            )
        )
    return tuple(rows)


#: All surnames, most frequent first (roughly).
SURNAMES: tuple[Surname, ...] = _build()
#: Surnames keyed by id (southern Hangul).
SURNAMES_BY_ID: dict[str, Surname] = {s.id: s for s in SURNAMES}
