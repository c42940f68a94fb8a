"""The bundled sentence-embedding model: found offline, 384-dim unit vectors, clear errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from opsys.ai.embeddings import bundled_model_path, embed, load_embedder
from opsys.ai.errors import ModelUnavailable


def test_bundled_model_is_installed():
    path = bundled_model_path()
    assert (path / "config.json").is_file() and (path / "modules.json").is_file()


def test_vectors_are_384_dim_and_unit_length(embedder):
    v = embed(["Our checkout is down!", "Do you do SEO?", "x" * 5000], embedder)
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert embed([], embedder).shape == (0, 384)


def test_similar_messages_are_closer_than_unrelated(embedder):
    down, down2, crypto = embed(["The website is down", "Our site is not loading at all",
                                 "Claim your free bitcoin airdrop"], embedder)
    assert down @ down2 > down @ crypto + 0.2


def test_loader_is_cached_per_process(embedder):
    assert load_embedder("bundled") is embedder


def test_missing_model_folder_names_the_path(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelUnavailable, match="no-such-model"):
        load_embedder(str(missing))


def test_importing_the_ai_package_does_not_import_torch():
    # the CLI imports these modules cheaply; torch and llama_cpp load only when a model is used
    code = ("import sys, opsys.ai.embeddings, opsys.ai.embedding_classifier, opsys.ai.llm, opsys.ai.message_classifier, "
            "opsys.ai.fallback; heavy = {'torch', 'sentence_transformers', 'llama_cpp', 'sklearn'} & "
            "set(sys.modules); print(sorted(heavy)); sys.exit(1 if heavy else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
