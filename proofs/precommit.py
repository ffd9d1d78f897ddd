"""pre-commit entry point (``.pre-commit-hooks.yaml``): ``derivcheck-pre-commit check|audit FILE...``.

pre-commit passes every changed file of the hook's types. Only derivation files and documents marked for
auditing are handed on (:mod:`proofs.hooks`, decided without running anything), so an ordinary module
of the user's project is never imported and an ordinary README is never audited; ``audit --all`` audits
every file passed. Then the command line does the work with its own exit codes (0 pass, 1 a claim or line
that does not pass, 2 a file that cannot be loaded or read), except that nothing to check (no such file
among those changed, or no claim or display in them) passes: there is nothing wrong to report.
Options after the files' kind go to ``derivcheck check`` / ``derivcheck audit`` unchanged.
"""
from __future__ import annotations

import os
import sys

from .hooks import is_derivation_file, is_marked_document, own_cli

USAGE = "usage: derivcheck-pre-commit check|audit [--all] [OPTIONS] FILE..."
EXIT_EMPTY = 5


VALUE_OPTIONS = frozenset({"-k", "-j", "-o", "--timeout", "--max-memory", "--seed", "--format", "--declare"})


def _split(args: list) -> tuple:
    """(options, files): the files are the arguments that name existing files and are not an option's value."""
    options, files = [], []
    takes_value = False
    for a in args:
        if takes_value or a.startswith("-") or not os.path.isfile(a):
            options.append(a)
            takes_value = a in VALUE_OPTIONS
        else:
            files.append(a)
            takes_value = False
    return options, files


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("check", "audit"):
        sys.stderr.write(USAGE + "\n")
        return 2
    command, rest = argv[0], argv[1:]
    every = "--all" in rest and command == "audit"
    rest = [a for a in rest if not (every and a == "--all")]
    options, files = _split(rest)
    if command == "check":
        chosen = [f for f in files if is_derivation_file(f)]
    else:
        chosen = [f for f in files if every or is_marked_document(f)]
    if not chosen:
        return 0
    code = own_cli().main([command, *options, *chosen])
    return 0 if code == EXIT_EMPTY else code


if __name__ == "__main__":
    sys.exit(main())
