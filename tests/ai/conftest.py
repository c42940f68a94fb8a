"""Real models, loaded once per test session: the embedder, the fitted classifier and the GGUF."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def system_map():
    from opsys.config.loader import load_system_map

    return load_system_map(REPO / "system_map")


@pytest.fixture(scope="session")
def examples(system_map):
    return system_map.examples


@pytest.fixture(scope="session")
def embedder():
    from opsys.ai.embeddings import load_embedder

    return load_embedder("bundled")


@pytest.fixture(scope="session")
def example_embeddings(embedder, examples):
    from opsys.ai.embeddings import embed

    return embed([e.text for e in examples], embedder)


@pytest.fixture(scope="session")
def fitted(examples, example_embeddings):
    """The embedding classifier trained on every repo example (embedded once for the session)."""
    from opsys.ai.embedding_classifier import EmbeddingClassifier

    return EmbeddingClassifier("bundled").fit_embeddings(
        example_embeddings, [e.category for e in examples], [e.is_lead for e in examples])


@pytest.fixture(scope="session")
def local_llm(system_map):
    from opsys.ai.llm import LocalLlm

    llm = LocalLlm(system_map.classifier.llm, system_map.team.firm)
    llm.load()
    return llm
