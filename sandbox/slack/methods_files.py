"""files.getUploadURLExternal + the upload URL + files.completeUploadExternal (files_upload_v2's steps)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from sandbox.httpbase import Response
from sandbox.slack.methods_chat import store_message
from sandbox.slack.state import SlackError, Workspace

if TYPE_CHECKING:
    from sandbox.slack.webapi import Args, SlackWebApi


def _public(file: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in file.items() if k != "content_b64"}


def get_upload_url(api: SlackWebApi, args: Args) -> dict[str, Any]:
    if not args.get("filename") or not str(args.get("length") or "").isdigit():
        raise SlackError("invalid_arguments")
    fid = api.new_id("F")
    api.ws.data["files"][fid] = {
        "id": fid,
        "name": str(args["filename"]),
        "title": str(args["filename"]),
        "size": int(args["length"]),
        "created": int(api.now()),
        "url_private": f"{api.base_url}/files/{fid}",
        "channels": [],
        "uploaded": False,
    }
    api.ws.touch()
    return {"upload_url": f"{api.base_url}/upload/v1/{fid}", "file_id": fid}


def receive_upload(ws: Workspace, fid: str, body: bytes) -> Response:
    """POST to an upload URL (answered like files.slack.com: ``OK - <bytes>``)."""
    with ws.lock:
        file = ws.data["files"].get(fid)
        if file is None:
            return Response(404, "Not Found", content_type="text/plain")
        file.update(content_b64=base64.b64encode(body).decode(), size=len(body), uploaded=True)
        ws.touch()
    return Response(200, f"OK - {len(body)}", content_type="text/plain")


def download(ws: Workspace, fid: str) -> Response:
    with ws.lock:
        file = ws.data["files"].get(fid)
    if file is None or not file.get("uploaded"):
        return Response(404, "Not Found", content_type="text/plain")
    return Response(200, base64.b64decode(file["content_b64"]), content_type="application/octet-stream")


def complete_upload(api: SlackWebApi, args: Args) -> dict[str, Any]:
    entries = args.get("files")
    if not isinstance(entries, list) or not entries:
        raise SlackError("invalid_arguments")
    done = []
    for entry in entries:
        file = api.ws.data["files"].get(str(entry.get("id")))
        if file is None or not file["uploaded"]:
            raise SlackError("file_not_found")
        file["title"] = entry.get("title") or file["name"]
        done.append(file)
    channel_id = args.get("channel_id")
    if channel_id:
        channel = api.ws.channel(str(channel_id))
        for file in done:
            file["channels"] = [channel["id"]]
        content = {"text": str(args.get("initial_comment") or ""), "files": [_public(f) for f in done]}
        store_message(api, channel["id"], content, thread_ts=args.get("thread_ts"))
    api.ws.touch()
    return {"files": [_public(f) for f in done]}


METHODS = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
