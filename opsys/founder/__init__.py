"""The founder's page: only what needs the founder (escalations, decisions, anomalies), ranked.

Each source of items is one small provider in `providers.py`'s registry; `page.py` gathers them,
drops what was acknowledged and has not changed, ranks the rest and counts what was handled.
"""
