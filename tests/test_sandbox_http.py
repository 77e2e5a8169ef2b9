"""The shared sandbox server: request log, injected faults and the clock, in-process and over HTTP."""

from __future__ import annotations

import requests

from sandbox.httpbase import Fault, Request, Response, SandboxServer


class EchoApp:
    def handle(self, request: Request) -> Response:
        return Response(200, {"path": request.path, "q": request.arg("q"), "body": request.json()})

    def error_response(self, status: int, message: str) -> Response:
        return Response(status, [{"message": message, "errorCode": f"E{status}"}])


def test_serves_logs_and_injects_faults() -> None:
    with SandboxServer(EchoApp()) as server:
        http = requests.Session()
        http.trust_env = False
        ok = http.post(f"{server.url}/things?q=1", json={"a": 1}, timeout=5)
        assert ok.json() == {"path": "/things", "q": "1", "body": {"a": 1}}

        server.faults.add(Fault(kind="status", status=503, count=2, path="^/things"))
        assert [http.get(f"{server.url}/things", timeout=5).status_code for _ in range(3)] == [503, 503, 200]
        assert http.get(f"{server.url}/things", timeout=5).status_code == 200

        server.faults.add(Fault(kind="drop", count=1))
        try:
            http.get(f"{server.url}/things", timeout=5).json()
            raise AssertionError("a dropped connection must not yield a whole body")
        except (requests.exceptions.RequestException, ValueError):
            pass

        assert server.log.count("GET", "^/things$", status=503) == 2
        logged = http.get(f"{server.url}/_sandbox/requests", timeout=5).json()
        assert [e["status"] for e in logged][:3] == [200, 503, 503]

        http.post(
            f"{server.url}/_sandbox/faults", json={"kind": "status", "status": 429, "count": 1}, timeout=5
        )
        assert http.get(f"{server.url}/x", timeout=5).json() == [
            {"message": "injected fault", "errorCode": "E429"}
        ]

        before = server.clock.now()
        clock = http.post(
            f"{server.url}/_sandbox/clock", json={"advance_seconds": 7 * 86400}, timeout=5
        ).json()
        assert clock["offset_seconds"] == 7 * 86400
        assert (server.clock.now() - before).days == 7


def test_rate_faults_are_repeatable_for_a_seed() -> None:
    def fired(seed: int) -> list[int]:
        with SandboxServer(EchoApp(), fault_seed=seed) as server:
            server.faults.add(Fault(kind="status", status=500, rate=0.3))
            http = requests.Session()
            http.trust_env = False
            return [http.get(f"{server.url}/n", timeout=5).status_code for _ in range(30)]

    first = fired(11)
    assert first == fired(11)
    assert 0 < first.count(500) < 30


def test_https_with_the_local_ca(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sandbox.tls import local_tls

    tls = local_tls(tmp_path)
    with SandboxServer(EchoApp(), ssl_context=tls.context) as server:
        assert server.url.startswith("https://127.0.0.1:")
        http = requests.Session()
        http.trust_env = False
        http.verify = str(tls.ca_file)
        assert http.get(f"{server.url}/secure", timeout=5).json()["path"] == "/secure"
        try:
            requests.get(f"{server.url}/secure", timeout=5, verify=True)
            raise AssertionError("an unknown CA must be refused")
        except requests.exceptions.SSLError:
            pass
