"""Schemathesis hooks (scripts/schemathesis.sh loads them): bodies a JSON Schema cannot describe.

`POST /api/jobs/import` reads text/csv: half the generated bodies are CSV files with the
import's columns (valid and invalid cells, quoting), half arbitrary non-blank text. (A custom
strategy takes only bytes, so the schema gives no string example for this body.)
"""

from hypothesis import strategies as st

import schemathesis

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
