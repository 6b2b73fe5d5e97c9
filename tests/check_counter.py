"""The one pass/fail counter of the script-style tests: each check printed as 'ok   name: detail' or 'FAIL name:
detail', then 'N passed, M failed' and exit status 1 if any failed."""
import sys


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        """Counts one check and prints it."""
        self.passed += bool(ok)
        self.failed += not ok
        print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))

    def exit(self):
        """Prints the counts and exits, with 1 if any check failed."""
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)
