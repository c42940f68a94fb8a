"""The guards on real strings: an invented price, date, URL, promise or name is caught; a faithful
rewrite passes; the plain template always passes its own guards."""

from __future__ import annotations

import pytest

from opsys.ai.draft_guards import Sources, check_draft

TEMPLATE = ("Hi {first_name},\n\nThanks again for telling us about {need}. I wanted to check whether our last "
            "message reached you, and whether a short call would help you decide on the next step.\n\n"
            "If now is not the right time, just reply and say so.")
CONTEXT = {"first_name": "Dana", "need": "a new website with online ordering",
           "message": "We run a small bakery in Austin and need a website with online ordering. Budget is $8,000."}
SIGN_OFF = "Warm regards,\nThe Brightside Digital team"
PLAIN = TEMPLATE.format(**CONTEXT) + "\n\n" + SIGN_OFF + "\n"
GOOD = ("Hi Dana,\n\nThanks again for telling us about the new website with online ordering for your bakery in "
        "Austin. I wanted to check whether our last message reached you, and whether a short call would help you "
        "decide on the next step. If now is not the right time, just reply and say so.\n\n" + SIGN_OFF + "\n")


def verdicts(text: str) -> dict[str, tuple[bool, str]]:
    src = Sources.of(PLAIN, TEMPLATE, CONTEXT.values(), SIGN_OFF)
    return {name: (ok, detail) for name, ok, detail in check_draft(text, src)}


def failed(text: str) -> set[str]:
    return {name for name, (ok, _) in verdicts(text).items() if not ok}


def with_sentence(sentence: str) -> str:
    return GOOD.replace("just reply and say so.", "just reply and say so. " + sentence)


def test_a_faithful_rewrite_and_the_plain_template_pass():
    assert failed(GOOD) == set()
    assert failed(PLAIN) == set()


@pytest.mark.parametrize("sentence, guard, found", [
    ("A new site costs $4,500 with us.", "prices", "$4,500"),
    ("A new site costs $4,500 with us.", "numbers", "4,500"),
    ("Your budget of $8,000 is fine.", None, None),  # the context says $8,000: allowed
    ("We can have it live by March 3rd.", "dates", "march"),
    ("We can start on Monday.", "dates", "monday"),
    ("It will be ready within two weeks.", "numbers", "two"),
    ("See our work at https://portfolio.brightside.example/bakeries.", "urls", "https://portfolio"),
    ("Have a look at brightside-portfolio.com first.", "urls", "brightside-portfolio.com"),
    ("Write to sales@brightside.example for a quote.", "emails", "sales@brightside.example"),
    ("We guarantee first-page results.", "promises", "guarantee"),
    ("The first consultation is free.", "promises", "free"),
    ("We can offer a 10% discount.", "promises", "discount"),
    ("Feel free to call us.", None, None),  # not an offer
])
def test_invented_facts_and_promises_are_caught(sentence, guard, found):
    v = verdicts(with_sentence(sentence))
    bad = {n for n, (ok, _) in v.items() if not ok}
    if guard is None:
        assert bad == set(), v
    else:
        assert guard in bad, v
        assert found in v[guard][1]


def test_a_wrong_name_a_placeholder_a_missing_sign_off_and_a_loop_are_caught():
    assert "salutation" in failed(GOOD.replace("Hi Dana,", "Dear Sarah,"))
    assert "placeholders" in failed(with_sentence("Call me on [Your Phone Number]."))
    assert "placeholders" in failed(with_sentence("Best, {sender_name}"))
    assert "sign_off" in failed(GOOD.replace(SIGN_OFF, "Cheers,\nBob"))
    loop = "We would love to help you with the website. "
    assert "repetition" in failed(with_sentence(loop + loop))


def test_a_second_signature_and_an_invented_past_are_caught():
    signed = with_sentence("I have been working on it since last year.").replace(
        "\n\n" + SIGN_OFF, "\n\nBest regards,\nDana\n\n" + SIGN_OFF)
    v = verdicts(signed)
    assert not v["one_sign_off"][0] and "Best regards" in v["one_sign_off"][1]
    assert not v["dates"][0] and "last year" in v["dates"][1]
    assert verdicts(GOOD)["one_sign_off"][0]


def test_a_link_the_template_gives_must_stay():
    template = "Hi {first_name},\n\nA short review would help others find us:\n\n{review_link}\n\nThanks again."
    ctx = {"first_name": "Gary", "review_link": "https://g.page/r/firm/review"}
    plain = template.format(**ctx) + "\n\n" + SIGN_OFF
    src = Sources.of(plain, template, ctx.values(), SIGN_OFF)
    dropped = "Hi Gary,\n\nThank you for the kind words. A short review would help other businesses find us.\n\n" + SIGN_OFF
    v = {n: (ok, d) for n, ok, d in check_draft(dropped, src)}
    assert not v["kept"][0] and "https://g.page/r/firm/review" in v["kept"][1]
    assert all(ok for _, ok, _ in check_draft(plain, src))


def test_length_coverage_and_voice():
    assert "length" in failed("Hi Dana,\n\nOk.\n\n" + SIGN_OFF)
    assert "length" in failed(with_sentence("We build websites for many happy people. " * 30))
    off_topic = ("Hi Dana,\n\nI hope this message finds you well. I am writing to share an exciting branding "
                 "initiative with you and your team, and to explore future opportunities together.\n\n" + SIGN_OFF)
    assert "coverage" in failed(off_topic)
    assert "voice" in failed(with_sentence("We run a small bakery in Austin ourselves."))
    assert "voice" not in failed(with_sentence("We would be glad to help your bakery."))
