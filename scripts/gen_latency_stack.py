#!/usr/bin/env python3
"""Writes a stack whose steps take known times, to measure a scheduler against the bound the
graph allows, and prints that bound in seconds for the given parallelism.

    scripts/gen_latency_stack.py --shape chains --kind time_sleep --out DIR [--width 20]
        [--depth 5] [--seconds 0.2] [--parallelism 10]

Shapes (every step takes --seconds, except the critical chain's, which take --long):
- wide:     --width independent steps;
- chains:   --width chains of --depth steps, step k of chain i after step k-1 of chain i;
- critical: one chain of --depth steps of --long seconds, and --width independent steps.

Kinds of step:
- time_sleep:  hashicorp/time's `time_sleep` (ggplan only: Terraform offline has no provider);
- local_exec:  `terraform_data` with a `local-exec` provisioner running `sleep` (runs in
               Terraform and ggplan alike);
- http:        `data "http"` reading --url (a loopback server that answers after a delay;
               only the wide shape): a plan reads every one, so its wall time is a refresh of
               --width objects of that latency.

The bound printed is max(critical path, total work / parallelism), rounded up to whole rounds
where the steps are of equal length: no schedule can be faster, and for these shapes a greedy
one that keeps `parallelism` steps running reaches it.
"""

import argparse
import math
import pathlib


def step(kind: str, name: str, count: int, seconds: float, after: str | None, url: str) -> str:
    """A resource (or data source) of `count` steps of `seconds`, each after `after`'s
    instance of the same index."""
    if kind == "time_sleep":
        lines = [f'resource "time_sleep" "{name}" {{', f"  count           = {count}",
                 f'  create_duration = "{round(seconds * 1000)}ms"']
        if after:
            lines.append(f"  triggers        = {{ after = time_sleep.{after}[count.index].id }}")
    elif kind == "local_exec":
        lines = [f'resource "terraform_data" "{name}" {{', f"  count = {count}"]
        if after:
            lines.append(f"  input = terraform_data.{after}[count.index].id")
        lines += ['  provisioner "local-exec" {', f'    command = "sleep {seconds}"', "  }"]
    else:
        lines = [f'data "http" "{name}" {{', f"  count = {count}", f'  url   = "{url}?i=${{count.index}}"']
    return "\n".join(lines + ["}", ""])


def stack(args: argparse.Namespace) -> tuple[str, float]:
    """The stack's text and its bound."""
    p, s = args.parallelism, args.seconds
    blocks = []
    if args.shape == "wide":
        blocks.append(step(args.kind, "s0", args.width, s, None, args.url))
        bound = math.ceil(args.width / p) * s
    elif args.shape == "chains":
        for k in range(args.depth):
            blocks.append(step(args.kind, f"s{k}", args.width, s, f"s{k - 1}" if k else None, args.url))
        bound = max(args.depth, math.ceil(args.width * args.depth / p)) * s
    else:
        for k in range(args.depth):
            blocks.append(step(args.kind, f"c{k}", 1, args.long, f"c{k - 1}" if k else None, args.url))
        blocks.append(step(args.kind, "side", args.width, s, None, args.url))
        path = args.depth * args.long
        bound = max(path, (path + args.width * s) / p)
    return "\n".join(blocks), bound


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=["wide", "chains", "critical"], required=True)
    parser.add_argument("--kind", choices=["time_sleep", "local_exec", "http"], required=True)
    parser.add_argument("--width", type=int, default=20)
    parser.add_argument("--depth", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.2)
    parser.add_argument("--long", type=float, default=1.0)
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--url", default="http://127.0.0.1:8080/")
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    if args.kind == "http" and args.shape != "wide":
        parser.error("http steps are reads, which do not wait for each other: use --shape wide")
    text, bound = stack(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "main.tf").write_text(text)
    print(f"{bound:.3f}")


if __name__ == "__main__":
    main()
