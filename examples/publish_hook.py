#!/usr/bin/env python3
"""CMS publish hook: ask secscan whether a document may go live.

    python examples/publish_hook.py page.html          # exit 0: publish
    python examples/publish_hook.py --url http://10.0.0.5:8787 --token-file /etc/secscan/token draft.docx

Exit codes are those of ``secscan scan``: 0 pass (publish), 3 review (hold the page
for a reviewer), 4 block (do not publish); 1 when secscan could not be asked (server
down, 401, 413, …) — the CMS must then hold the page too: no answer is not a pass.
With ``--hold-on block`` a ``review`` exits 0 and only ``block`` holds the page.

The findings are printed for the editor, one line each; ``--json`` prints the report.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from secscan.client import DEFAULT_URL, Client, HookError
from secscan.types import Verdict

EXIT_UNANSWERED = 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Ask secscan before publishing a document.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--url", default=os.environ.get("SECSCAN_URL", DEFAULT_URL))
    parser.add_argument("--token-file", type=Path, help="bearer token file (else $SECSCAN_TOKEN)")
    parser.add_argument("--hold-on", choices=["review", "block"], default="review",
                        help="the least verdict that holds the page (default: review)")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)

    token = args.token_file.read_text(encoding="utf-8").strip() if args.token_file else None
    try:
        result = Client(args.url, token, timeout=args.timeout).scan_file(args.file)
    except (HookError, OSError) as exc:
        print(f"未能完成保密审查,暂缓发布:{exc}", file=sys.stderr)
        return EXIT_UNANSWERED

    if args.json:
        print(json.dumps(dict(result.report), ensure_ascii=False, indent=2))
    else:
        print(f"{result.verdict.zh} ({result.verdict.value}) 风险分 {result.score}  {args.file.name}")
        for finding in result.report["findings"]:
            where = finding["location"]["part"]
            print(f"  [{finding['severity']}] {finding['rule']} ({where}): {finding['reason']}")
        for error in result.report["errors"]:
            print(f"  [无法审查] {error['kind']}: {error['message']}")
    if result.verdict.rank < Verdict(args.hold_on).rank:
        return 0
    return result.verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
