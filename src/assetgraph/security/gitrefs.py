"""OSV ``GIT`` ranges offline: repository identity, commit ids, and the only comparisons that
need no repository history (docs/security.md, "GIT ranges").

A GIT range's events are commits; whether a commit lies between ``introduced`` and ``fixed``
needs the repository's history, which an offline import does not have. What can be decided
without it: a commit equal to an ``introduced`` or ``last_affected`` event is affected, one
equal to a ``fixed`` event is not, and a tag or commit in the entry's ``versions`` list (which
OSV enumerates from the GIT ranges) is affected. Pure Python, no Django.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

_HEX = re.compile(r"^[0-9a-f]{7,64}$")
_SCP = re.compile(r"^[\w.-]+@([\w.-]+):(.+)$")  # git@github.com:owner/repo.git
# Package URL types that name a hosted repository (pkg:github/owner/repo@commit).
REPO_HOSTS = {"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}


def looks_like_commit(text: str) -> bool:
    """Whether ``text`` is a git object id (never compared as an ecosystem version): 40 or
    64 hexadecimal digits, or an abbreviation of 7 to 39 that has both a digit and a letter
    a-f (so ``2023`` or ``1.2.3`` are versions, ``f3363e06e74b`` is a commit)."""
    value = text.strip().lower()
    if not _HEX.match(value):
        return False
    if len(value) in {40, 64}:
        return True
    return len(value) < 40 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def normal_repo(url: str) -> str:
    """A repository's identity: host and path, lower-cased, without scheme, user, ``.git``,
    trailing slash or a ``@commit``/``#commit`` suffix (``git+https://github.com/Owner/Repo.git``,
    ``git@github.com:owner/repo`` → ``github.com/owner/repo``). Empty when not a URL."""
    text = unquote(url.strip()).lower()
    if not text:
        return ""
    text = text.split("#", 1)[0]
    text = text.removeprefix("git+")
    scp = _SCP.match(text)
    if scp and "://" not in text:
        text = f"{scp.group(1)}/{scp.group(2)}"
    else:
        text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
        text = text.split("@", 1)[1] if "@" in text.split("/", 1)[0] else text  # user@host
    host, _, path = text.partition("/")
    path = path.split("@", 1)[0]  # vcs_url's …/repo.git@<commit>
    path = path.strip("/").removesuffix(".git").strip("/")
    host = host.split(":", 1)[0] if host.count(":") == 1 and host.endswith(":22") else host
    return f"{host}/{path}" if host and path else ""


def repo_key(url: str) -> str:
    """The matching key of a repository (``git/github.com/owner/repo``), empty if none."""
    repo = normal_repo(url)
    return f"git/{repo}" if repo else ""


def split_vcs_url(text: str) -> tuple[str, str]:
    """(repository key, commit or tag) of a package URL ``vcs_url`` qualifier or a VCS
    reference (``git+https://github.com/madler/zlib@04f42ce…``, ``…/zlib.git#v1.3``)."""
    value = unquote(text.strip())
    revision = ""
    if "#" in value:
        value, revision = value.split("#", 1)
    else:
        head, sep, tail = value.rpartition("@")
        if sep and "/" in head.split("://", 1)[-1] and "/" not in tail and ":" not in tail:
            value, revision = head, tail
    return repo_key(value), revision.strip()


def same_commit(installed: str, event: str) -> bool:
    """Equal commit ids, an abbreviation (7+ digits) equal to the full id's start."""
    a, b = installed.strip().lower(), event.strip().lower()
    if not looks_like_commit(a) or not looks_like_commit(b):
        return False
    short, full = sorted((a, b), key=len)
    return full.startswith(short)


def explain_git(
    ranges: tuple[dict[str, Any], ...], versions: tuple[str, ...], revision: str
) -> tuple[str, dict[str, Any]] | None:
    """Why ``revision`` (a commit or a tag of the repository) is affected by a GIT entry, or
    None: a listed version (exact string, a leading ``v`` ignored), or a commit equal to an
    ``introduced`` (not ``0``) or ``last_affected`` event and to no ``fixed`` event."""
    if not revision:
        return None
    bare = revision.removeprefix("v")
    for listed in versions:
        if listed == revision or listed.removeprefix("v") == bare or same_commit(revision, listed):
            return f"{revision} is listed as affected", {"versions": "listed", "version": revision}
    if not looks_like_commit(revision):
        return None
    for index, rng in enumerate(ranges):
        events = [e for e in rng.get("events") or [] if isinstance(e, dict)]
        if any(same_commit(revision, str(e.get("fixed", ""))) for e in events):
            continue
        for event in events:
            for kind in ("introduced", "last_affected"):
                value = str(event.get(kind, ""))
                if value and value != "0" and same_commit(revision, value):
                    label = kind.replace("_", " ")
                    return (
                        f"commit {revision} is the {label} commit of the GIT range of "
                        f"{rng.get('repo', '')}",
                        {"range": index, "type": "GIT", kind: value, "commit": revision},
                    )
    return None


def git_only(ranges: list[dict[str, Any]], versions: list[str]) -> bool:
    """Whether an affected entry's only evidence is GIT ranges (no ECOSYSTEM or SEMVER
    range, no versions list): offline it matches only a component at an event's commit."""
    return bool(ranges) and not versions and all(r.get("type") == "GIT" for r in ranges)
