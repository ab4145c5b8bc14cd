"""The output protocol of the client matrix: one PASS or FAIL line per check (see ../README.md)."""
import time
import traceback


class Checks:
    def __init__(self):
        self.checks = []

    def check(self, name):
        def register(fn):
            self.checks.append((name, fn))
            return fn
        return register

    @staticmethod
    def expect(got, want):
        if got != want:
            raise AssertionError(f"expected {want!r}, got {got!r}")
        return str(got)

    def run(self, mode):
        for name, fn in self.checks:
            if (name == "after_suspend") != (mode == "after-suspend"):
                continue
            start = time.monotonic()
            try:
                detail = fn()
                print(f"PASS {name} {detail} ({time.monotonic() - start:.1f} s)", flush=True)
            except Exception as e:  # a failed check must not hide the others
                message = " ".join(f"{type(e).__name__}: {e}".split())
                print(f"FAIL {name} {message} at {traceback.extract_tb(e.__traceback__)[-1].lineno}", flush=True)
