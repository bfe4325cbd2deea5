"""The fallback suggester for a deployment without a trained model: the category names and keywords of the
taxonomy matched against the text. Pure.

A term found in the text scores its length to the power 1.5 (a long, specific term such as "燃气井盖" outweighs
"井盖"), a category's own name counts 1.5 times; confidence is the category's share of all matched score, scaled
down when little matched (one short term is weak evidence), so it stays a probability-like number in [0, 1].
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SPLIT = re.compile(r"[,，、;；/\s]+")


@dataclass(frozen=True)
class KeywordIndex:
    terms: tuple[tuple[str, str, float], ...]  # (term, category code, weight)

    @classmethod
    def build(cls, leaves: list[tuple[str, str, str]]) -> KeywordIndex:
        """`leaves`: (code, name, comma-separated keywords) of every category a case may be filed under."""
        out: dict[tuple[str, str], float] = {}
        for code, name, keywords in leaves:
            for part in _split_name(name):
                out[(part, code)] = max(out.get((part, code), 0.0), 1.5)
            for kw in _SPLIT.split(keywords or ""):
                kw = _norm(kw)
                if kw:
                    out.setdefault((kw, code), 1.0)
        return cls(tuple((t, c, w) for (t, c), w in out.items()))

    def top(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        folded = _norm(text)
        if not folded:
            return []
        scores: dict[str, float] = {}
        for term, code, weight in self.terms:
            if term in folded:
                scores[code] = scores.get(code, 0.0) + weight * len(term) ** 1.5
        if not scores:
            return []
        total = sum(scores.values())
        strength = min(1.0, total / 12.0)  # about two 2-character keywords, or one 4-character name
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [(code, round(strength * s / total, 4)) for code, s in ranked]


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower().strip()


def _split_name(name: str) -> list[str]:
    """"配电箱(变压器)" -> ["配电箱", "变压器"]: a name with an alias in brackets names two things."""
    parts = re.split(r"[()（）/、]+", _norm(name))
    return [p for p in parts if len(p) >= 2]
