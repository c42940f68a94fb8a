"""The persistent search index under `var/knowledge/`: Chroma vectors plus the chunk list BM25 reads.

Incremental: a page is re-read only when git says it changed since the indexed commit or its
size/mtime moved, and re-embedded only when its content hash changed; deleted pages leave the
index. One writer at a time (a file lock shared by `opsys index` and the watcher).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from opsys.knowledge.chunking import Chunk, chunk_sop, page_summary
from opsys.knowledge.sop import iter_markdown, parse_sop

log = logging.getLogger(__name__)

COLLECTION = "sops"
STATE_VERSION = 4  # 2: chunks carry their page's audience; 3: heading trail and page summary embedded, chunk vectors;
#                   4: a page without a trigger or description has no summary vector (zeros), not its title's
EMBED_BATCH = 256
UPSERT_BATCH = 2000


@dataclass
class IndexReport:
    pages: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


class IndexPaths:
    def __init__(self, var: Path):
        self.dir = var / "knowledge"
        self.chroma = self.dir / "chroma"
        self.state = self.dir / "state.json"
        self.chunks = self.dir / "chunks.json"
        self.vectors = self.dir / "page_vectors.npz"
        self.chunk_vectors = self.dir / "chunk_vectors.npz"
        self.lock = self.dir / "index.lock"


def open_collection(chroma_dir: Path):
    """The Chroma collection, telemetry off (nothing leaves the laptop)."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings

    chroma_dir.mkdir(parents=True, exist_ok=True)
    client = chromadb.PersistentClient(path=str(chroma_dir),
                                       settings=Settings(anonymized_telemetry=False, allow_reset=False))
    return client.get_or_create_collection(COLLECTION, metadata={"hnsw:space": "cosine"},
                                           embedding_function=None)


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_json(path: Path, value) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def load_state(paths: IndexPaths) -> dict:
    try:
        state = json.loads(paths.state.read_text(encoding="utf-8"))
        if state.get("version") == STATE_VERSION:
            return state
    except (FileNotFoundError, ValueError):
        pass
    return {"version": STATE_VERSION, "model": None, "commit": None, "files": {}}


def build_index(root: Path, var: Path, model: str = "bundled", *, full: bool = False,
                progress: bool = False, embedder=None) -> IndexReport:
    """Bring the index of the Markdown under `root` up to date; returns what changed."""
    from filelock import FileLock

    paths = IndexPaths(var)
    paths.dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(paths.lock), timeout=600):
        return _build(root, paths, model, full=full, progress=progress, embedder=embedder)


