#!/usr/bin/env python3
"""function_length.py: a 100-line function passes and a 101-line one fails (braces in comments, strings and
lambdas do not fool the count), then the real check over harness/ and kernels/."""
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from script_checks import finish, report  # noqa: E402

CHECK = HERE / "function_length.py"


def function_of(lines):
    """A C++ function of exactly `lines` lines, with braces in a comment, a string, a character and a lambda."""
    body = ['  int x = 0;  // } not a brace', '  const char* s = "}{";', "  char c = '}';",
            "  auto f = [&] { return x; };"]
    body += [f"  x += {i};" for i in range(lines - 2 - len(body) - 1)]
    return "namespace n {\nint long_one(int a) {\n" + "\n".join(body) + "\n  return f() + s[0] + c;\n}\n}  // namespace n\n"


def run(*args):
    return subprocess.run([sys.executable, str(CHECK), *args], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    for lines, fails in ((100, False), (101, True)):
        source = pathlib.Path(tmp) / f"f{lines}.cpp"
        source.write_text(function_of(lines))
        result = run(str(source))
        report(f"a {lines}-line function {'fails' if fails else 'passes'}", (result.returncode == 1) == fails and
               (f"long_one ({lines} lines)" in result.stdout) == fails, result.stdout.strip())
    result = run("--allow", "long_one", str(pathlib.Path(tmp) / "f101.cpp"))
    report("--allow passes a named function", result.returncode == 0, result.stdout.strip())

allowed = sys.argv[1] if len(sys.argv) > 1 else ""
result = run("--allow", allowed)
report("no function in harness/ and kernels/ is over 100 lines", result.returncode == 0, result.stdout.strip())
finish()
