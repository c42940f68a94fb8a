"""Big single files under the 20 MB drop limit: time and peak memory of each one, read alone and
through the whole intake (parse, cap, classify with the real embedding model, score, route, store).

Target (issue 14): any file under the limit in <= 10 s and <= 500 MB. Each case runs in its own
child process (a fresh interpreter), so one case's memory is not another's. Read alone, the figure
is the child's whole peak RSS (interpreter and imports included, ~60 MB). Through intake, the models
(torch and MiniLM, ~600 MB) are loaded and the classifier fitted first, excluded from the time; the
memory figure is the process's peak RSS minus the RSS before intake: an upper bound on what the
file costs (when the classifier fit peaked higher, the bound is loose), with the loaded baseline
printed beside it. LLM off. The 150k-row CSV is a lead list: its rate is
bench/lead_list.py's figure, so intake mode leaves it out unless named.
Run: python bench/big_files.py [--intake] [CASE ...]   (cases: see CASES)
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MB = 1024 * 1024
_LINE = "We need a new booking site for our three clinics, budget around 8k, by March. "
_HEAD = (b"From: Dana Whitfield <dana@whitfield.example>\r\nTo: hello@brightside.example\r\n"
         b"Date: Mon, 23 Nov 2026 15:04:05 +0000\r\nMessage-ID: <big@whitfield.example>\r\n")


def _text(size: int) -> str:
    return (_LINE * (size // len(_LINE) + 1))[:size]


def _plain_body() -> bytes:
    text = _text(5 * MB)
    body = "\r\n".join(text[i:i + 76] for i in range(0, 5 * MB, 76))
    return _HEAD + b"Subject: big body\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body.encode()


def _html_body() -> bytes:
    cell = "<tr><td style='color:#333'>" + _LINE + "</td></tr>\r\n"
    html = "<html><body><table>" + cell * (5 * MB // len(cell)) + "</table></body></html>"
    return _HEAD + b"Subject: big html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()


def _html_markup() -> bytes:
    """5 MB of styled markup around little text, most of it hidden: the parser sees every tag."""
    junk = "<div style='color:#fff;font-size:0'><span class='x'>budget $1,000,000</span></div><b></b><i></i>\r\n"
    html = "<html><body><p>We need a booking site.</p>" + junk * (5 * MB // len(junk)) + "</body></html>"
    return _HEAD + b"Subject: big markup\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()


def _json_keys() -> bytes:
    doc = {"name": "Dana Whitfield", "email": "dana@whitfield.example", "message": "Hello"}
    doc.update({f"field_{i}": f"value number {i}" for i in range(500_000)})
    return json.dumps(doc).encode()


def _subject() -> bytes:
    words = _text(10 * MB)
    folded = "\r\n ".join(words[i:i + 900] for i in range(0, len(words), 900))
    return _HEAD + b"Subject: " + folded.encode() + b"\r\nContent-Type: text/plain\r\n\r\nHello.\r\n"


def _attachment() -> bytes:
    import base64

    blob = base64.encodebytes(bytes(range(256)) * (14 * MB // 256)).replace(b"\n", b"\r\n")
    return (_HEAD + b'Subject: with attachment\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"'
            b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the brief attached.\r\n--b\r\n"
            b'Content-Type: application/pdf; name="brief.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            + blob + b"\r\n--b--\r\n")


def _json_body() -> bytes:
    doc = {"name": "Dana Whitfield", "email": "dana@whitfield.example", "message": _text(int(19.9 * MB) - 200)}
    return json.dumps(doc).encode()


def _csv_rows() -> bytes:
    rows = ["Name,Email,Company,Notes"]
    rows += [f"Lead {i},lead{i}@example.com,Company {i},{_LINE}" for i in range(150_000)]
    return "\r\n".join(rows).encode()


CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "body_5mb_plain": ("big.eml", _plain_body),
    "body_5mb_html": ("big.eml", _html_body),
    "html_5mb_markup": ("big.eml", _html_markup),
    "subject_10mb": ("big.eml", _subject),
    "attachment_14mb": ("big.eml", _attachment),
    "json_19_9mb": ("big.json", _json_body),
    "json_500k_keys": ("big.json", _json_keys),
    "csv_150k_rows": ("big.csv", _csv_rows),
}

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from opsys.sources import read_source
path = Path(sys.argv[1])
data = path.read_bytes()
t0 = time.perf_counter()
msgs = read_source(path, data)
took = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
m = msgs[0]
print(json.dumps({"seconds": took, "peak_mb": peak_mb, "messages": len(msgs), "subject": len(m.subject),
                  "body": len(m.body), "warnings": [w[:90] for w in m.warnings]}))
"""


