"""An SMTP server that keeps what it is sent, for the email courier's tests.

    python smtp_sink.py PORT OUTPUT.jsonl [--rcpt-reply 451|550]

Listens on 127.0.0.1:PORT and appends one JSON line per message to
OUTPUT.jsonl: {"mail_from", "rcpt_tos", "data_b64"} (the raw message,
base64, exactly as received). Prints "ready" once it accepts connections.
With --rcpt-reply it answers every RCPT TO with that code instead (451: try
again later; 550: refused), for the courier's error mapping. Runs until it
is killed or its standard input closes.
"""

import argparse
import base64
import json
import sys

from aiosmtpd.controller import Controller

REPLIES = {
    "451": "451 4.3.0 Temporarily unable to accept mail",
    "550": "550 5.1.1 No such mailbox",
}


class Sink:
    def __init__(self, output, rcpt_reply):
        self.output = output
        self.rcpt_reply = rcpt_reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return REPLIES[self.rcpt_reply]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data_b64": base64.b64encode(envelope.original_content).decode("ascii"),
        }
        # Written and flushed before the 250, so a sender that has its answer
        # finds the message in the file.
        with open(self.output, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
            out.flush()
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("output")
    parser.add_argument("--rcpt-reply", choices=sorted(REPLIES))
    args = parser.parse_args()

    controller = Controller(
        Sink(args.output, args.rcpt_reply),
        hostname="127.0.0.1",
        port=args.port,
        # The raw bytes as sent: no decoding of 8-bit content.
        decode_data=False,
    )
    controller.start()
    print("ready", flush=True)
    try:
        # Until the test that started us closes our standard input (or exits).
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
