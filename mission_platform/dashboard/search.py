"""Search boxes: any text a person types becomes a bound ILIKE pattern, matched literally."""

from __future__ import annotations

# Long enough for any name; longer input is cut by the text box itself.
MAX_CHARS = 100


def contains_pattern(text: str | None) -> str | None:
    """``text`` as an ILIKE pattern matching it anywhere, its own ``%``, ``_`` and ``\\`` taken literally; None when empty."""
    # PostgreSQL text cannot hold NUL: a pasted one is dropped rather than failing the search.
    text = (text or "").replace("\x00", "").strip()[:MAX_CHARS]
    if not text:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def vocabulary(values) -> list[str]:
    """The distinct words of comma-separated lists (software, availability), sorted."""
    words = {w.strip() for value in values if isinstance(value, str) for w in value.split(",")}
    return sorted(w for w in words if w)
