"""The text a person sees in an HTML mail body, and the text hidden from them, kept apart.

Text a reader cannot see is left out of what opsys scores and classifies, and its presence is
reported: `display:none`, the `hidden` attribute, `visibility:hidden`, a zero (or 1px) font
size, a colour equal to its background (white on white), `opacity:0`, text moved off-screen
(`left:-9999px`, `text-indent:-9999px`) or squeezed into a zero-height box with `overflow:hidden`.
Styles come from `style` attributes, old `color`/`bgcolor` attributes and simple `.class` /
`#id` rules in `<style>` blocks (selectors with more than one part are not followed).

One pass of the standard library's HTMLParser with a stack of open elements: linear in the
size of the HTML (BeautifulSoup's insertions were quadratic: a 5 MB table took > 10 minutes),
stopping once `max_chars` of visible text are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

_DROP = {"script", "style", "noscript", "template", "head"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr", "basefont", "frame", "keygen"}
_BLOCKS = {"p", "div", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
           "pre", "section", "article", "header", "footer", "hr", "dd", "dt", "body", "center", "form",
           "main", "nav", "aside", "address", "figure", "figcaption", "dl", "tbody", "thead", "tfoot"}
_CELLS = {"td", "th"}
# A start tag that closes an open element of these kinds first (HTML's implied end tags), looking
# no further out than the list or table it belongs to.
_CLOSES = {"li": {"li"}, "td": {"td", "th"}, "th": {"td", "th"}, "tr": {"tr", "td", "th"},
           "option": {"option"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"}}
_BOUNDARIES = {"ul", "ol", "table", "tbody", "thead", "tfoot", "dl", "select"}
_INLINE = {"span", "b", "i", "u", "a", "font", "strong", "em", "small", "big", "sub", "sup", "code", "label"}
_MAX_DEPTH = 1000  # deeper elements take their parent's look; a mail nested deeper is an attack
_SCAN = 200        # how far down the stack an end tag looks for its start tag
_NAMED = {"white": (255, 255, 255), "black": (0, 0, 0), "red": (255, 0, 0), "green": (0, 128, 0),
          "blue": (0, 0, 255), "yellow": (255, 255, 0), "gray": (128, 128, 128), "grey": (128, 128, 128),
          "silver": (192, 192, 192), "whitesmoke": (245, 245, 245), "snow": (255, 250, 250),
          "ivory": (255, 255, 240), "ghostwhite": (248, 248, 255), "navy": (0, 0, 128), "orange": (255, 165, 0)}
_COLOUR = re.compile(r"#[0-9a-f]{3,8}\b|rgba?\([^)]*\)|\b[a-z]+\b", re.I)
_LENGTH = re.compile(r"^\s*(-?\d*\.?\d+)\s*(px|pt|em|rem|%|cm|mm|in|vw|vh|ex|ch)?\s*(?:!important)?\s*$", re.I)
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^\s*([.#])([\w-]+)\s*$")
_NEAR = 24  # colour channels this close read as the same colour on a screen
_OFF_SCREEN_PX = -500
_MAX_SNIPPET = 120


@dataclass(frozen=True)
class _Look:
    """What an element passes down: whether its text can be seen, and the colours it is drawn with."""

    gone: str | None = None          # a reason no descendant can undo (display:none, off-screen...)
    invisible: str | None = None     # visibility:hidden; a descendant may set visible again
    tiny: bool = False               # font size zero
    # The text colour only when a style set it: the default one may come from rules we do not
    # follow, and dropping visible text would be worse than missing a trick.
    colour: tuple[int, int, int] | None = None
    backdrop: tuple[int, int, int] | None = (255, 255, 255)
    dropped: bool = False            # inside <script>, <style>, <head>...: never text


@dataclass
class HtmlText:
    """The visible text, and the reasons and snippets of what was hidden (none when all is visible)."""

    text: str
    hidden: list[str] = field(default_factory=list)
    hidden_chars: int = 0
    truncated: bool = False

    def warning(self) -> str | None:
        """One line for InboundMessage.warnings when text was hidden, else None."""
        if not self.hidden:
            return None
        reasons = sorted({h.split(": ", 1)[0] for h in self.hidden})
        sample = next(h.split(": ", 1)[1] for h in self.hidden)
        return (f"the HTML holds {self.hidden_chars} characters a reader cannot see ({', '.join(reasons)}), "
                f"left out of the text that is scored: {sample!r}")


def read_html(html: str, max_chars: int | None = None) -> HtmlText:
    """Visible text of an HTML body with blocks on their own lines; hidden text reported apart."""
    parser = _Reader(max_chars)
    step = 1 << 16
    for start in range(0, len(html), step):
        parser.feed(html[start:start + step])
        if parser.full:
            break
    else:
        parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.out).splitlines())
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return HtmlText(text, parser.hidden, parser.hidden_chars, parser.full)


class _Reader(HTMLParser):
    """HTMLParser events onto a stack of (tag, look); text goes out or to `hidden` by its look."""

    def __init__(self, max_chars: int | None) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, _Look]] = []
        self.out: list[str] = []
        self.size = 0
        self.max_chars = max_chars
        self.full = False
        self.hidden: list[str] = []
        self.hidden_chars = 0
        self.rules: dict[str, dict[str, str]] = {}
        self.css: list[str] | None = None
        self.title: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" or tag in _BLOCKS or tag in _CELLS:
            self._close_head()
        self._implied_end(tag)
        if tag in _BLOCKS or tag in ("br", "hr"):
            self._emit("\n")
        if tag in _VOID or len(self.stack) >= _MAX_DEPTH:
            return
        look = self._look(tag, dict(attrs), self.stack[-1][1] if self.stack else _Look())
        if tag in _DROP:
            look = replace(look, dropped=True)
        self.stack.append((tag, look))
        if tag == "style":
            self.css = []
        elif tag == "title" and self.title is None:
            self.title = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        bottom = max(0, len(self.stack) - _SCAN)
        at = next((i for i in range(len(self.stack) - 1, bottom - 1, -1) if self.stack[i][0] == tag), None)
        if at is not None:
            self._pop_to(at)
        elif tag in _BLOCKS or tag in ("br", "p"):
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        if self.css is not None:
            self.css.append(data)
            return
        look = self.stack[-1][1] if self.stack else _Look()
        if look.dropped:
            return
        why = _unseen(look)
        if why is None:
            self._emit(data)
        elif data.strip():
            self.hidden_chars += len(data.strip())
            if len(self.hidden) < 20:
                self.hidden.append(f"{why}: {' '.join(data.split())[:_MAX_SNIPPET]}")

    def _close_head(self) -> None:
        """A body part ends an unclosed <head>, which would otherwise hide the whole mail."""
        at = next((i for i, (t, _) in enumerate(self.stack[:_SCAN]) if t == "head"), None)
        if at is not None:
            self._pop_to(at)

    def _implied_end(self, tag: str) -> None:
        """Close what this start tag ends: an open <li> at a new <li>, a <td> at a <td>, a <p> at a block."""
        closes = _CLOSES.get(tag)
        found = None
        for i in range(len(self.stack) - 1, max(-1, len(self.stack) - 1 - _SCAN), -1):
            open_tag = self.stack[i][0]
            if closes is not None:
                if open_tag in _BOUNDARIES:
                    break
                if open_tag in closes:
                    found = i
            elif tag == "p" or tag in _BLOCKS:
                if open_tag == "p":
                    found = i
                if open_tag not in _INLINE:
                    break
            else:
                break
        if found is not None:
            self._pop_to(found)

    def _pop_to(self, at: int) -> None:
        """Close the element at `at` and all opened inside it."""
        for tag, _ in reversed(self.stack[at:]):
            if tag == "style" and self.css is not None:
                self._learn("".join(self.css))
                self.css = None
            elif tag == "title" and self.title is not None:
                kept, self.title = self.title, None
                # An unclosed <title> swallows the document in HTMLParser too; drop only a real title.
                if sum(map(len, kept)) >= 200:
                    self._emit("".join(kept))
            elif tag in _BLOCKS:
                self._emit("\n")
            elif tag in _CELLS:
                self._emit(" ")
        del self.stack[at:]

    def close(self) -> None:
        super().close()
        if self.title is not None:
            kept, self.title = self.title, None
            self._emit("".join(kept))

    def _emit(self, text: str) -> None:
        if self.full:
            return
        if self.title is not None:
            self.title.append(text)
            return
        self.out.append(text)
        self.size += len(text)
        if self.max_chars is not None and self.size > self.max_chars:
            self.full = True

    def _learn(self, css: str) -> None:
        """Simple `.class` and `#id` rules of a <style> block, for the looks of elements using them."""
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        for selectors, body in _RULE.findall(css[:200_000]):
            declarations = _declarations(body)
            if not declarations:
                continue
            for selector in selectors.split(","):
                simple = _SIMPLE_SELECTOR.match(selector)
                if simple:
                    self.rules.setdefault(simple.group(1) + simple.group(2).lower(), {}).update(declarations)

    def _look(self, tag: str, attrs: dict[str, str | None], parent: _Look) -> _Look:
        style: dict[str, str] = {}
        for name in (attrs.get("class") or "").split():
            style.update(self.rules.get("." + name.lower(), {}))
        if attrs.get("id"):
            style.update(self.rules.get("#" + str(attrs["id"]).lower(), {}))
        style.update(_declarations(attrs.get("style") or ""))
        look = parent
        gone = _gone(tag, attrs, style)
        if gone and not parent.gone:
            look = replace(look, gone=gone)
        visibility = style.get("visibility", "").lower()
        if visibility in ("hidden", "collapse"):
            look = replace(look, invisible="visibility:hidden")
        elif visibility == "visible":
            look = replace(look, invisible=None)
        if "font-size" in style:
            look = replace(look, tiny=_tiny(style["font-size"], parent.tiny))
        colour = style.get("color") or (attrs.get("color") if tag == "font" else None)
        if colour:
            look = replace(look, colour=_rgb(colour))
        elif tag == "a" and attrs.get("href"):
            look = replace(look, colour=None)  # a link is drawn in the link colour, not its parent's
        backdrop = style.get("background-color") or style.get("background") or attrs.get("bgcolor")
        if backdrop:
            if "url(" in backdrop or "gradient" in backdrop or attrs.get("background"):
                look = replace(look, backdrop=None)  # a picture behind the text: colours say nothing
            elif (found := _rgb(backdrop)) is not None:
                look = replace(look, backdrop=found)
        return look


def _declarations(style: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in style.split(";"):
        name, colon, value = part.partition(":")
        if colon:
            out[name.strip().lower()] = value.strip().lower().replace("!important", "").strip()
    return out


def _gone(tag: str, attrs: dict[str, str | None], style: dict[str, str]) -> str | None:
    """Why an element and everything in it cannot be seen, or None."""
    if style.get("display") == "none":
        return "display:none"
    if "hidden" in attrs and style.get("display", "none") == "none":
        return "hidden attribute"
    if _number(style.get("opacity", "")) == 0:
        return "opacity:0"
    position = style.get("position", "")
    if position in ("absolute", "fixed") and any(
            (_px(style.get(side, "")) or 0) <= _OFF_SCREEN_PX for side in ("left", "top", "right", "bottom")):
        return "off-screen"
    if (_px(style.get("text-indent", "")) or 0) <= _OFF_SCREEN_PX:
        return "off-screen"
    clipped = style.get("overflow", "") == "hidden" or "rect(0" in style.get("clip", "")
    if clipped and any(_px(style.get(p, "")) == 0 for p in ("max-height", "height", "max-width", "width")):
        return "zero-size box"
    return None


def _unseen(look: _Look) -> str | None:
    if look.gone:
        return look.gone
    if look.invisible:
        return look.invisible
    if look.tiny:
        return "font-size:0"
    if look.colour is not None and look.backdrop is not None and all(
            abs(a - b) <= _NEAR for a, b in zip(look.colour, look.backdrop)):
        return "text colour = background"
    return None


def _tiny(value: str, parent_tiny: bool) -> bool:
    """A font size a person cannot read: 0 or about 1px; relative sizes scale the parent's."""
    found = _LENGTH.match(value)
    if not found:
        return False if value.strip() else parent_tiny  # keywords (small, medium) are readable
    number, unit = float(found.group(1)), (found.group(2) or "px").lower()
    if unit in ("em", "rem", "%", "ex", "ch"):
        scale = number / 100 if unit == "%" else number
        return scale <= 0.1 or (parent_tiny and unit != "rem")
    return number <= (1.0 if unit in ("px", "pt") else 0.05)


