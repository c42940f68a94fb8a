"""opsys: the layer between a firm's tools that runs intake, routing and follow-up without the founder."""

__version__ = "0.1.0"
