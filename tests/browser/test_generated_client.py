"""API users are users too (issue 15): a client generated from /api/v1/openapi.json with
openapi-python-client installs with pip and calls search, matching and open licences.

It lives with the browser tests for their live demo server (SQLite pass only). Generating,
installing and calling take about 5 seconds on the project's machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from market.accounts.models import User
from market.accounts.services import issue_api_token
from market.core.extensions import db
from market.demo.seed import demo_login_emails

BIN = Path(sys.executable).parent
CALLS = textwrap.dedent("""
    import json, sys
    from patent_supermarket_api_client import AuthenticatedClient
    from patent_supermarket_api_client.api.matching import match_text
    from patent_supermarket_api_client.api.open_licences import open_licence_list
    from patent_supermarket_api_client.api.search import search_listings
    from patent_supermarket_api_client.models import MatchQuery

    client = AuthenticatedClient(base_url=sys.argv[1], token=sys.argv[2], raise_on_unexpected_status=True)
    found = search_listings.sync(client=client, q="电池")
    matches = match_text.sync(client=client, body=MatchQuery(text="锂电池隔膜耐高温，150℃不收缩", limit=5))
    licences = open_licence_list.sync_detailed(client=client)
    print(json.dumps({"total": found.total, "titles": [h.title for h in found.items][:3],
                      "matches": len(matches.items), "state": str(matches.state.value),
                      "licences": licences.status_code.value}))
""")


def _run(args: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", **kw.pop("env", {})}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, **kw)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.fixture
def token(live_server) -> str:
    enterprise = demo_login_emails()[3]  # the private company: an ordinary API user
    with live_server.app.app_context():
        secret = issue_api_token(db.session.query(User).filter_by(email=enterprise).one(), "generated client")[1]
        db.session.commit()
    return secret


def test_a_generated_client_installs_and_calls_search_matching_and_open_licences(live_server, token, tmp_path):
    with urllib.request.urlopen(f"{live_server.url}/api/v1/openapi.json", timeout=30) as response:
        doc = json.load(response)
    assert doc["info"]["title"].isascii()
    (tmp_path / "openapi.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    _run([str(BIN / "openapi-python-client"), "generate", "--path", "openapi.json", "--meta", "setup"], tmp_path)
    (package,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    # Offline, into a folder of its own: the generated package only, its dependencies are the app's.
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
          "--target", str(tmp_path / "site"), str(package)], tmp_path)
    done = _run([sys.executable, "-c", CALLS, f"{live_server.url}/api/v1", token], tmp_path,
                env={"PYTHONPATH": str(tmp_path / "site")})
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["total"] > 0 and out["titles"] and out["matches"] > 0 and out["licences"] == 200
