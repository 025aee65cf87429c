"""Drives paddock's MCP server with the official MCP Python SDK.

Run by tests/tests/mcp.rs, which asserts on what this prints: one JSON
object per line on stdout (`{"event": "ready"}` while a scenario waits for
the test to act, then `{"event": "result", ...}`). Nothing here decides
pass or fail beyond the SDK's own checks (it validates every structured
result against the tool's output schema and raises when one does not fit).

    client.py --transport http --url http://127.0.0.1:PORT/mcp --mode auto SCENARIO
    client.py --transport stdio --mode legacy [--pidfile F] SCENARIO -- paddock mcp ARGS...

Scenarios:
- `tools`: the handshake's facts and `tools/list`.
- `calls`: the calls read as JSON from stdin (`[{"name", "arguments"}]`),
  each checked against its tool's input schema here, then made.
- `watch`: lists the tools, prints `ready`, waits for
  notifications/tools/list_changed (legacy sessions: the notification;
  2026-07-28 sessions: a `subscriptions/listen` stream), lists them again.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import anyio
import jsonschema
import mcp_types as types
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

WATCH_TIMEOUT = 30


def emit(obj: dict[str, Any]) -> None:
    print(json.dumps(obj), flush=True)


def dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def server(args: argparse.Namespace) -> Any:
    if args.transport == "http":
        return args.url
    command = args.command
    if not command:
        sys.exit("stdio needs the server command after --")
    if args.pidfile:
        # The shell writes its pid, then becomes the server: the test signals that pid.
        command = ["sh", "-c", 'echo $$ > "$0"; exec "$@"', args.pidfile, *command]
    return StdioServerParameters(command=command[0], args=command[1:], env=dict(args.env))


async def list_tools(client: Client) -> list[dict[str, Any]]:
    listed = await client.list_tools(cache_mode="bypass")
    return [dump(t) for t in listed.tools]


async def scenario_tools(client: Client, _args: argparse.Namespace) -> dict[str, Any]:
    return {
        "protocol_version": client.protocol_version,
        "server_info": dump(client.server_info) if client.server_info else None,
        "capabilities": dump(client.server_capabilities),
        "tools": await list_tools(client),
    }


async def scenario_calls(client: Client, _args: argparse.Namespace) -> dict[str, Any]:
    calls = json.load(sys.stdin)
    tools = {t["name"]: t for t in await list_tools(client)}
    results = []
    for call in calls:
        name, arguments = call["name"], call.get("arguments", {})
        entry: dict[str, Any] = {"name": name, "arguments": arguments}
        tool = tools.get(name)
        if tool is not None:
            validator = jsonschema.Draft202012Validator(tool["inputSchema"])
            errors = [e.message for e in validator.iter_errors(arguments)]
            entry["schema_valid"] = not errors
            entry["schema_errors"] = errors
        try:
            result = await client.call_tool(name, arguments)
            entry["is_error"] = bool(result.is_error)
            entry["structured"] = result.structured_content
            entry["text"] = [c.text for c in result.content if isinstance(c, types.TextContent)]
        except MCPError as e:
            entry["protocol_error"] = {"code": e.error.code, "message": e.error.message}
        except RuntimeError as e:
            # The SDK's output-schema check: the answer does not fit the declared schema.
            entry["client_error"] = str(e)
        results.append(entry)
    return {"protocol_version": client.protocol_version, "calls": results}


async def scenario_watch(client: Client, args: argparse.Namespace, changed: anyio.Event) -> dict[str, Any]:
    before = [t["name"] for t in await list_tools(client)]
    notified = False
    if client.protocol_version == "2026-07-28":
        async with client.listen(tools_list_changed=True) as subscription:
            emit({"event": "ready", "protocol_version": client.protocol_version, "tools": before})
            with anyio.move_on_after(WATCH_TIMEOUT):
                async for event in subscription:
                    if isinstance(event, types.ToolListChangedNotification) or "Tools" in type(event).__name__:
                        notified = True
                        break
    else:
        emit({"event": "ready", "protocol_version": client.protocol_version, "tools": before})
        with anyio.move_on_after(WATCH_TIMEOUT):
            await changed.wait()
            notified = True
    after = [t["name"] for t in await list_tools(client)]
    return {"protocol_version": client.protocol_version, "notified": notified, "before": before, "after": after}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", choices=["http", "stdio"], required=True)
    parser.add_argument("--mode", choices=["legacy", "auto"], default="auto")
    parser.add_argument("--url")
    parser.add_argument("--pidfile")
    parser.add_argument("--env", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("scenario", choices=["tools", "calls", "watch"])
    parser.add_argument("command", nargs="*")
    args = parser.parse_args()

    changed = anyio.Event()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            changed.set()

    async with Client(server(args), mode=args.mode, message_handler=on_message) as client:
        if args.scenario == "tools":
            out = await scenario_tools(client, args)
        elif args.scenario == "calls":
            out = await scenario_calls(client, args)
        else:
            out = await scenario_watch(client, args, changed)
    emit({"event": "result", **out})


if __name__ == "__main__":
    anyio.run(main)
