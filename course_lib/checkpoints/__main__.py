"""python -m course_lib.checkpoints NAME... | --list  (see course_lib.checkpoints)."""

import argparse
import time

from . import make, path, recipe, stored


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.checkpoints",
        description="Retrain course checkpoints from their recipes (fixed seeds) and store them.",
    )
    parser.add_argument("names", nargs="*", help="checkpoints to make, e.g. gans.collapse")
    parser.add_argument("--list", action="store_true", help="list stored checkpoints and recipes")
    args = parser.parse_args()
    if args.list or not args.names:
        for name in stored():
            fn = recipe(name)
            size = path(name).stat().st_size / 1024
            print(f"{name:32s} {size:8.1f} KiB  {fn.__module__}.{fn.__qualname__}")
        return
    for name in args.names:
        t0 = time.perf_counter()
        file = make(name)
        print(f"{name}: wrote {file} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
