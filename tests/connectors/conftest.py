"""Fixtures shared by the connector tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connectors._site import Site


@pytest.fixture
def site() -> Iterator[Site]:
    """A scriptable HTTP site on 127.0.0.1 (:class:`tests.connectors._site.Site`)."""
    with Site() as s:
        yield s