_INTAKE_CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from _common import fresh_workspace
from opsys.app import open_app
path = Path(sys.argv[1])
ws = fresh_workspace(llm=False)
app = open_app(ws)
app.classifier.classify_many(["warm-up"])
rss = lambda: int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20
base = rss()
peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
target = ws.inbox / path.name
target.write_bytes(path.read_bytes())
t0 = time.perf_counter()
report = app.intake.consume([target])
took = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
row = app.db.execute("SELECT length(subject), length(body), warnings_json FROM inquiries LIMIT 1").fetchone()
stored = app.db.execute("SELECT COUNT(*) FROM inquiries").fetchone()[0]
print(json.dumps({"seconds": took, "base_mb": base, "extra_mb": peak - base,
                  "peak_before_mb": peak_before, "peak_mb": peak, "stored": stored,
                  "outcome": [o.status for o in report.outcomes],
                  "subject": row[0] if row else 0, "body": row[1] if row else 0,
                  "warnings": [w[:90] for w in json.loads(row[2])] if row else []}))
"""


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def run(case: str, folder: Path, timeout: float, intake: bool = False) -> dict[str, object]:
    """Write the case's file, read it (or take it through intake) in a fresh interpreter, return its figures."""
    name, build = CASES[case]
    path = folder / case / name
    path.parent.mkdir()
    path.write_bytes(build())
    t0 = time.perf_counter()
    try:
        argv = [_INTAKE_CHILD, str(path), str(Path(__file__).resolve().parent)] if intake else [_CHILD, str(path)]
        done = subprocess.run([sys.executable, "-c", *argv], capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HF_HUB_OFFLINE": "1"})
    except subprocess.TimeoutExpired:
        return {"size_mb": path.stat().st_size / MB, "error": f"not done after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"size_mb": path.stat().st_size / MB, "error": done.stderr.strip().splitlines()[-1]}
    out = json.loads(done.stdout)
    out.update(size_mb=path.stat().st_size / MB, wall=time.perf_counter() - t0)
    return out


def main(cases: list[str], timeout: float = 600, intake: bool = False) -> None:
    print(f"machine: {machine()}")
    if intake:
        print("through the whole intake (LLM off); time excludes model load; memory = peak RSS - RSS before intake (an upper bound)")
        print(f"{'case':18} {'size':>8} {'intake':>9} {'+memory':>8} {'loaded':>7}  stored, kept (subject/body chars)")
    else:
        print(f"{'case':18} {'size':>8} {'read':>9} {'peak RSS':>9}  kept (subject/body chars), warnings")
    with tempfile.TemporaryDirectory(prefix="opsys-big-") as tmp:
        for case in cases:
            r = run(case, Path(tmp), timeout, intake)
            if "error" in r:
                print(f"{case:18} {r['size_mb']:6.1f}MB  {r['error']}")
            elif intake:
                print(f"{case:18} {r['size_mb']:6.1f}MB {r['seconds']:8.2f}s {r['extra_mb']:6.0f}MB {r['base_mb']:5.0f}MB  "
                      f"{r['stored']} {'/'.join(r['outcome'])}, {r['subject']}/{r['body']}")
            else:
                print(f"{case:18} {r['size_mb']:6.1f}MB {r['seconds']:8.2f}s {r['peak_mb']:7.0f}MB  "
                      f"{r['subject']}/{r['body']}, {len(r['warnings'])}: {'; '.join(r['warnings'])[:160]}")


if __name__ == "__main__":
    args = sys.argv[1:]
    through_intake = "--intake" in args
    names = [a for a in args if a != "--intake"]
    main(names or [c for c in CASES if not (through_intake and c == "csv_150k_rows")], intake=through_intake)
