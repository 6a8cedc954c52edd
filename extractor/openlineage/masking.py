"""Whether a column edge masks its source: OpenLineage's ``masking`` flag on a transformation.

A source column is masked when every place the normalized expression uses it sits inside a
hashing or masking function (``MD5(email)``, ``SHA2(email, 256)``, ``mask(email)``): what lands in
the target no longer carries the original value. ``CONCAT(MD5(email), email)`` is not masking.
The expression is parsed with sqlglot; text that does not parse (a Python expression over a file
path, say) is never called masking, because an unproven claim of masking is worse than none.
"""

from __future__ import annotations

from functools import lru_cache

from sqlglot import exp
from sqlglot.errors import SqlglotError

from ..sql.naming import get_dialect

#: sqlglot's own function classes that hash their argument.
_MASKING_CLASSES: tuple[type[exp.Expr], ...] = tuple(
    cls
    for cls in (
        getattr(exp, name, None)
        for name in ("MD5", "MD5Digest", "SHA", "SHA2", "SHA1Digest", "SHA2Digest", "StandardHash", "FarmFingerprint")
    )
    if isinstance(cls, type)
)

#: Function names (lower case) that sqlglot parses as anonymous functions in some dialects.
MASKING_FUNCTIONS = frozenset({
    "md5", "md5_hex", "md5_binary", "md5_number_lower64", "md5_number_upper64",
    "sha", "sha1", "sha1_hex", "sha1_binary", "sha2", "sha2_hex", "sha2_binary", "sha224", "sha256", "sha384",
    "sha512", "hash", "hashbytes", "hash_md5", "hash_sha256", "standard_hash", "farm_fingerprint", "crc32",
    "xxhash64", "xxhash32", "murmur_hash3", "murmurhash3_32", "cityhash64", "siphash64", "sip_hash64",
    "keccak", "blake2b", "blake3", "mask", "mask_hash", "mask_first_n", "mask_last_n", "mask_show_first_n",
    "mask_show_last_n", "redact", "anonymize", "pseudonymize", "encrypt", "aes_encrypt", "tokenize",
})  # fmt: skip


def is_masking(expression: str, column: str | None, dialect: str | None = None) -> bool:
    """True when every use of ``column`` in ``expression`` is under a hashing or masking function.

    >>> is_masking("MD5(raw.customers.email)", "email")
    True
    >>> is_masking("CONCAT(MD5(raw.customers.email), raw.customers.email)", "email")
    False
    """
    if not column or column == "*":
        return False
    tree = _parse(expression, dialect)
    if tree is None:
        return False
    wanted = column.lower()
    uses = [c for c in tree.find_all(exp.Column) if c.name.lower() == wanted]
    return bool(uses) and all(_under_masking_function(c) for c in uses)


def _under_masking_function(node: exp.Expr) -> bool:
    parent = node.parent
    while parent is not None:
        if isinstance(parent, _MASKING_CLASSES):
            return True
        if isinstance(parent, exp.Anonymous) and str(parent.name).lower() in MASKING_FUNCTIONS:
            return True
        parent = parent.parent
    return False


@lru_cache(maxsize=4096)
def _parse(expression: str, dialect: str | None) -> exp.Expr | None:
    try:
        return exp.maybe_parse(expression, dialect=get_dialect(dialect))
    except (SqlglotError, ValueError):
        return None
