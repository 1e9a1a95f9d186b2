"""An S3-compatible object store (moto's, in memory) for the attachment
storage tests.

    python s3_server.py PORT

Listens on 127.0.0.1:PORT and creates nothing: the test makes its bucket
with a plain PUT /bucket (moto takes unsigned requests). Prints "ready" once
it accepts connections. Runs until it is killed or its standard input
closes.
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server


def main():
    port = int(sys.argv[1])
    # Bound here, not in moto's ThreadedMotoServer thread: a port taken
    # meanwhile fails this process (and the test retries on another port)
    # instead of hanging it.
    server = make_server(
        "127.0.0.1",
        port,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
