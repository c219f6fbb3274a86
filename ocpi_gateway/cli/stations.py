"""``ocpi-gateway stations hash-password``: the ``password_hash`` for an ``[[ocpp.stations]]`` entry.

The password comes from ``--password``, else from a prompt (typed twice, not echoed) when
standard input is a terminal, else from the first line of standard input, so that scripts
can pipe it in without putting it on a command line that ``ps`` shows.
"""

from __future__ import annotations

import argparse
import getpass
from typing import TextIO

from ocpi_gateway.errors import PasswordInputError
from ocpi_gateway.models.passwords import hash_password

# OCPP's security profiles expect Basic passwords of 16 to 40 characters.
OCPP_MIN_LENGTH, OCPP_MAX_LENGTH = 16, 40


def read_password(given: str | None, stdin: TextIO) -> str:
    """The password to hash, from the option, a prompt or standard input.

    Raises:
        PasswordInputError: it is empty, or the prompted twice-typed values differ.
    """
    if given is not None:
        password = given
    elif stdin.isatty():
        password = getpass.getpass("Station password: ")
        if getpass.getpass("Again: ") != password:
            raise PasswordInputError("the two passwords differ")
    else:
        password = stdin.readline().rstrip("\r\n")
    if not password:
        raise PasswordInputError("the password is empty")
    return password


def hash_password_command(args: argparse.Namespace, stdin: TextIO, stderr: TextIO) -> str:
    """The hash line to print; a warning on ``stderr`` when the length is outside OCPP's 16..40."""
    password = read_password(args.password, stdin)
    if not OCPP_MIN_LENGTH <= len(password) <= OCPP_MAX_LENGTH:
        print(
            f"warning: OCPP expects station passwords of {OCPP_MIN_LENGTH} to {OCPP_MAX_LENGTH} characters",
            file=stderr,
        )
    return hash_password(password)
