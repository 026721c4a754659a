"""Text from partners made safe for XML and HTML: escaped, and without what XML forbids."""

from __future__ import annotations

import html
import re

__all__ = ["escape_text"]

# Characters XML 1.0 §2.2 does not allow at all (most C0 controls, lone surrogates, U+FFFE/F):
# a partner's name holding one would make the whole document unreadable to a parser.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape_text(text: str) -> str:
    """``text`` for element content or a quoted attribute value: ``& < > " '`` escaped
    (HTML 5 §13.1.2.3 and XML 1.0 §2.4 both read the entities), forbidden characters dropped."""
    return html.escape(_NOT_XML.sub("", text), quote=True)
