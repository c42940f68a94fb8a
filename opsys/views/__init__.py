"""Views computed from the store: generated Markdown pages (never edited by hand)."""
