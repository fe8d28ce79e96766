"""A real SMTP server for tests and benchmarks (aiosmtpd): every accepted message is written to
DIR as <n>.eml and a line "<unix time> <Message-ID>" is appended to DIR/accepted.log. While a
file DIR/REFUSE exists, messages are refused with the reply written in it (e.g.
"451 4.3.0 Try again later"). `python -m services.common.smtp_sink --port P --dir D`."""
import argparse
import asyncio
import itertools
import os
import re
import time

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.I | re.M)


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        refuse = os.path.join(self.directory, "REFUSE")
        if os.path.exists(refuse):
            with open(refuse) as f:
                return f.read().strip() or "451 4.3.0 Try again later"
        content = envelope.original_content or envelope.content
        path = os.path.join(self.directory, f"{next(self.counter):06d}.eml")
        with open(path + ".part", "wb") as f:
            f.write(content)
        os.replace(path + ".part", path)
        found = MESSAGE_ID.search(content)
        with open(os.path.join(self.directory, "accepted.log"), "a") as f:
            f.write(f"{time.time():.6f} {found.group(1).decode() if found else '-'}\n")
        return "250 OK"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Sink(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
