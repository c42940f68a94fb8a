"""parse_email over ~300 real, often broken, messages from other projects' test suites."""

from __future__ import annotations

import time
from pathlib import Path

from opsys.sources.email import parse_email
from opsys.sources.errors import SourceError


_NOT_MAIL = {"LICENSE", "MANIFEST.tsv", ".gitattributes"}
# Files in the corpus that are not RFC 5322 messages: an empty file, an Outlook .msg,
# header-less bodies and the obsolete "Subject :" syntax the stdlib does not read.
_KNOWN_NON_MAIL = {
    "cpython_test_email/msg_19.txt",
    "mail_parser/mail_outlook_1.eml",
    "mikel_mail/rfc2822/example13.eml",
    "mikel_mail/sample_output_multipart",
    "mime4j_testmsgs/malformedHeader-noheader.msg",
    "mime4j_testmsgs/malformedHeaderStartsBody-noheader.msg",
    "mime4j_testmsgs/obsolete.msg",
}


def _read(root: Path, rel: str):
    return parse_email((root / rel).read_bytes(), Path(rel).name)


def test_every_fixture_parses_or_is_refused_with_a_fix(mail_fixtures):
    files = sorted(p for p in mail_fixtures.rglob("*") if p.is_file())
    parsed, refused = [], []
    started = time.perf_counter()
    for path in files:
        try:
            parsed.append(parse_email(path.read_bytes(), path.name))
        except SourceError as err:  # any other exception fails the test
            assert "Fix:" in str(err) and err.fix
            refused.append(path.relative_to(mail_fixtures).as_posix())
    elapsed = time.perf_counter() - started

    assert len(files) > 300
    assert len(parsed) >= 290, refused
    unexpected = [r for r in refused if Path(r).name not in _NOT_MAIL and r not in _KNOWN_NON_MAIL]
    assert not unexpected, unexpected
    assert "mail_parser/mail_outlook_1.eml" in refused
    assert all(m.channel == "email" and isinstance(m.body, str) for m in parsed)
    # ~1,000 mails/s is the goal; this bound only catches something pathological.
    assert elapsed < 10, f"{len(files)} files took {elapsed:.1f}s"


def test_html_only_mail_becomes_text_without_tags(mail_fixtures):
    msg = _read(mail_fixtures, "mikel_mail/error_emails/content_transfer_encoding_text-html.eml")
    assert "You have qualified for the lowest rate in years." in msg.body
    # the sign-off is split from the new text (sources/reply_split.py) and kept as the signature
    assert "Reynolds Associates, LLC" in msg.fields["signature"] and "Reynolds" not in msg.body
    assert "<" not in msg.body and "&nbsp;" not in msg.body
    assert msg.subject == "Re: We will help you refinance your home."


def test_html_only_spam_drops_style_and_keeps_text(mail_fixtures):
    msg = _read(mail_fixtures, "mail_parser/mail_test_6.eml")
    assert msg.body.startswith("Профиль")
    assert "<td" not in msg.body and "cellspacing" not in msg.body
    assert msg.fields["bulk"] == "yes"


def test_unknown_charset_survives_with_a_warning(mail_fixtures):
    msg = _read(mail_fixtures, "mikel_mail/plain_emails/raw_email10.eml")
    assert "Test test. Hi. Waving." in msg.body
    assert "Envoyé par le service de messagerie texte de Bell Mobilité." in msg.body
    assert any("x-unknown" in w for w in msg.warnings)


def test_iso_2022_jp_body_and_utf8_subject_are_decoded(mail_fixtures):
    msg = _read(mail_fixtures, "mikel_mail/multi_charset/japanese_iso_2022.eml")
    assert msg.body == "すみません。"
    assert msg.subject == "まみむめも"
    assert (msg.name, msg.email) == ("Mikel Lindsaar", "raasdnil@gmail.com")


def test_shift_jis_and_korean_bodies_are_decoded(mail_fixtures):
    japanese = _read(mail_fixtures, "mikel_mail/multi_charset/japanese_shift_jis.eml")
    assert "このメールはテスト用のメールです。" in japanese.body
    assert _read(mail_fixtures, "mikel_mail/multi_charset/ks_c_5601-1987.eml").body == "스티해"


def test_koi8_r_encoded_attachment_name_is_decoded(mail_fixtures):
    msg = _read(mail_fixtures, "mime4j_testmsgs/russian-headers.msg")
    assert [a.filename for a in msg.attachments] == ["Список.doc"]


def test_gb2312_subject_is_read_as_its_gb18030_superset(mail_fixtures):
    msg = _read(mail_fixtures, "mail_parser/mail_test_9.eml")
    assert msg.subject.startswith("我把镜头拉近些")
    assert "=?gb2312" not in msg.subject


def test_attachments_are_recorded_with_names_types_and_sizes(mail_fixtures):
    msg = _read(mail_fixtures, "mikel_mail/attachment_emails/attachment_pdf.eml")
    assert [(a.filename, a.content_type, a.size) for a in msg.attachments] == [("broken.pdf", "application/pdf", 1026)]
    assert msg.subject == "Another PDF with 🎉 Unicode chars in it 🍿"
    assert msg.body.startswith("Just attaching another PDF")
    assert msg.received_at is not None and msg.received_at.utcoffset() is not None


def test_nested_message_is_an_attachment_not_body(mail_fixtures):
    msg = _read(mail_fixtures, "mikel_mail/attachment_emails/attachment_message_rfc822.eml")
    assert msg.body == "This is the first part."
    nested = [a for a in msg.attachments if a.content_type == "message/rfc822"]
    assert len(nested) == 1 and nested[0].size > 1000


def test_forward_only_mail_reads_the_forwarded_text(mail_fixtures):
    msg = _read(mail_fixtures, "mime4j_mimetools/re-fwd.msg")
    assert msg.body.startswith("This is the original message.")
    assert msg.attachments[0].content_type == "message/rfc822"


def test_wrong_boundary_is_recovered_from_the_body(mail_fixtures):
    msg = _read(mail_fixtures, "mikel_mail/mime_emails/raw_email_with_illegal_boundary.eml")
    assert msg.body.startswith("Hello\r\nThis is an outlook test")
    assert "Content-Type" not in msg.body
    assert any("boundary" in w for w in msg.warnings)


def test_missing_and_bad_dates_are_none_with_a_warning(mail_fixtures):
    bad = _read(mail_fixtures, "mikel_mail/error_emails/bad_date_header.eml")
    assert bad.received_at is None and any("Date header" in w for w in bad.warnings)
    missing = _read(mail_fixtures, "mikel_mail/multi_charset/japanese_iso_2022.eml")
    assert missing.received_at is None and any("no Date header" in w for w in missing.warnings)
