"""Where no rule reads a document's structure, the real bundled SmolLM2 reads it as grammar-constrained
JSON with a confidence; below the system map's confidence it is a "please check" item, never a pass.
The model is weak: this asserts the mechanism (valid JSON per schema, a confidence, the check item),
not its accuracy."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import jsonschema
import pytest

from opsys.ai.document_extraction import INVOICE_SCHEMA
from opsys.founder.document_items import founder_items
from opsys.store.documents import current_documents, documents_to_check, open_mismatches
from opsys.store.events import list_events
from tests.documents.layouts import pdf_bytes

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)

# a text layer the PDF rules cannot read: no "Invoice No:" label, no Description ... Amount table
STATEMENT = [(50, 800, "Northlight Studio Ltd - statement of work billed", True),
             (50, 780, "Our ref 2291-B, for Casa Marisol Catering", False),
             (50, 766, "Website refresh, March 2026", False),
             (50, 740, "Menu update: 14 hours at 75.00 makes 1050.00", False),
             (50, 726, "Design review: 3 hours at 75.00 makes 225.00", False),
             (50, 700, "Net 1275.00 - VAT 20% 255.00 - please pay 1530.00 GBP", False)]


@pytest.fixture
def app(workspace):
    from opsys.app import open_app

    settings = workspace.system_map / "documents.yml"
    # as strict as it gets: whatever the small model writes, it must come back as a check item
    settings.write_text(settings.read_text().replace("min_confidence: 0.8", "min_confidence: 0.99"))

    class NoClassifier:
        llm_status = None

        def classify_many(self, texts):
            raise AssertionError("a document went to the lead classifier")

    a = open_app(workspace, classifier=NoClassifier(), clock=lambda: NOW)
    yield a
    a.close()


def test_an_unreadable_pdf_is_read_by_the_llm_and_becomes_a_please_check_item(app, capsys):
    (app.ws.inbox / "statement-march.pdf").write_bytes(pdf_bytes(STATEMENT))
    [out] = app.intake.consume([app.ws.inbox / "statement-march.pdf"]).outcomes
    assert out.status == "processed", out.detail
    [doc] = current_documents(app.db)
    assert (doc.extraction, doc.layout, doc.check_status) == ("llm", "pdf-llm", "needs_check")
    assert 0.0 <= doc.confidence < 0.99
    [stored] = [e for e in list_events(app.db) if e.kind == "document_stored"]
    answer = stored.inputs["llm_answer"]
    if "cut short" in (doc.check_note or ""):  # max_tokens ran out: said, and never parsed as if whole
        with pytest.raises(ValueError):
            json.loads(answer)
    else:
        jsonschema.validate(json.loads(answer), INVOICE_SCHEMA)  # the grammar's promise
    [needs] = [e for e in list_events(app.db) if e.kind == "document_needs_check"]
    assert needs.decided_by.startswith("llm:") and needs.confidence == doc.confidence
    [item] = list(founder_items(app, NOW))
    assert item.key == f"document-check:{doc.id}" and "please check statement-march.pdf" in item.title
    assert f"opsys documents confirm {doc.id}" in item.resolve
    assert open_mismatches(app.db) == []  # an unconfirmed reading raises nothing on its own
    with capsys.disabled():
        print(f"\nSmolLM2 read (confidence {doc.confidence:.2f}, model {stored.inputs['model_confidence']:.2f}, "
              f"grounded {stored.inputs['grounded']:.2f}): {answer}")

    from opsys.intake.documents import confirm_reading

    confirm_reading(app.intake.documents, doc.id, "maya", "checked against the paper copy")
    assert documents_to_check(app.db) == []
    assert not [i for i in founder_items(app, NOW) if i.key.startswith("document-check:")]
