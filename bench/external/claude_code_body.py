#!/usr/bin/env python3
"""Writes a Messages API request shaped like one Claude Code sends, of about --size bytes.

usage: claude_code_body.py --size BYTES [--stream] [--model M] > body.json

Claude Code's requests are not the how-to's one-line prompt: its first request of a session is ~48 KB
(2.1.332: three system blocks, twelve tools whose JSON schemas nest four deep, two user turns), and a
long session's grow past 500 KB with tool_use / tool_result turns. The text here is generated, not
Claude Code's; the shape (member order, nesting, the mix of long strings and small objects) is what
costs a proxy that reads the body.
"""
import argparse
import json
import random

WORDS = ("the file function returns value request model token stream agent tool result error path "
         "config server client header body line test build change commit branch schema").split()


def text(rng, words):
    return " ".join(rng.choice(WORDS) for _ in range(words))


def schema(rng, depth):
    properties = {}
    for i in range(rng.randint(2, 5)):
        name = f"{rng.choice(WORDS)}_{i}"
        if depth > 0 and rng.random() < 0.4:
            properties[name] = {"type": "object", "description": text(rng, 12), "properties": schema(rng, depth - 1),
                                "additionalProperties": False}
        elif rng.random() < 0.3:
            properties[name] = {"type": "array", "items": {"type": "string"}, "description": text(rng, 10)}
        else:
            properties[name] = {"type": rng.choice(["string", "number", "boolean"]), "description": text(rng, 15)}
    return properties


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=48_000)
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--model", default="claude-sonnet-4-5-20250929")
    a = ap.parse_args()
    rng = random.Random(42)
    tools = [{"name": f"Tool{i}", "description": text(rng, 110),
              "input_schema": {"type": "object", "properties": schema(rng, 2), "required": [], "additionalProperties": False,
                               "$schema": "http://json-schema.org/draft-07/schema#"}} for i in range(12)]
    body = {
        "model": a.model,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "<system-reminder>\n" + text(rng, 120) + "\n</system-reminder>\n"},
                                                  {"type": "text", "text": "Fix the failing test."}]}],
        "system": [{"type": "text", "text": text(rng, 12)}, {"type": "text", "text": text(rng, 10)},
                   {"type": "text", "text": text(rng, 900), "cache_control": {"type": "ephemeral"}}],
        "tools": tools,
        "metadata": {"user_id": json.dumps({"device_id": "0" * 64, "session_id": "00000000-0000-0000-0000-000000000000"})},
        "max_tokens": 32000,
        "thinking": {"type": "adaptive"},
        "stream": a.stream,
    }
    turn = 0
    while len(json.dumps(body)) < a.size:
        body["messages"].append({"role": "assistant", "content": [
            {"type": "text", "text": text(rng, 20)},
            {"type": "tool_use", "id": f"toolu_{turn:06d}", "name": "Tool4", "input": {"file_path": f"/src/main/File{turn}.java"}}]})
        body["messages"].append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": f"toolu_{turn:06d}",
             "content": "\n".join(f"{n:>6}\t    {text(rng, 8)};" for n in range(60))}]})
        turn += 1
    body["messages"].append({"role": "user", "content": "continue"})
    print(json.dumps(body, separators=(",", ":")))


if __name__ == "__main__":
    main()
