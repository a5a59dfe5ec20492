"""`sla keygen`: make an Ed25519 key pair for signing receipts."""

from __future__ import annotations

import argparse

from engine.disputes import signing
from engine.commands._common import EXIT_OK, Streams

NAME, ORDER = "keygen", 84


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(NAME, help="make an Ed25519 key pair to sign receipts (replay --sign-key)",
                       description="Write a new Ed25519 private key to KEY (PEM, readable by its owner only) and its public "
                                   "key to KEY.pub, and print the key id. Sign receipts with `sla replay ... --receipt OUT "
                                   "--sign-key KEY`; give KEY.pub to the other party, who checks receipts with "
                                   "`sla verify OUT --trust KEY.pub`. Never overwrites a file. Needs the `sign` extra "
                                   "(pip install 'sla-engine[sign]').",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="exit codes: 0 written · 2 the file exists, cannot be written, or `cryptography` is missing")
    p.add_argument("key", metavar="KEY", help="where to write the private key (the public key goes to KEY.pub)")


def run(args: argparse.Namespace, io: Streams) -> int:
    key_id = signing.generate(args.key)
    io.stdout.write(f"wrote {args.key} (private: keep it secret) and {args.key}.pub (public: give it to who checks "
                    f"your receipts); key id {key_id}\n")
    return EXIT_OK
