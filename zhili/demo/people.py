"""Pure generators of the demo registry's personal values: names by surname frequency and generation, resident ID
numbers (GB 11643), mobile numbers, plates and unified social credit codes (GB 32100). No database.

ID numbers: the county code is the one of the birth registration: 330227 (鄞县) for locals born up to 2002, 330212
(鄞州区, since 2002) after, a few other Ningbo districts for those who moved in; floating residents carry the codes
of their home counties (other Zhejiang counties and the provinces most of Ningbo's migrant workers come from). The
check character is ISO 7064 MOD 11-2 (`stdnum.cn.ric.calc_check_digit(body + "0")`); the 17th digit is odd for
men. Uniqueness is kept by the caller's `taken` set (of the 17-digit bodies as ints).
"""

from __future__ import annotations

import random
from datetime import date
from itertools import accumulate

from stdnum.cn import ric, uscc

# (surname, weight): Ningbo's own mix for locals (应, 俞, 邬, 竺, 忻, 励 are typical of the city) ...
_LOCAL = ("陈1000 王780 张560 李520 徐480 林420 周400 吴360 胡340 金320 朱300 杨290 黄280 应240 俞230 孙220 "
          "沈210 郑200 叶190 董180 毛170 史160 邵150 蒋150 袁140 虞130 邬130 忻110 竺100 乐100 励90 柴90 翁90 "
          "汪90 严80 楼80 傅80 范80 冯80 钟70 方70 戴70 谢70 夏70 何70 顾60 任60 曹60 许60 蔡60 潘60 卢60 丁50 "
          "贺50 鲍50 屠50 包50 裘40 竹30 钱50 姚50 赵50 刘60 葛40")
# ... and the national frequencies for floating residents (per mille, approximately).
_NATIONAL = ("王72 李72 张68 刘54 陈46 杨31 黄22 赵22 吴20 周19 徐17 孙15 马15 朱14 胡13 郭12 何12 林11 罗11 "
             "高11 郑10 梁10 谢8 宋7 唐7 许7 韩6 冯6 邓6 曹6 彭6 曾6 肖6 田5 董5 袁5 潘5 于5 蒋5 蔡5 余5 杜5 叶4 "
             "程4 苏4 魏4 吕4 丁4 任4 沈4 姚4 卢4 姜4 崔4 钟4 谭4 陆3 汪3 范3 金3 石3 廖3 贾3 夏3 韦3 付3 方3 "
             "白3 邹3 孟3 熊3 秦3 邱3 江3 尹3 薛3 闫2 段2 雷2 侯2 龙2 史2 陶2 黎2 贺2 顾2 毛2 郝2 龚2 邵2 万2 "
             "钱2 严2 覃2 武2 戴2 莫2 孔2 向2 汤2")


def _table(spec: str) -> tuple[list[str], list[int]]:
    pairs = [(item[0], int(item[1:])) for item in spec.split()]
    return [s for s, _ in pairs], list(accumulate(w for _, w in pairs))


SURNAMES = {"local": _table(_LOCAL), "national": _table(_NATIONAL)}

# Given-name characters by generation (birth year up to) and sex: (first characters, second characters).
_GIVEN: list[tuple[int, dict[str, tuple[str, str]]]] = [
    (1959, {"M": ("建国志德根金福宝荣炳祥永国文阿雪", "国明华康生兴根发林龙水福根荣财法"),
            "F": ("秀桂凤玉菊月彩翠素美雪宝阿巧杏", "英兰芳娥珍娣仙珠芬花凤琴菊妹娟")}),
    (1979, {"M": ("伟建海国志晓卫宏立红永军斌国勇", "军华波平刚东伟新强明勇峰斌林忠"),
            "F": ("丽红海秀雪美晓亚巧素彩春小玲", "萍梅燕芳君芬娟红霞琴英丽华珍飞")}),
    (1999, {"M": ("俊志晓海建宇家振佳杰鹏浩一天", "杰强峰伟豪宇航涛斌磊超鹏辉龙成"),
            "F": ("婷佳晓雅丹梦露思雪佩丽海倩静", "婷丽燕琴丹怡露思莹琳颖洁倩敏静")}),
    (9999, {"M": ("子浩宇梓俊一睿皓沐奕承博嘉铭煜", "轩然豪熙鸣泽墨辰阳睿文宇航哲晨"),
            "F": ("子欣梓诗雨一可若思语佳依沐芷雅", "涵怡萱桐诺馨汐彤嫣瑶若琪妍淇晴")}),
]
_SINGLE = {1959: 0.25, 1979: 0.3, 1999: 0.2, 9999: 0.08}  # share of one-character given names


def surname(rng: random.Random, pool: str) -> str:
    names, cum = SURNAMES[pool]
    return rng.choices(names, cum_weights=cum)[0]


def given_name(rng: random.Random, sex: str, birth_year: int) -> str:
    top, chars = next((top, c) for top, c in _GIVEN if birth_year <= top)
    first, second = chars[sex]
    if rng.random() < _SINGLE[top]:
        return rng.choice(second)
    a, b = rng.choice(first), rng.choice(second)
    return a + b if a != b or rng.random() < 0.3 else a + rng.choice(second)  # 婷婷 now and then


# ---- county codes ----------------------------------------------------------------------------------------------

