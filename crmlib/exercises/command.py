"""``crmlib exercises``: build student versions and handouts, release them, grade a class, merge marks.

::

    crmlib exercises build [--check]                              the committed student versions (make exercises)
    crmlib exercises build --roster roster.csv --out handout/     one folder per student, id and seed inside
    crmlib exercises release handout/ --out upload/               a zip per student for an LMS upload
    crmlib exercises grade SUBS --roster roster.csv --out grades/ [-j N] [--timeout S] [--memory MB] ...
    crmlib exercises marks grades/                                merge the marks typed into grades/marking/*.csv

Errors are one sentence naming the option to change (exit code 1; 2 for a command line that cannot be read).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, in the command's own terms
        from crmlib.cli import UsageError

        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more; got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``crmlib exercises`` (actions ``build``, ``release``, ``grade`` and ``marks``).

    Examples
    --------
    >>> args = build_parser().parse_args(["grade", "submissions", "--roster", "roster.csv", "--out", "grades"])
    >>> args.action, args.jobs, args.timeout, args.isolation
    ('grade', 1, 120, 'auto')
    """
    parser = _Parser(prog="crmlib exercises", description="Student versions, handouts and grading of the exercises.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    b = sub.add_parser("build", help="student versions from exercises/source/, or per-student handouts from a roster")
    b.add_argument("--check", action="store_true", help="fail if a committed student version differs from its source")
    b.add_argument("--roster", metavar="CSV", help="roster with columns student_id,name[,seed]: one folder per student")
    b.add_argument("--out", metavar="DIR", help="folder to write (default without --roster: the kit's exercises/)")
    b.add_argument("--force", action="store_true", help="write into an --out folder that already holds files")
    r = sub.add_parser("release", help="pack each student's handout folder into a zip for an LMS upload")
    r.add_argument("handout", metavar="HANDOUT", help="the folder written by 'build --roster'")
    r.add_argument("--out", required=True, metavar="DIR", help="folder for <student_id>.zip")
    r.add_argument("--force", action="store_true", help="write into an --out folder that already holds files")
    g = sub.add_parser("grade", help="grade a class: gradebook, LMS files, feedback, marking forms, log")
    g.add_argument("submissions", metavar="SUBS", help="folder with one folder per student id (or an LMS download)")
    g.add_argument("--roster", required=True, metavar="CSV", help="roster with columns student_id,name[,seed]")
    g.add_argument("--out", required=True, metavar="DIR", help="folder for the results (must be new, or --force)")
    g.add_argument("-j", "--jobs", type=_positive, default=1, metavar="N", help="notebooks graded at once (default 1)")
    g.add_argument("--timeout", type=_positive, default=120, metavar="S",
                   help="wall-clock limit of one notebook's run in seconds (default 120)")
    g.add_argument("--cell-timeout", type=_positive, default=30, metavar="S",
                   help="CPU seconds of one cell (default 30)")
    g.add_argument("--cpu", type=_positive, default=60, metavar="S", help="CPU seconds of one run (default 60)")
    g.add_argument("--memory", type=_positive, default=4096, metavar="MB",
                   help="address space of one process (default 4096)")
    g.add_argument("--processes", type=_positive, default=64, metavar="N", help="processes at once (default 64)")
    g.add_argument("--output", type=_positive, default=32, metavar="MB",
                   help="largest file or printed output of one run (default 32)")
    g.add_argument("--isolation", choices=["auto", "namespaces", "rlimits"], default="auto",
                   help="namespaces (file system, network and processes isolated) or rlimits only; auto: namespaces "
                        "when available")
    g.add_argument("--no-variant", dest="variant", action="store_false",
                   help="skip the hidden check that re-runs each answer on other data")
    g.add_argument("--variant-seed", type=int, metavar="N", help="seed of the variant data (default: random)")
    g.add_argument("--hidden", metavar="FILE.py", help="your hidden checks (a file defining HIDDEN_CHECKS)")
    g.add_argument("--force", action="store_true", help="replace the results of an earlier run in --out")
    m = sub.add_parser("marks", help="merge the marks typed into GRADES/marking/*.csv into gradebook and feedback")
    m.add_argument("grades", metavar="GRADES", help="the --out folder of a grading run")
    m.add_argument("--force", action="store_true", help="replace a gradebook or feedback changed by hand since")
    return parser


def main(argv: list[str]) -> int:
    """Run ``crmlib exercises`` with ``argv``; return the exit code (1 with one sentence on stderr on an error).

    Examples
    --------
    >>> import contextlib, io, tempfile
    >>> with contextlib.redirect_stderr(io.StringIO()) as shown:
    ...     code = main(["marks", tempfile.mkdtemp()])
    >>> code, shown.getvalue().startswith("crmlib: error:")
    (1, True)
    """
    from crmlib.cli import UsageError
    from crmlib.exercises import notebooks
    from crmlib.exercises.model import ExerciseError

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.action is None:
        parser.print_help()
        return 2
    try:
        if args.action == "build":
            if args.roster:
                if not args.out:
                    raise UsageError("a handout (--roster) needs its own folder: add --out DIR")
                folders = notebooks.build_handouts(args.roster, args.out, force=args.force)
                print(f"handouts for {len(folders)} students written in {args.out}")
                return 0
            paths = notebooks.build(check=args.check, out=args.out)
            verb = "up to date" if args.check else "written"
            print(f"{len(paths)} student notebooks {verb} in {paths[0].parent}")
            return 0
        if args.action == "release":
            archives = notebooks.release(args.handout, args.out, force=args.force)
            print(f"{len(archives)} archives written in {args.out}")
            return 0
        if args.action == "grade":
            from crmlib.exercises.grader import grade_class
            from crmlib.exercises.sandbox import Limits

            limits = Limits(memory_mb=args.memory, cpu_seconds=args.cpu, wall_seconds=args.timeout,
                            cell_seconds=min(args.cell_timeout, args.timeout), processes=args.processes,
                            output_mb=args.output)
            result = grade_class(args.submissions, args.roster, args.out, jobs=args.jobs, limits=limits,
                                 isolation=args.isolation, variant=args.variant, variant_seed=args.variant_seed,
                                 hidden=args.hidden, force=args.force,
                                 progress=lambda line: print(line, flush=True))
            failed = sum(1 for g in result.rows if g.failed and g.file)
            print(f"graded {sum(1 for g in result.rows if g.file)} notebooks in {result.seconds:.0f} s "
                  f"({result.isolation}); {failed} could not be graded fully; results in {args.out} "
                  f"(see {Path(args.out) / 'grading-log.txt'})")
            return 0
        from crmlib.exercises.reports import merge_marks

        counts = merge_marks(args.grades, force=args.force)
        print(f"{counts['marked']} marks merged into {args.grades}; {counts['unmarked']} answers still unmarked")
        return 0
    except ExerciseError as exc:
        if os.environ.get("CRMLIB_DEBUG"):
            raise
        print(f"crmlib: error: {exc}", file=sys.stderr)
        return 1
