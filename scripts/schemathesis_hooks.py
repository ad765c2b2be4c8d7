"""Schemathesis hooks (scripts/schemathesis.sh loads them): who calls each operation, bodies a JSON
Schema cannot describe, and a guard against a CPython bug in Hypothesis's lambda descriptions (below).

`POST /api/jobs/import` reads text/csv: half the generated bodies are CSV files with the
import's columns (valid and invalid cells, quoting), half arbitrary non-blank text. (A custom
strategy takes only bytes, so the schema gives no string example for this body.)
"""

import inspect
import os

from hypothesis import strategies as st
from hypothesis.internal import lambda_sources

import schemathesis

# CPython 3.11.7 (the interpreter `python3` gives on this machine; fixed in later 3.11 and
# 3.12 releases) can raise `SystemError: AST constructor recursion depth mismatch` from
# `ast.parse` when Hypothesis parses a lambda's source file only to *describe* the lambda. The
# description is cosmetic: fall back to the one Hypothesis itself uses when it cannot read a
# lambda's source, instead of ending the run with a tool error that says nothing about the API.
_describe_lambda = lambda_sources._lambda_description


def _lambda_description_or_unknown(f, *args, **kwargs):
    try:
        return _describe_lambda(f, *args, **kwargs)
    except SystemError:
        params = str(inspect.signature(getattr(f, "__wrapped_target", f)))[1:-1]
        return f"lambda {params}: <unknown>" if params else "lambda: <unknown>"


lambda_sources._lambda_description = _lambda_description_or_unknown

HEADER = "title,jobType,description,location,requiredSkills,salaryMin,isRemote\r\n"
CELL = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
ROW = st.tuples(
    CELL,
    st.sampled_from(["full-time", "part-time", "contract", "internship", "nope", ""]),
    CELL,
    CELL,
    CELL,
    st.sampled_from(["", "70000", "-1", "lots"]),
    st.sampled_from(["", "true", "no", "maybe"]),
).map(lambda cells: ",".join('"' + c.replace('"', '""') + '"' for c in cells))
CSV = st.one_of(
    st.lists(ROW, max_size=5).map(lambda rows: HEADER + "\r\n".join(rows) + "\r\n"),
    st.text(min_size=1, max_size=300).filter(str.strip),
).map(lambda text: text.encode("utf-8"))

schemathesis.openapi.media_type("text/csv", CSV)


# Who calls each operation. scripts/schemathesis.sh signs in two users: a fresh employer's admin
# (ST_STAFF_TOKEN) and a platform user holding every platform role (ST_PLATFORM_TOKEN). An
# operation's security requirement lists the roles that may call it (OpenAPI 3.1). The admin holds
# every staff permission, so it is listed on every staff and member operation: one that names roles
# but not the admin is for platform roles only and is called as the platform user; any other (no
# roles listed: any signed-in user) as the admin. With one admin token, 81 operations answered
# only 401 or 403.
def caller_token(operation: dict) -> str:
    """The token to call an operation with, from its raw definition ("" for a public one)."""
    requirements = operation.get("security") or []
    if not requirements:
        return ""
    roles = {role for requirement in requirements for role in requirement.get("cognito", [])}
    if roles and "admin" not in roles:
        return os.environ["ST_PLATFORM_TOKEN"]
    return os.environ["ST_STAFF_TOKEN"]


@schemathesis.auth(refresh_interval=None)
class CallerToken:
    def get(self, case, context):
        return caller_token(case.operation.definition.raw)

    def set(self, case, data, context):
        if data:
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {data}"
