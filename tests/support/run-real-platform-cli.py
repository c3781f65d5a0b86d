#!/usr/bin/python3
"""Runs one command group of the REAL FluxLoop platform CLI (fluxloop-cli, from its source) without
installing it, e.g. against the emulator:

  SSL_CERT_FILE=/tmp/pki/ca.pem FLUXLOOP_API_URL=https://127.0.0.1:PORT \\
    /usr/bin/python3 tests/support/run-real-platform-cli.py SRC auth login --no-browser

SRC is the CLI's source folder: `cli/` of the repository Fluxloop-AI/fluxloop (the folder holding
`fluxloop_cli/`), or `fluxloop_cli/` itself. The groups that import with Debian 12's python3 plus
python3-httpx, python3-typer, python3-rich and python3-yaml: auth, projects, apikeys, context.

Why the stand-in package modules: the package's own __init__ imports every command, and some of those
import the FluxLoop SDK, which needs pydantic 2 (Debian 12 has 1.10). Empty package modules whose
__path__ is the source folder let the command modules we need import on their own.
(/work/shared/PLATFORM.md "The FluxLoop platform CLI (the real one), run from its source".)
"""

import importlib
import os
import sys
import types

GROUPS = ("auth", "projects", "apikeys", "context")


def main(argv):
    if len(argv) < 2 or argv[1] not in GROUPS:
        print(f"usage: run-real-platform-cli.py SRC {{{','.join(GROUPS)}}} [ARGS...]", file=sys.stderr)
        return 2
    src = os.path.abspath(argv[0])
    package_dir = src if os.path.basename(src) == "fluxloop_cli" else os.path.join(src, "fluxloop_cli")
    if not os.path.isfile(os.path.join(package_dir, "auth_manager.py")):
        print(f"run-real-platform-cli: no fluxloop_cli source in {src}", file=sys.stderr)
        return 2
    for name, path in (("fluxloop_cli", package_dir), ("fluxloop_cli.commands", os.path.join(package_dir, "commands"))):
        module = types.ModuleType(name)
        module.__path__ = [path]
        sys.modules[name] = module
    group = argv[1]
    commands = importlib.import_module(f"fluxloop_cli.commands.{group}")
    # Typer apps exit through SystemExit with the command's status, like the installed `fluxloop`.
    commands.app(args=argv[2:], prog_name=f"fluxloop {group}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
