"""moto_server with each DynamoDB request handled whole before the next one starts.

moto's server answers on many threads, but its DynamoDB backend has no locks: two
TransactWriteItems that ADD to the same counter at once can both read the old value and one
increment is lost, and concurrent writes to one table can end in a code-less 500 ("dictionary
changed size during iteration"). Real DynamoDB applies every write to an item atomically and
serialises conflicting transactions, so this launcher makes moto keep that promise: one lock
around DynamoDB's request handling. Other services (SQS long polls above all) stay concurrent.
It also gives moto's Textract a well-formed canned answer (below).

Run with the Python that has moto installed; arguments are moto_server's (-H host -p port).
"""

import threading

from moto import server
from moto.dynamodb.responses import DynamoHandler

_LOCK = threading.Lock()
_call_action = DynamoHandler.call_action


def _serialised_call_action(self):  # type: ignore[no-untyped-def]
    with _LOCK:
        return _call_action(self)


DynamoHandler.call_action = _serialised_call_action

# Textract: moto answers every DetectDocumentText with one canned result, and its page count is
# mis-shaped (DocumentMetadata.Pages is an object, which no SDK parses). Give it a number, and a
# canned reading: Textract-shaped LINE blocks (geometry, confidence; listed out of reading order)
# of crates/screening/fixtures/scanned_resume.png, so the Textract adapter's tests read a resume.
try:
    import json
    import pathlib

    from moto.textract.models import TextractBackend

    TextractBackend.PAGES = 1
    _BLOCKS = pathlib.Path(__file__).resolve().parent.parent / "crates/aws/tests/fixtures/textract_blocks.json"
    if _BLOCKS.is_file():
        TextractBackend.BLOCKS = json.loads(_BLOCKS.read_text())
except ImportError:  # a moto without Textract: its tests fail with the reason, nothing else does
    pass

if __name__ == "__main__":
    server.main()
