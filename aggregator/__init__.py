"""lingong core: schema, hookspecs and plugins, sources, catalog, pipeline, CLI."""

__version__ = "0.1.0"
