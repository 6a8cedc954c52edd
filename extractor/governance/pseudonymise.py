"""Does an edge hash or tokenise its source column? Decided on the parsed transformation.

SQL transformations are parsed with sqlglot in the job's dialect; Python ones with libcst (the
source reference, a dataset name that is not a Python identifier, is first replaced by a
placeholder name). The source is pseudonymised when *every* use of it sits inside a hashing or
tokenising function; ``CONCAT(SHA256(email), email)`` still leaks the email.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ..graph import JobColumnEdge, LineageGraph

if TYPE_CHECKING:  # sqlglot loads when a SQL transformation is first judged: most checks judge none
    from sqlglot import expressions as exp

    from ..config import Config
    from .tags import Node

#: Names of sqlglot expression classes that hash their argument.
_SQL_HASH_NAMES = (
    "SHA", "SHA2", "SHA1Digest", "SHA2Digest", "MD5", "MD5Digest", "MD5NumberLower64", "MD5NumberUpper64",
    "FarmFingerprint", "StandardHash", "CityHash64",
)  # fmt: skip


@functools.cache
def _sql_hashes() -> tuple[type[exp.Expression], ...]:
    from sqlglot import expressions as exp

    return tuple(getattr(exp, name) for name in _SQL_HASH_NAMES if hasattr(exp, name))


#: Function names (SQL or Python, case-insensitive) that hash, tokenise or encrypt their argument
#: (keyed encryption is pseudonymisation too: whoever holds the key can re-identify).
HASH_FUNCTIONS = frozenset({
    "sha", "sha1", "sha2", "sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_512", "md5", "md5_hex",
    "md5_binary", "md5_number_lower64", "md5_number_upper64", "sha1_hex", "sha2_hex", "sha2_binary", "hash",
    "hash_md5", "hash_sha256", "farm_fingerprint", "fingerprint", "xxhash32", "xxhash64", "xxh3", "murmur_hash",
    "murmurhash3_32", "cityhash64", "sip_hash64", "siphash64", "crc32", "hmac", "hmac_sha256", "keyed_hash",
    "standard_hash", "blake2b", "blake2s", "tokenize", "tokenise", "tokenize_value", "pseudonymize", "pseudonymise",
    "anonymize_hash", "hash_pii", "encrypt", "aes_encrypt", "pgp_sym_encrypt", "pgp_pub_encrypt",
    "encrypt_raw",
})  # fmt: skip

_PLACEHOLDER = "__datatrail_source__"


class Pseudonymiser:
    """Answers, per edge, whether it pseudonymises its source column; results are memoised."""

    def __init__(self, graph: LineageGraph, config: Config, extra: frozenset[str] = frozenset()) -> None:
        self.graph = graph
        self.config = config
        self.functions = HASH_FUNCTIONS | extra
        self._memo: dict[tuple[str, str, str, str], bool] = {}

    def hashes(self, je: JobColumnEdge, source: Node) -> bool:
        job = self.graph.jobs.get(je.job)
        kind = job.kind if job is not None else "sql"
        path = job.path if job is not None else ""
        table, column = source
        if column is None:
            return False
        key = (kind, path, je.edge.transformation, f"{table}.{column}")
        if key not in self._memo and not self._mentions_function(je.edge.transformation):
            # Fast path: no hashing function name occurs in the text, so none can be called.
            self._memo[key] = False
        if key not in self._memo:
            if kind == "python":
                self._memo[key] = self._python(je.edge.transformation, f"{table}.{column}")
            else:
                self._memo[key] = self._sql(je.edge.transformation, table, column, path)
        return self._memo[key]

    def _mentions_function(self, text: str) -> bool:
        lowered = text.lower()
        return any(name in lowered for name in self.functions)

    # -- SQL -----------------------------------------------------------------------------------

    def _sql(self, text: str, table: str, column: str, path: str) -> bool:
        import sqlglot
        from sqlglot import expressions as exp
        from sqlglot.errors import SqlglotError

        from ..sql.naming import get_dialect

        try:
            tree = sqlglot.parse_one(text, dialect=get_dialect(self.config.dialect_for(path)))
        except (SqlglotError, ValueError):
            return False
        table_name = table.rsplit(".", 1)[-1].lower()
        uses = [
            c for c in tree.find_all(exp.Column)
            if c.name.lower() == column.lower() and (not c.table or c.table.lower() == table_name)
        ]  # fmt: skip
        return bool(uses) and all(self._sql_hashed(c) for c in uses)

    def _sql_hashed(self, node: exp.Expression) -> bool:
        """Whether this use of the column reaches the output only through a hash.

        A use in a CASE condition (``CASE WHEN email IS NULL …``) decides which branch is taken
        but is not copied into the value, so it does not count against pseudonymisation."""
        from sqlglot import expressions as exp

        hashes = _sql_hashes()
        child: object = node
        parent = node.parent
        while parent is not None:
            if isinstance(parent, exp.If) and parent.this is child:
                return True
            if isinstance(parent, hashes):
                return True
            if isinstance(parent, exp.Func) and parent.sql_name().lower() in self.functions:
                return True
            if isinstance(parent, exp.Anonymous) and str(parent.name).lower() in self.functions:
                return True
            child, parent = parent, parent.parent
        return False

    # -- Python --------------------------------------------------------------------------------

    def _python(self, text: str, reference: str) -> bool:
        if reference not in text:
            return False
        from .python_hashing import hashed_uses  # libcst loads only for Python transformations

        uses = hashed_uses(text.replace(reference, _PLACEHOLDER), _PLACEHOLDER, self.functions)
        return bool(uses) and all(uses)
