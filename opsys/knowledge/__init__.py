"""The SOP library: parsing and checks, chunking, the Chroma index, hybrid search, git history.

Parsing and checks import only yaml/pydantic, so `opsys check` stays fast; the index and search
modules import chromadb, bm25s and the embedding model inside functions.
"""
