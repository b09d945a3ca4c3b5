"""Typographic look-alikes replaced by their GSM-7 equivalents, as Twilio's Smart Encoding does.

One curly quote, en dash or non-breaking space from SDX (or pasted into a
survey from a word processor) is outside the GSM-7 alphabet, and a single
character outside it sends the whole message as UCS-2: 67 characters a
segment instead of 153, twice the price. Each character here has a plain
equivalent a reader takes for the same thing, so it is replaced before the
text is measured or sent; what is left outside GSM-7 (emoji, letters of
other scripts, accented letters GSM-7 lacks, such as ê) is really needed and
still forces UCS-2.

The replacements apply to every text, also to one that goes UCS-2 anyway
because of an emoji, as Twilio's Smart Encoding does: a long text is split
into messages that are each encoded on their own, and a message without
the emoji is GSM-7 only if its quotes were replaced too; and respondents see
one typography whatever else a prompt holds. So the table holds only
replacements that are harmless in any script: no letters are changed (ê
stays ê), and zero-width joiners, which emoji sequences and some scripts
need, are kept.

Beyond Twilio's list: a bullet (U+2022, and the triangular and hyphen
bullets) becomes "-", the usual plain-text bullet, because answer lists in
survey prompts use them; a tab becomes a space (GSM-7 has no tab).
"""

from __future__ import annotations

__all__ = ["plain_text"]

_EQUIVALENTS: dict[str, str] = {
    # single quotes, apostrophes, primes, accents used as apostrophes
    "'": "\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a\u02b9\u02bb\u02bc\u02bd"
    "\u02c8\u00b4\u0060\u275b\u275c\uff07",
    # double quotes, guillemets, double primes
    '"': "\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb\u02ba\u02ee\u275d\u275e"
    "\u301d\u301e\uff02",
    # hyphens, dashes, minus sign, bullets
    "-": "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d\u2022\u2023",
    # spaces: no-break, en/em and the other fixed widths, narrow, figure,
    # thin, hair, medium mathematical, ideographic; and a tab
    " ": "\t\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u3000",
    "...": "\u2026",
    ".": "\u2024",
    "/": "\u2044\u2215\uff0f",
    "*": "\u2217",
    # invisible: zero-width space, word joiner, byte-order mark, soft hyphen
    "": "\u200b\u2060\ufeff\u00ad",
}

_TABLE = str.maketrans(
    {look_alike: plain for plain, chars in _EQUIVALENTS.items() for look_alike in chars}
)


def plain_text(text: str) -> str:
    """``text`` with each typographic look-alike replaced by its GSM-7 equivalent."""
    return text.translate(_TABLE)
