#!/usr/bin/env python3
"""Keeps every function in harness/ and kernels/ (C++ and CUDA) at most 100 lines: a longer one does several jobs,
and is split into named steps. Counts with a brace scanner that skips comments, string and character literals (raw
strings too): a function is a brace block opened at namespace or class scope after a parameter list, and its length
is the lines from its signature's first line to its closing brace. Lambdas and local classes count with the function
that holds them.

Usage: function_length.py [--max N] [--allow NAME,...] [ROOT_OR_FILE...]
(default: harness and kernels of this checkout; max 100; --allow names functions not yet split, to be emptied)
Prints each function over the limit as file:line: name (N lines) and exits 1 if there is any."""
import argparse
import pathlib
import re
import sys

SOURCE_SUFFIXES = {".cpp", ".h", ".cu", ".cuh", ".hpp", ".cc"}
CONTAINER = re.compile(r'^(?:template\s*<.*>\s*)?(?:namespace\b|extern\s+"C"|(?:class|struct|union|enum)\b)', re.S)


def code_only(text):
    """`text` with comments, string and character literals blanked (newlines kept, so line numbers stay)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == 'R' and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            open_paren = text.find("(", i + 2)
            delim = text[i + 2:open_paren]
            j = text.find(")" + delim + '"', open_paren)
            j = n if j < 0 else j + len(delim) + 2
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # a digit separator: 1'000'000
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        elif c == "#" and (i == 0 or text[text.rfind("\n", 0, i) + 1:i].strip() == ""):  # a preprocessor line
            j = i
            while True:
                j = text.find("\n", j)
                if j < 0 or text[j - 1] != "\\":
                    break
                j += 1
            j = n if j < 0 else j
            out.append("\n" * text.count("\n", i, j))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def outside_parentheses(header):
    """`header` without its parenthesised parts and a leading template clause: what tells a function's signature
    (no '=' left) from a variable's initializer."""
    header = re.sub(r"^\s*template\s*<(?:[^<>]|<[^<>]*>)*>", "", header)
    while True:
        shorter = re.sub(r"\([^()]*\)", "", header)
        if shorter == header:
            return header
        header = shorter


def functions(text):
    """(name, first line, last line) of every function defined in `text`."""
    code = code_only(text)
    found = []
    stack = []           # per open brace: "container", "function" or "other"
    header_start = 0     # where the text before the next brace begins
    for i, c in enumerate(code):
        if c in ";}":
            if c == "}" and stack:
                kind, name, first = stack.pop()
                if kind == "function":
                    found.append((name, first, code.count("\n", 0, i) + 1))
                if kind == "member init":
                    continue  # the constructor's header goes on to its body
            header_start = i + 1
        elif c == "{":
            header = code[header_start:i]
            if any(kind != "container" for kind, _, _ in stack):
                stack.append(("other", None, None))  # a block, lambda or initializer inside a function
            elif CONTAINER.match(header.strip()):
                stack.append(("container", None, None))
            elif header.count("(") > header.count(")") or re.search(r"\)\s*(?:noexcept\s*)?:[^:].*\w\s*$", header, re.S):
                stack.append(("member init", None, None))  # Foo::Foo(...) : member_{value} {, decltype(T{})
                continue  # the header goes on past the member's braces
            elif ")" in header and not re.search(r"(?<!operator)(?<![=!<>])=(?!=)", outside_parentheses(header)):
                signature = header.strip()
                name = re.findall(r"([~\w:]*operator\s*[^\s(]+|[~\w:]+(?:<[^()]*>)?)\s*\(", signature)
                first = code.count("\n", 0, header_start + len(header) - len(header.lstrip())) + 1
                stack.append(("function", name[0] if name else "?", first))
            else:
                stack.append(("other", None, None))  # a brace initializer at namespace or class scope
            header_start = i + 1
        elif c == ":" and stack and stack[-1][0] == "container" and re.search(
                r"\b(public|private|protected)\s*$", code[header_start:i]):
            header_start = i + 1  # an access specifier ends nothing but the header before it
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=100)
    parser.add_argument("--allow", default="", help="comma-separated names of functions not counted (yet)")
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parents[2]
    paths = [pathlib.Path(p) for p in args.paths] or [root / "harness", root / "kernels"]
    files = sorted(f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.suffix in SOURCE_SUFFIXES)
    long = []
    for f in files:
        for name, first, last in functions(f.read_text(errors="replace")):
            if last - first + 1 > args.max and name not in args.allow.split(","):
                long.append(f"{f}:{first}: {name} ({last - first + 1} lines)")
    for line in long:
        print(line)
    print(f"{len(files)} files, {len(long)} functions over {args.max} lines")
    return 1 if long else 0


if __name__ == "__main__":
    sys.exit(main())
