"""A real OpenLDAP server for the tests: Debian's ``slapd`` on 127.0.0.1, an mdb database in a
temporary directory, seeded with a company directory (people, departments, managers, groups).

``Directory`` starts it with a ``slapd.conf``, waits until it answers, and modifies entries with
python-ldap as an administrator would (movers, leavers, joiners).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # python-ldap is the optional ldap extra: without it the directory tests skip
    import ldap
    import ldap.modlist
except ImportError:  # pragma: no cover - only on machines without the OpenLDAP headers
    ldap = None

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
BASE = "dc=example,dc=test"
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "admin-secret"
USER_PASSWORD = "ldap-user-pass-7"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
DEPARTMENTS = ("Engineering", "Finance", "Sales", "Support", "Operations")

CONF = """\
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {schema}/nis.schema
modulepath {modules}
moduleload back_mdb
pidfile {root}/slapd.pid
argsfile {root}/slapd.args
database mdb
maxsize 104857600
suffix "{base}"
rootdn "{admin}"
rootpw {password}
directory {root}/data
index objectClass eq
index employeeNumber eq
index uid eq
index member eq
access to attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to * by * read
"""


def free_port() -> int:
    """An unused TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uid_of(number: int) -> str:
    return f"user{number:04d}"


def dn_of(number: int) -> str:
    return f"uid={uid_of(number)},{PEOPLE}"


def employee_number(number: int) -> str:
    return f"E{number:05d}"


def person_entry(number: int, department: str | None = None) -> dict[str, list[bytes]]:
    """A seeded person: user 1 is the CEO, the next 10 report to them, everyone else reports to
    one of those 10; departments rotate."""
    department = department or DEPARTMENTS[number % len(DEPARTMENTS)]
    attrs: dict[str, list[bytes]] = {
        "objectClass": [b"inetOrgPerson"],
        "uid": [uid_of(number).encode()],
        "cn": [f"Given{number} Family{number}".encode()],
        "givenName": [f"Given{number}".encode()],
        "sn": [f"Family{number}".encode()],
        "mail": [f"{uid_of(number)}@example.test".encode()],
        "employeeNumber": [employee_number(number).encode()],
        "title": [b"Engineer" if number % 3 else b"Analyst"],
        "telephoneNumber": [f"+49 30 {number:06d}".encode()],
        "departmentNumber": [department.encode()],
        "userPassword": [USER_PASSWORD.encode()],
    }
    if number > 1:
        boss = 1 if number <= 11 else 2 + (number % 10)
        attrs["manager"] = [dn_of(boss).encode()]
    return attrs


@dataclass
class Directory:
    """A running slapd with a seeded directory."""

    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    people: list[int] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def start(self) -> None:
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        conf = self.root / "slapd.conf"
        conf.write_text(
            CONF.format(
                schema=SCHEMA,
                modules=MODULES,
                root=self.root,
                base=BASE,
                admin=ADMIN_DN,
                password=ADMIN_PASSWORD,
            )
        )
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-h", self.uri, "-f", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                self.connect().unbind_s()
                return
            except ldap.SERVER_DOWN:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    err = self.process.stderr.read().decode() if self.process.stderr else ""
                    raise RuntimeError(f"slapd did not start: {err[-2000:]}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def connect(self) -> Any:
        conn = ldap.initialize(self.uri)
        conn.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
        conn.simple_bind_s(ADMIN_DN, ADMIN_PASSWORD)
        return conn

    def seed(self, count: int = 200) -> None:
        conn = self.connect()
        try:
            conn.add_s(
                BASE,
                [
                    ("objectClass", [b"dcObject", b"organization"]),
                    ("dc", [b"example"]),
                    ("o", [b"Example"]),
                ],
            )
            conn.add_s(PEOPLE, [("objectClass", [b"organizationalUnit"]), ("ou", [b"people"])])
            conn.add_s(GROUPS, [("objectClass", [b"organizationalUnit"]), ("ou", [b"groups"])])
            for number in range(1, count + 1):
                self.add_person(number, conn=conn)
            conn.add_s(
                f"cn=helpdesk,{GROUPS}",
                ldap.modlist.addModlist(
                    {
                        "objectClass": [b"groupOfNames"],
                        "cn": [b"helpdesk"],
                        "member": [dn_of(2).encode(), dn_of(3).encode()],
                    }
                ),
            )
            conn.add_s(
                f"cn=it-admins,{GROUPS}",
                ldap.modlist.addModlist(
                    {
                        "objectClass": [b"groupOfNames"],
                        "cn": [b"it-admins"],
                        "member": [dn_of(1).encode()],
                    }
                ),
            )
        finally:
            conn.unbind_s()

    def add_person(self, number: int, conn: Any = None, department: str | None = None) -> None:
        own = conn is None
        conn = conn or self.connect()
        try:
            conn.add_s(dn_of(number), ldap.modlist.addModlist(person_entry(number, department)))
            self.people.append(number)
        finally:
            if own:
                conn.unbind_s()

    def modify(self, number: int, **values: str) -> None:
        conn = self.connect()
        try:
            conn.modify_s(
                dn_of(number),
                [(ldap.MOD_REPLACE, key, [value.encode()]) for key, value in values.items()],
            )
        finally:
            conn.unbind_s()

    def delete(self, number: int) -> None:
        conn = self.connect()
        try:
            conn.delete_s(dn_of(number))
            self.people.remove(number)
        finally:
            conn.unbind_s()
