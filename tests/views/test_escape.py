import markdown

from opsys.views.escape import md_cell

NASTY = [
    "<script>alert('x')</script>",
    "[click me](http://evil.example) ![img](http://evil.example/x.png)",
    "| col | injected |\n|---|---|",
    "# Heading\n\n* list item",
    "**bold** _em_ `code` ~~strike~~",
    "<img src=x onerror=alert(1)>",
    "{: .cls onclick='x' }",
    "&lt;already&gt; &amp; entity",
]


def test_cells_render_as_plain_text_in_a_table():
    for text in NASTY:
        md = f"| a | b |\n|---|---|\n| {md_cell(text, limit=500)} | end |\n"
        out = markdown.markdown(md, extensions=["tables", "attr_list"])
        assert "<script" not in out and "<img" not in out and "<a " not in out
        assert "<strong>" not in out and "<em>" not in out and "<code>" not in out and "<h1>" not in out
        assert out.count("<td>") == 2, out  # still exactly one row of two cells
        # what a reader sees is the original text (whitespace collapsed)
        import html as _html
        import re
        shown = _html.unescape(re.sub(r"<[^>]+>", "", out.split("<td>")[1].split("</td>")[0]))
        assert shown == " ".join(text.split())


def test_long_text_is_shortened():
    assert len(md_cell("x" * 500, limit=20)) <= 20
