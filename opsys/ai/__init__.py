"""AI that labels and drafts, never routes: embeddings, the example-trained classifier, the local LLM.

Heavy libraries (torch, sentence-transformers, llama_cpp) are imported inside functions, so importing
this package stays cheap for CLI commands that never classify.
"""
