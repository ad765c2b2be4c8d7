"""moto_server with each DynamoDB request handled whole before the next one starts.

moto's server answers on many threads, but its DynamoDB backend has no locks: two
TransactWriteItems that ADD to the same counter at once can both read the old value and one
increment is lost, and concurrent writes to one table can end in a code-less 500 ("dictionary
changed size during iteration"). Real DynamoDB applies every write to an item atomically and
serialises conflicting transactions, so this launcher makes moto keep that promise: one lock
around DynamoDB's request handling. Other services (SQS long polls above all) stay concurrent.

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

if __name__ == "__main__":
    server.main()
