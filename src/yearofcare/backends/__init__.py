"""Storage backends, one per engine, behind `Store` (see `base.Backend` and `engine.connect`)."""

from yearofcare.backends.base import Backend, Changes

__all__ = ["Backend", "Changes"]
