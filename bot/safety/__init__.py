"""Safety screen: finds risky messages before Rasa, from the lexicon in content/safety/."""

from bot.safety.lexicon import LEXICON_DIR, Lexicon, LexiconError, load_lexicon
from bot.safety.result import CATEGORIES, RiskLevel, SafetyResult
from bot.safety.screen import screen

__all__ = [
    "CATEGORIES",
    "LEXICON_DIR",
    "Lexicon",
    "LexiconError",
    "RiskLevel",
    "SafetyResult",
    "load_lexicon",
    "screen",
]
