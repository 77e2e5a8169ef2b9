"""Thin service layer: store + plays + connectors, one transaction per use case."""