def _build(root: Path, paths: IndexPaths, model: str, *, full: bool, progress: bool, embedder) -> IndexReport:
    from opsys.ai.embeddings import embed, load_embedder, model_name
    from opsys.knowledge.history import changed_since, head_commit

    t0 = time.perf_counter()
    report = IndexReport()
    state = load_state(paths)
    if (full or state.get("model") != model_name(model) or not paths.chunks.exists()
            or not paths.chunk_vectors.exists()):
        state = {"version": STATE_VERSION, "model": model_name(model), "commit": None, "files": {}}
        full = True
    files_state: dict[str, dict] = state["files"]
    current = {p.relative_to(root).as_posix(): p for p in iter_markdown(root)}
    report.pages = len(current)
    git_changed = changed_since(root, state["commit"]) if state.get("commit") else None

    collection = open_collection(paths.chroma)
    if full:
        existing = collection.get(include=[])["ids"]
        for i in range(0, len(existing), UPSERT_BATCH):
            collection.delete(ids=existing[i:i + UPSERT_BATCH])

    old_chunks: dict[str, list[dict]] = {}
    vector_of, summary_of = ({}, {}) if full else load_chunk_vectors(paths)
    summaries: dict[str, str] = {}
    if not full:
        for c in json.loads(paths.chunks.read_text(encoding="utf-8")):
            old_chunks.setdefault(c["rel"], []).append(c)

    to_embed: list[Chunk] = []
    page_sums: dict = {}
    new_files: dict[str, dict] = {}
    for rel, path in current.items():
        st = path.stat()
        prev = files_state.get(rel)
        suspect = (prev is None or prev["mtime_ns"] != st.st_mtime_ns or prev["size"] != st.st_size
                   or (git_changed is not None and rel in git_changed))
        digest = _hash(path) if suspect else prev["hash"]
        if prev is not None and digest == prev["hash"] and rel in old_chunks:
            new_files[rel] = {**prev, "mtime_ns": st.st_mtime_ns, "size": st.st_size}
            report.unchanged += 1
            continue
        sop = parse_sop(path, root)
        chunks = chunk_sop(sop)
        summaries[rel] = page_summary(sop)
        to_embed.extend(chunks)
        old_chunks[rel] = [c.as_dict() for c in chunks]
        new_files[rel] = {"hash": digest, "mtime_ns": st.st_mtime_ns, "size": st.st_size,
                          "chunks": [c.id for c in chunks]}
        (report.updated if prev is not None else report.added).append(rel)
        if prev is not None and prev.get("chunks"):
            collection.delete(ids=prev["chunks"])
    for rel in sorted(set(files_state) - set(current)):
        report.removed.append(rel)
        old_chunks.pop(rel, None)
        if files_state[rel].get("chunks"):
            collection.delete(ids=files_state[rel]["chunks"])

    if to_embed:
        st_model = embedder if embedder is not None else load_embedder(model)
        te = time.perf_counter()  # model loading is not embedding
        bar = _progress(progress, len(to_embed))
        for i in range(0, len(to_embed), EMBED_BATCH):
            batch = to_embed[i:i + EMBED_BATCH]
            vectors = embed([c.embed_text() for c in batch], st_model)
            for c, v in zip(batch, vectors):
                page_sums[c.rel] = page_sums.get(c.rel, 0) + v
                vector_of[c.id] = v
            for j in range(0, len(batch), UPSERT_BATCH):
                part = batch[j:j + UPSERT_BATCH]
                collection.upsert(ids=[c.id for c in part], embeddings=vectors[j:j + UPSERT_BATCH].tolist(),
                                  documents=[c.text for c in part],
                                  metadatas=[{"rel": c.rel, "sop_id": c.sop_id, "title": c.title,
                                              "section": c.section, "url": c.url} for c in part])
            if bar:
                bar[0].update(bar[1], advance=len(batch))
        if bar:
            bar[0].stop()
        rels = sorted(r for r, text in summaries.items() if text)
        summary_of.update(zip(rels, embed([summaries[r] for r in rels], st_model)) if rels else ())
        for r in (r for r, text in summaries.items() if not text):
            summary_of.pop(r, None)
        report.embed_seconds += time.perf_counter() - te
        report.chunks_embedded = len(to_embed)

    all_chunks = [c for rel in sorted(old_chunks) if rel in current for c in old_chunks[rel]]
    report.chunks_total = len(all_chunks)
    if report.changed or full or not paths.vectors.exists():
        _save_chunk_vectors(paths, collection, all_chunks, vector_of, summary_of)
        _write_json(paths.chunks, all_chunks)
        if full or not paths.vectors.exists():
            _write_page_vectors(collection, paths)
        else:  # only the pages embedded now change; reading every vector back from Chroma costs seconds
            _update_page_vectors(paths, page_sums, set(report.removed))
    state["files"] = new_files
    state["commit"] = head_commit(root)
    state["indexed_at"] = time.time()
    _write_json(paths.state, state)
    report.seconds = time.perf_counter() - t0
    return report


def _progress(show: bool, total: int):
    if not show or total < EMBED_BATCH:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    p = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                 TimeRemainingColumn(), transient=True)
    p.start()
    return p, p.add_task("embedding sections", total=total)


def load_chunk_vectors(paths: IndexPaths) -> tuple[dict, dict]:
    """(chunk id -> unit vector, page rel -> its summary's unit vector) as the last build saved them
    (pages without a summary are left out)."""
    import numpy as np

    try:
        data = np.load(paths.chunk_vectors)
    except (FileNotFoundError, OSError, ValueError):
        return {}, {}
    return ({str(i): v for i, v in zip(data["ids"], data["vectors"])},
            {str(r): v for r, v in zip(data["pages"], data["summaries"]) if v.any()})


