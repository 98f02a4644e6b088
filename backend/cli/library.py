"""`threedraw library list | show NAME | export NAME FILE | import FILE | restore NAME VERSION`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..library.lessons import LibraryError
from ..library.store import LibraryStore, read_export_file
from ..storage import StorageError
from . import UserError
from .options import add_data_dir_argument, open_database
from .output import add_force_argument, check_outputs, write_text

HELP = "list, show, export, import and restore experience libraries (the lessons CKE learns)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = sub.add_parser("list", help="the libraries, with their head version and lesson count")
    add_data_dir_argument(a)
    a = sub.add_parser("show", help="a library's lessons (the head, or --version), its versions and runs")
    a.add_argument("name")
    a.add_argument("--version", type=int, help="show this version instead of the head")
    a.add_argument("--json", action="store_true", help="print one JSON object")
    add_data_dir_argument(a)
    a = sub.add_parser("export", help="write a library to JSON (or, for FILE.txt, its lessons one a line)")
    a.add_argument("name")
    a.add_argument("file", metavar="FILE")
    a.add_argument("--version", type=int, help="export this version instead of the head")
    add_force_argument(a)
    add_data_dir_argument(a)
    a = sub.add_parser("import", help="read a library exported as JSON (a new version when it exists)")
    a.add_argument("file", metavar="FILE")
    a.add_argument("--name", help="the library to import into (default: the name in the file)")
    add_data_dir_argument(a)
    a = sub.add_parser("restore", help="make an earlier version the head again (as a new version)")
    a.add_argument("name")
    a.add_argument("version", type=int)
    add_data_dir_argument(a)


def run(args: argparse.Namespace) -> int:
    with open_database(args) as db:
        try:
            return ACTIONS[args.action](LibraryStore(db), args)
        except (LibraryError, StorageError) as e:
            raise UserError(str(e)) from None


def _list(store: LibraryStore, args: argparse.Namespace) -> int:
    libs = store.list()
    if not libs:
        print(
            "no libraries yet: `threedraw learn --library NAME ...` makes one, or `threedraw library import FILE`"
        )
        return 0
    print(f"{'name':24} {'head':>5} {'latest':>6} {'lessons':>7} {'cap':>4}  updated")
    for x in libs:
        print(f"{x.name:24} {x.head:>5} {x.latest:>6} {x.lessons:>7} {x.cap:>4}  {x.updated_at}")
    return 0


def _show(store: LibraryStore, args: argparse.Namespace) -> int:
    from ..library.runs import RunStore

    info = store.info(args.name)
    version = info.head if args.version is None else args.version
    lessons = store.lessons(args.name, version)
    versions = store.versions(args.name)
    runs = RunStore(store.db).list(args.name, limit=20)
    if args.json:
        print(
            json.dumps(
                {
                    "library": info.to_dict(),
                    "version": version,
                    "lessons": [x.to_dict() for x in lessons],
                    "versions": [v.to_dict() for v in versions],
                    "heads": [h.to_dict() for h in store.head_history(args.name)],
                    "runs": [r.to_dict() for r in runs],
                },
                indent=1,
            )
        )
        return 0
    which = "the head" if version == info.head else f"the head is {info.head}"
    print(
        f"library {info.name}: version {version} ({which}; latest {info.latest}), "
        f"{len(lessons)} of at most {info.cap} lessons"
    )
    for i, x in enumerate(lessons, 1):
        origin = x.provenance[0] if x.provenance else {}
        where = ", ".join(f"{k} {origin[k]}" for k in ("source", "run", "epoch", "query") if k in origin)
        print(f"  G{i} [{x.id}, found {x.support}x{', ' + where if where else ''}]\n     {x.text}")
    print(f"versions ({len(versions)}; the last 10):")
    for v in versions[-10:]:
        mark = " <- head" if v.version == info.head else ""
        print(f"  {v.version:>4}  {v.created_at}  {v.lessons:>2} lessons  {v.note}{mark}")
    if runs:
        print("learning runs (restore an epoch with: threedraw library restore NAME VERSION):")
        for r in runs:
            best = f", best epoch {r.best_epoch}" if r.best_epoch is not None else ""
            print(f"  {r.id}  {r.status}{best}")
            for e in RunStore(store.db).epochs(r.id):
                score = "" if e.score is None else f", validation {e.score:.4f}"
                print(f"    epoch {e.epoch}: version {e.version}{score}")
    return 0


def _export(store: LibraryStore, args: argparse.Namespace) -> int:
    path = Path(args.file)
    check_outputs([("FILE", path)], force=args.force)
    data = store.export(args.name, args.version)
    if path.suffix.lower() == ".txt":
        # The format `threedraw draw --lessons FILE` reads: one lesson a line.
        text = f"# library {args.name}, version {data['version']}\n" + "".join(
            x["text"] + "\n" for x in data["lessons"]
        )
    else:
        text = json.dumps(data, indent=1) + "\n"
    write_text(str(path), text)
    print(f"wrote {len(data['lessons'])} lessons of {args.name} version {data['version']} to {path}")
    return 0


def _import(store: LibraryStore, args: argparse.Namespace) -> int:
    data = read_export_file(args.file)
    name, version = store.import_(data, args.name, origin=Path(args.file).name)
    print(f"imported {len(store.lessons(name, version))} lessons into {name} as version {version} (the head)")
    return 0


def _restore(store: LibraryStore, args: argparse.Namespace) -> int:
    version = store.restore(args.name, args.version)
    print(f"restored {args.name} version {args.version} as version {version} (the head)")
    return 0


ACTIONS = {"list": _list, "show": _show, "export": _export, "import": _import, "restore": _restore}
