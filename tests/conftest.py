"""Fixtures shared by test files."""
import pytest


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The docs site, built once for the session (see ``docs_site.build``); tests must not modify it."""
    from docs_site import build

    return build(tmp_path_factory.mktemp("site"))
