"""Every third-party module the product imports is declared in pyproject.toml.

`make demo` installs only the runtime dependencies (no ``[dev]``), so a module that arrives
only through a dev tool (PyYAML through ansible-core, jsonschema declared as a test
dependency) works in every test run and breaks the README's quick start on a fresh machine.
This test reads every ``import`` in ``src/assetgraph`` and checks that the distribution
providing it is named in ``[project] dependencies``, or in an optional extra when the import
is deferred to the feature that needs it (python-ldap, numba).
"""

from __future__ import annotations

import ast
import functools
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "assetgraph"

# Optional extras, imported only inside the feature that needs them (never at module level of
# a module every process loads): python-ldap and django-auth-ldap (directory sync and LDAP
# login, the ``ldap`` extra; directory.py imports ``ldap`` on first use, ldap_login.py is a
# backend loaded only when ASSETGRAPH_LDAP_LOGIN is on) and numba (the ``fast`` extra).
OPTIONAL = {
    "ldap": ("ldap", "python-ldap"),
    "django_auth_ldap": ("ldap", "django-auth-ldap"),
    "numba": ("fast", "numba"),
}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


@functools.cache
def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_bytes()) for path in SOURCE.rglob("*.py")}


def _imported_top_modules() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path, tree in _trees().items():
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_distribution_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    extras = {
        extra: {_name(r) for r in requirements}
        for extra, requirements in project["optional-dependencies"].items()
    }
    providers = packages_distributions()
    undeclared = []
    for module, files in sorted(_imported_top_modules().items()):
        if module in sys.stdlib_module_names or module in {"assetgraph", "__future__"}:
            continue
        if module in OPTIONAL:  # may be absent here: checked by name
            extra, dist = OPTIONAL[module]
            assert dist in extras[extra], f"{module} ({dist}) is not in the [{extra}] extra"
            continue
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [])}
        assert dists, f"{module} (imported in {sorted(files)}) is not installed at all"
        if not dists & runtime:
            undeclared.append(f"{module} ({', '.join(sorted(dists))}) in {sorted(files)[:3]}")
    assert not undeclared, "imported but not a runtime dependency: " + "; ".join(undeclared)


def test_optional_modules_are_not_imported_at_module_level_where_every_process_loads() -> None:
    """``ldap`` may appear at module level only in ldap_login.py, which Django loads as an
    authentication backend when LDAP login is configured (and settings refuse that setting
    without the extra)."""
    offenders = []
    for path, tree in _trees().items():
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module.split(".")[0]]
            if {"ldap", "django_auth_ldap"} & set(names) and path.name != "ldap_login.py":
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders
