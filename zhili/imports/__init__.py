"""Streaming imports of other systems' exports (csv/xlsx + a YAML mapping): the shared kit and the importers."""