def _save_chunk_vectors(paths: IndexPaths, collection, chunks: list[dict], vector_of: dict,
                        summary_of: dict) -> None:
    """Every chunk's vector in chunks.json order, and each page's summary vector (zeros for a page
    without one): search scores all of them exactly with one matrix product (no approximate
    neighbours, no keyword hit left unscored)."""
    import numpy as np

    missing = [c["id"] for c in chunks if c["id"] not in vector_of]
    for i in range(0, len(missing), UPSERT_BATCH):  # only if the file was lost: Chroma holds them too
        got = collection.get(ids=missing[i:i + UPSERT_BATCH], include=["embeddings"])
        vector_of.update({cid: np.asarray(v, dtype=np.float32) for cid, v in zip(got["ids"], got["embeddings"])})
    ids = [c["id"] for c in chunks]
    mat = (np.stack([np.asarray(vector_of[i], dtype=np.float32) for i in ids]) if ids
           else np.zeros((0, 384), np.float32))
    pages = sorted({c["rel"] for c in chunks})
    dim = mat.shape[1] if len(ids) else 384
    summaries = np.zeros((len(pages), dim), np.float32)
    for n, r in enumerate(pages):
        if r in summary_of:
            summaries[n] = summary_of[r]
    tmp = paths.chunk_vectors.with_name(".chunk_vectors.tmp.npz")
    np.savez(tmp, ids=np.array(ids), vectors=mat, pages=np.array(pages), summaries=summaries)
    os.replace(tmp, paths.chunk_vectors)


def _write_page_vectors(collection, paths: IndexPaths) -> None:
    """One mean vector per page, for the site's 'Related procedures' (read without Chroma or torch)."""
    import numpy as np

    got = collection.get(include=["embeddings", "metadatas"])
    sums: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for vec, meta in zip(got["embeddings"], got["metadatas"]):
        rel = meta["rel"]
        v = np.asarray(vec, dtype=np.float32)
        sums[rel] = sums.get(rel, 0) + v
        counts[rel] = counts.get(rel, 0) + 1
    rels = sorted(sums)
    mat = np.stack([sums[r] / counts[r] for r in rels]) if rels else np.zeros((0, 384), np.float32)
    _save_page_vectors(paths, rels, mat)


def _save_page_vectors(paths: IndexPaths, rels: list[str], mat) -> None:
    import numpy as np

    if len(rels):
        norms = np.linalg.norm(mat, axis=1, keepdims=True)
        mat = mat / np.where(norms == 0, 1, norms)
    tmp = paths.vectors.with_name(".page_vectors.tmp.npz")
    np.savez(tmp, rels=np.array(rels), vectors=np.asarray(mat, dtype=np.float32))
    os.replace(tmp, paths.vectors)


def _update_page_vectors(paths: IndexPaths, page_sums: dict, removed: set[str]) -> None:
    import numpy as np

    data = np.load(paths.vectors)
    pages = {str(r): v for r, v in zip(data["rels"], data["vectors"])}
    for rel in removed:
        pages.pop(rel, None)
    pages.update(page_sums)  # the direction of the sum is the mean's direction
    rels = sorted(pages)
    mat = np.stack([pages[r] for r in rels]) if rels else np.zeros((0, data["vectors"].shape[1]), np.float32)
    _save_page_vectors(paths, rels, mat)


def related_pages(var: Path, top: int = 3) -> dict[str, list[tuple[str, float]]]:
    """For each indexed page, the `top` most similar other pages by mean embedding (empty if not indexed)."""
    import numpy as np

    path = IndexPaths(var).vectors
    if not path.exists():
        return {}
    data = np.load(path)
    rels, mat = [str(r) for r in data["rels"]], data["vectors"]
    if not rels:
        return {}
    sims = mat @ mat.T
    np.fill_diagonal(sims, -1)
    out = {}
    for i, rel in enumerate(rels):
        order = np.argsort(-sims[i])[:top]
        out[rel] = [(rels[j], float(sims[i, j])) for j in order]
    return out
