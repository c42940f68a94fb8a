from opsys.rules.services import detect_service, keyword_hits


def test_form_value_first(system_map) -> None:
    firm = system_map.team.firm
    assert detect_service("We need SEO and google ads", "Website design & build", firm) == "web_design"
    assert detect_service("We need SEO", "web_design", firm) == "web_design"
    assert detect_service("We need SEO", "A new logo please", firm) == "branding"


def test_form_value_without_keywords_falls_back_to_text(system_map) -> None:
    assert detect_service("Our organic traffic dropped; we need SEO", "Other", system_map.team.firm) == "seo"


def test_most_hits_wins(system_map) -> None:
    text = "We run Google Ads and Facebook ads, plus some SEO. Paid ads are our focus."
    assert detect_service(text, None, system_map.team.firm) == "ppc"


def test_tie_goes_to_config_order(system_map) -> None:
    # one web_design keyword, one seo keyword: web_design is listed first in team.yml
    assert detect_service("A new website and better SEO", None, system_map.team.firm) == "web_design"


def test_word_boundaries(system_map) -> None:
    firm = system_map.team.firm
    assert detect_service("We are based in Seoul and love blogos", None, firm) is None
    assert detect_service("Our e-commerce store", None, firm) == "web_design"
    assert detect_service("", None, firm) is None


def test_keyword_hits_counts_repeats() -> None:
    assert keyword_hits("SEO, seo and more SEO; web  design", ["seo", "web design"]) == ["seo"] * 3 + ["web design"]