def _px(value: str) -> float | None:
    found = _LENGTH.match(value)
    if not found or (found.group(2) or "px").lower() not in ("px", "pt", "em", "rem", "%", "vw", "vh"):
        return None
    return float(found.group(1)) * (16 if (found.group(2) or "").lower() in ("em", "rem") else 1)


def _number(value: str) -> float | None:
    try:
        return float(value.strip().rstrip("%")) if value.strip() else None
    except ValueError:
        return None


def _rgb(value: str) -> tuple[int, int, int] | None:
    """The first colour in a CSS value as (r, g, b); None for transparent or what we cannot read."""
    for token in _COLOUR.findall(re.sub(r"url\([^)]*\)", " ", value.lower())):
        if token.startswith("#"):
            digits = token[1:]
            if len(digits) in (3, 4):
                digits = "".join(c * 2 for c in digits[:3])
            if len(digits) in (6, 8):
                return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
            return None
        if token.startswith("rgb"):
            parts = re.findall(r"-?\d*\.?\d+%?", token)
            if len(parts) >= 3:
                if len(parts) >= 4 and _number(parts[3]) == 0:
                    return None
                return tuple(min(255, int(float(p[:-1]) * 2.55) if p.endswith("%") else int(float(p)))
                             for p in parts[:3])  # type: ignore[return-value]
            return None
        if token in _NAMED:
            return _NAMED[token]
    return None
