"""Typed shape of `system_map/documents.yml`: how far an invoice may differ from its timesheet or
measurement sheet before it is a mismatch, and how much an LLM extraction must be trusted to pass."""

from __future__ import annotations

from pydantic import Field

from opsys.config.strict import Strict


class DocumentTolerances(Strict):
    """Numbers may differ by this much before opsys calls it a mismatch."""

    hours: float = Field(0.25, ge=0, description="billed vs logged hours (quarter-hour rounding)")
    quantity_abs: float = Field(0.01, ge=0, description="billed vs measured quantity, absolute")
    quantity_rel: float = Field(0.01, ge=0, le=1, description="billed vs measured quantity, share of the measured")
    money: float = Field(0.02, ge=0, description="per compared amount (cent rounding)")
    money_per_line: float = Field(0.005, ge=0, description="a sum of n rounded lines may drift n times this")
    rate_rel: float = Field(0.005, ge=0, le=1, description="billed vs agreed rate, share of the rate")
    name_match: float = Field(80.0, ge=0, le=100, description="similarity (0-100) for an invoice line to be a task")
    high_money: float = Field(500.0, ge=0, description="money at stake from which a mismatch is high severity")
    medium_money: float = Field(50.0, ge=0, description="money at stake from which it is medium severity")
    not_compared: list[str] = Field(
        ["expense", "expenses", "travel", "mileage", "disbursement", "discount", "deposit", "retainer",
         "reimbursable", "shipping", "postage"],
        description="invoice lines with these words are not work on a sheet and are not compared")


class DocumentExtraction(Strict):
    """When no rule reads a document's structure, the local LLM may: how far to trust it."""

    llm_fallback: bool = Field(True, description="ask the local LLM (classifier.yml llm) when no layout fits")
    min_confidence: float = Field(0.8, ge=0, le=1,
                                  description="below this an LLM extraction is a 'please check' item, never a pass")
    max_text_chars: int = Field(3000, ge=200, description="PDF text given to the LLM (the start of the document)")


class DocumentSettings(Strict):
    tolerances: DocumentTolerances = DocumentTolerances()
    extraction: DocumentExtraction = DocumentExtraction()
