"""The span component is declared without Streamlit v1's look-up of the caller's module.

``components.declare_component`` finds its caller's module with ``inspect.getmodule``, whose
caches another thread may be filling: a module is first marked as mapped
(``inspect._filesbymodname``), then its file (``inspect.modulesbyfile``). Caught between the
two, the look-up returns None and ``declare_component`` raises "module is None" (a bench run
once crashed so while several sessions first opened the Code page). These tests put the
caches in that state, then declare.
"""

from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path

import pytest
import streamlit.components.v1 as components

import app.components.span_select as span_module


def _declare_as_the_module_does(name: str, path: str):  # noqa: ANN202
    """Streamlit's ``declare_component`` called from code in span_select's file, as an import of it would."""
    scope = {"components": components, "__name__": span_module.__name__}
    code = compile(f"component = components.declare_component({name!r}, path={path!r})", span_module.__file__, "exec")
    exec(code, scope)  # noqa: S102 - a fixed line, compiled to run "in" the module's file
    return scope["component"]


@pytest.fixture
def half_mapped(monkeypatch):
    """inspect's caches as another thread leaves them mid-update: span_select marked, its file not yet."""
    file = inspect.getabsfile(span_module)
    for key in {file, os.path.realpath(file)}:
        if key in inspect.modulesbyfile:
            monkeypatch.delitem(inspect.modulesbyfile, key)
    monkeypatch.setitem(inspect._filesbymodname, span_module.__name__, span_module.__file__)


def test_streamlit_declare_component_fails_when_the_caches_are_half_filled(half_mapped):
    with pytest.raises(RuntimeError, match="module is None"):
        _declare_as_the_module_does("span_select", str(Path(span_module.__file__).parent))


def test_the_span_component_is_declared_whatever_state_the_caches_are_in(half_mapped):
    module = importlib.reload(span_module)  # its declaration, run again in that state
    assert module._component.name == "app.components.span_select.span_select"  # the iframe's title
    assert module._component.module_name == "app.components.span_select"


def test_the_declaration_is_the_one_streamlit_would_make():
    path = str(Path(span_module.__file__).parent)
    assert span_module._component == _declare_as_the_module_does("span_select", path)
    assert Path(span_module._component.path) == Path(span_module.__file__).parent
    assert (Path(span_module._component.path) / "index.html").is_file()
