"""Paragraph text from data prints as typed; only our templates carry markup."""

from reportlab.lib.styles import ParagraphStyle

from sales.pdf_text import paragraph_text, safe_paragraph


def test_data_is_escaped_and_control_characters_dropped() -> None:
    assert (
        paragraph_text('<img src="/etc/passwd"/> & <b>') == '&lt;img src="/etc/passwd"/&gt; &amp; &lt;b&gt;'
    )
    assert paragraph_text("a\x00b\x1bc\td\ne") == "abc\td\ne"


def test_the_template_keeps_its_markup_and_escapes_every_value() -> None:
    paragraph = safe_paragraph("<b>{name}</b> {n}", ParagraphStyle("t"), name="<font size=40>x</font>", n=3)
    assert paragraph.text == "<b>&lt;font size=40&gt;x&lt;/font&gt;</b> 3"