NINGBO_OTHER = ("330203", "330203", "330205", "330211", "330206", "330226", "330225", "330281", "330282")
# (province weight, ethnic minorities and their shares, county codes) for floating residents
FLOATING: list[tuple[int, tuple[tuple[str, float], ...], tuple[str, ...]]] = [
    (30, (), ("330381", "330382", "331002", "331081", "331082", "330682", "330702", "330781", "330825", "331121",
              "330902", "330522", "330624")),
    (18, (("回", 0.01),), ("341221", "341222", "341226", "341321", "340822", "341125", "340881", "341523")),
    (14, (), ("361127", "361128", "360424", "361025", "360721")),
    (10, (("苗", 0.2), ("布依", 0.08), ("彝", 0.06)), ("522422", "522425", "522427", "522623", "522728")),
    (8, (("回", 0.02),), ("411521", "411522", "411524", "412726", "411627")),
    (7, (("彝", 0.03),), ("511321", "511322", "511623", "510921")),
    (5, (("土家", 0.15), ("苗", 0.05)), ("430521", "431121", "433130")),
    (4, (("土家", 0.05),), ("421124", "420921", "421023")),
    (2, (), ("320321", "321324")),
    (2, (("畲", 0.02),), ("350583", "350322")),
]
_FLOATING_CUM = list(accumulate(w for w, _, _ in FLOATING))


def local_county(rng: random.Random, birth: date) -> str:
    """Where a registered resident's birth was registered: the district itself (鄞县 until 2002), sometimes another
    Ningbo district (moved in later)."""
    if rng.random() < 0.12:
        return rng.choice(NINGBO_OTHER)
    return "330227" if birth.year <= 2002 else "330212"


def floating_origin(rng: random.Random) -> tuple[int, str]:
    """A floating household's home: (index into FLOATING, its county code)."""
    i = rng.choices(range(len(FLOATING)), cum_weights=_FLOATING_CUM)[0]
    return i, rng.choice(FLOATING[i][2])


def ethnicity(rng: random.Random, origin: int | None) -> str:
    if origin is not None:
        r = rng.random()
        for name, share in FLOATING[origin][1]:
            if r < share:
                return name
            r -= share
        return "汉"
    return "汉" if rng.random() < 0.997 else rng.choice(("回", "满", "畲", "苗"))


def id_number(rng: random.Random, county: str, birth: date, sex: str, taken: set[int]) -> str:
    """A GB 11643 number for this county, birth date and sex that is not in `taken` (which it joins)."""
    stem = f"{county}{birth:%Y%m%d}"
    for _ in range(2000):
        seq = rng.randrange(500) * 2 + (1 if sex == "M" else 0)  # the 17th digit: odd for men
        body = f"{stem}{seq:03d}"
        key = int(body)
        if key not in taken:
            taken.add(key)
            return body + ric.calc_check_digit(body + "0")
    raise RuntimeError(f"no free sequence number left for {stem}")


# ---- phones, plates, credit codes ----------------------------------------------------------------------------

_MOBILE = ("138", "139", "137", "136", "135", "134", "150", "151", "152", "157", "158", "159", "182", "183", "187",
           "188", "198", "130", "131", "132", "155", "156", "185", "186", "166", "133", "153", "173", "177", "180",
           "181", "189", "199", "191")
_MOBILE_CUM = list(accumulate(8 if i < 17 else 4 if i < 25 else 3 for i in range(len(_MOBILE))))


def mobile(rng: random.Random) -> str:
    return rng.choices(_MOBILE, cum_weights=_MOBILE_CUM)[0] + f"{rng.randrange(10 ** 8):08d}"


def landline(rng: random.Random) -> str:
    return f"0574-8{rng.choice('1235678')}{rng.randrange(10 ** 6):06d}"


PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O
_DIGITS = "0123456789"


def plate(rng: random.Random, new_energy: bool, taken: set[str]) -> str:
    """浙B + 5 characters (at most two letters), or new energy 浙B + D/F + 5 (a letter or digit, then 4 digits)."""
    for _ in range(1000):
        if new_energy:
            body = rng.choice("DF") + rng.choice(PLATE_LETTERS + _DIGITS) + "".join(rng.choices(_DIGITS, k=4))
        else:
            letters = rng.choices((0, 1, 2), weights=(15, 55, 30))[0]
            spots = set(rng.sample(range(5), letters)) if letters < 2 else {0, rng.randrange(1, 5)}
            body = "".join(rng.choice(PLATE_LETTERS) if i in spots else rng.choice(_DIGITS) for i in range(5))
        number = "浙B" + body
        if number not in taken:
            taken.add(number)
            return number
    raise RuntimeError("no free plate number")


_USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z


def _org_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def credit_code(rng: random.Random, prefix: str, taken: set[str], county: str = "330212") -> str:
    """A GB 32100 code: `prefix` (91 enterprise, 92 individual business, 12 public institution, 52 social
    organisation) + county + organisation code (new-style MA + 6, with its GB 11714 check) + check character."""
    for _ in range(1000):
        body = "MA" + "".join(rng.choices(_USCC, k=6))
        code17 = prefix + county + body + _org_check(body)
        code = code17 + uscc.calc_check_digit(code17)
        if code not in taken:
            taken.add(code)
            return code
    raise RuntimeError("no free credit code")
