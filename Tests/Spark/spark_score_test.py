#!/usr/bin/env python3
"""scripts/spark-score on Spark local mode against `switchboard score` on the whole file, byte for byte after sorting.

Run by scripts/test (which installs pyspark and a JRE when missing) before the Swift suites:
    python3 Tests/Spark/spark_score_test.py .build/release/switchboard
Cases: the sample's 3,000 incoming leads over 4 partitions; three leads over 6 partitions (empty partitions); a bad
row in the second half of the file (the job fails with the binary's file:line message, naming the partition, and
writes nothing). Prints 'N passed, N failed' and exits non-zero on any failure.
"""
import importlib.machinery
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stderr

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ECOSYSTEM = os.path.join(ROOT, "Data", "ecosystem")
MODEL = os.path.join(ROOT, "Models", "match.json")
PARTNERS = os.path.join(ECOSYSTEM, "partners.csv")


def load_spark_score():
    path = os.path.join(ROOT, "scripts", "spark-score")
    loader = importlib.machinery.SourceFileLoader("spark_score", path)
    spec = importlib.util.spec_from_loader("spark_score", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def score_directly(binary, leads, out):
    subprocess.run(
        [binary, "score", "--model", MODEL, "--partners", PARTNERS, "--top", "5", "--leads", leads, "--out", out],
        check=True, stdout=subprocess.DEVNULL)


def sorted_lines(path):
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    return lines[0], sorted(line for line in lines[1:] if line)


def main(binary):
    spark_score = load_spark_score()
    work = tempfile.mkdtemp(prefix="spark-score-test-")
    results = []

    def case(name, body):
        started = time.time()
        try:
            body()
            results.append((name, None))
            print(f"passed: {name} ({time.time() - started:.1f} s)")
        except AssertionError as failure:
            results.append((name, str(failure)))
            print(f"FAILED: {name}: {failure}")

    def run_spark(leads, out, partitions):
        errors = io.StringIO()
        with redirect_stderr(errors):
            status = spark_score.main([
                "--leads", leads, "--out", out, "--partitions", str(partitions), "--master", "local[2]",
                "--binary", binary, "--", "--model", MODEL, "--partners", PARTNERS, "--top", "5"])
        return status, errors.getvalue()

    def sample_over_four_partitions():
        leads = os.path.join(ECOSYSTEM, "incoming.csv")
        expected, got = os.path.join(work, "direct.csv"), os.path.join(work, "spark.csv")
        score_directly(binary, leads, expected)
        status, errors = run_spark(leads, got, 4)
        assert status == 0, f"spark-score failed: {errors}"
        header_expected, rows_expected = sorted_lines(expected)
        header_got, rows_got = sorted_lines(got)
        assert header_got == header_expected, f"headers differ: {header_got!r} vs {header_expected!r}"
        assert len(rows_expected) > 3000, f"only {len(rows_expected)} rows scored directly"
        assert rows_got == rows_expected, "the rows differ from switchboard score's"
        with open(expected, encoding="utf-8") as a, open(got, encoding="utf-8") as b:
            assert a.read() == b.read(), "same rows, but not in the same order"

    def empty_partitions():
        leads = os.path.join(work, "three.csv")
        with open(os.path.join(ECOSYSTEM, "incoming.csv"), encoding="utf-8") as source:
            lines = source.read().split("\n")
        with open(leads, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines[:4]) + "\n")
        expected, got = os.path.join(work, "three-direct.csv"), os.path.join(work, "three-spark.csv")
        score_directly(binary, leads, expected)
        status, errors = run_spark(leads, got, 6)
        assert status == 0, f"spark-score failed: {errors}"
        with open(expected, encoding="utf-8") as a, open(got, encoding="utf-8") as b:
            assert a.read() == b.read(), "three leads over six partitions differ from switchboard score's output"

    def bad_row_fails_the_job():
        leads = os.path.join(work, "bad.csv")
        with open(os.path.join(ECOSYSTEM, "incoming.csv"), encoding="utf-8") as source:
            lines = source.read().rstrip("\n").split("\n")
        header = lines[0].split(",")
        bad_line = 2001  # the file's line number (the header is line 1)
        fields = lines[bad_line - 1].split(",")
        fields[header.index("estimated_value")] = "lots"
        lines[bad_line - 1] = ",".join(fields)
        with open(leads, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        out = os.path.join(work, "bad-out.csv")
        status, errors = run_spark(leads, out, 4)
        assert status != 0, "a bad row did not fail the job"
        assert f"bad.csv:{bad_line}" in errors, f"the message does not name the file's line {bad_line}: {errors!r}"
        assert "estimated_value" in errors, f"the message does not name the column: {errors!r}"
        assert "partition " in errors, f"the message does not name the partition: {errors!r}"
        assert not os.path.exists(out), "a failed job left an output file"
        leftovers = [name for name in os.listdir(work) if name.startswith(".spark-score-")]
        assert not leftovers, f"temporary files left behind: {leftovers}"

    case("the sample's incoming leads over 4 partitions equal switchboard score's output", sample_over_four_partitions)
    case("three leads over 6 partitions (empty partitions)", empty_partitions)
    case("a bad row fails the job with the file's line and the partition, and writes nothing", bad_row_fails_the_job)
    failed = sum(1 for _, failure in results if failure)
    print(f"spark: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                                  os.path.join(ROOT, ".build", "release", "switchboard"))))
