"""Respondents' languages: which one each is spoken to in, and its words."""

from gateway.languages.choice import DEFAULT, Language, Languages

__all__ = ["DEFAULT", "Language", "Languages"]
