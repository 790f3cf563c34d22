#!/usr/bin/env python3
"""TypeScript types generated from hookd's OpenAPI document with openapi-typescript's defaults, held to what the
document says: a program that uses every operation — a request body for each that takes one (the schema's own
examples, and a value built from the schema with every property filled in, free-form objects holding keys) and a
value of each JSON response — must type-check under `tsc --strict`. A schema a generator types too narrowly (a
free-form object typed as an empty one, say) fails here.

    python3 typecheck.py     (from tests/openapi, after npm ci)"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOCUMENT = os.path.join(HERE, "../../src/api/openapi.json")
BUILD = os.path.join(HERE, "build")
METHODS = ("get", "put", "post", "patch", "delete")


def resolve(doc, schema):
    while "$ref" in schema:
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def sample(doc, schema, depth=0):
    """A value the schema accepts, with every property present (to the depth a generator follows)."""
    schema = resolve(doc, schema)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return sample(doc, schema[key][0], depth)
    if "allOf" in schema:
        out = {}
        for part in schema["allOf"]:
            out.update(sample(doc, part, depth))
        return out
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties")
        if props is None:
            extra = schema.get("additionalProperties", True)
            return {"key": sample(doc, extra, depth + 1) if isinstance(extra, dict) else 1}
        if depth > 6:
            return {}
        return {name: sample(doc, prop, depth + 1) for name, prop in props.items()}
    if kind == "array":
        return [sample(doc, schema.get("items", {}), depth + 1)]
    if kind == "string":
        return "x"
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    return None


def program(doc):
    lines = ['import type { paths } from "./hookd";', ""]
    count = 0
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            count += 1
            name = op["operationId"]
            where = f'paths[{json.dumps(path)}]["{method}"]'
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                schema = resolve(doc, body["schema"])
                values = [sample(doc, schema)] + list(schema.get("examples", []))
                for i, value in enumerate(values):
                    optional = "" if op["requestBody"].get("required") else "NonNullable<"
                    close = "" if not optional else ">"
                    lines.append(f"export const {name}Body{i}: {optional}{where}[\"requestBody\"]{close}"
                                 f'["content"]["application/json"] = {json.dumps(value)};')
            for status, response in op.get("responses", {}).items():
                response = resolve(doc, response)
                media = response.get("content", {}).get("application/json")
                if not media:
                    continue
                value = json.dumps(sample(doc, media["schema"]))
                lines.append(f'export const {name}Answer{status}: {where}["responses"]["{status}"]'
                             f'["content"]["application/json"] = {value};')
    return "\n".join(lines) + "\n", count


def main():
    with open(DOCUMENT) as f:
        doc = json.load(f)
    os.makedirs(BUILD, exist_ok=True)
    types = os.path.join(BUILD, "hookd.d.ts")
    subprocess.run(["npx", "--no-install", "openapi-typescript", DOCUMENT, "-o", types], check=True, cwd=HERE)
    text, count = program(doc)
    with open(os.path.join(BUILD, "usage.ts"), "w") as f:
        f.write(text)
    # Only the two files: a tsconfig naming no @types packages (the linter's own would be pulled in otherwise).
    with open(os.path.join(BUILD, "tsconfig.json"), "w") as f:
        json.dump({"compilerOptions": {"strict": True, "noEmit": True, "target": "es2022", "module": "es2022",
                                       "moduleResolution": "bundler", "types": []},
                   "files": ["usage.ts"]}, f)
    done = subprocess.run(["npx", "--no-install", "tsc", "-p", os.path.join(BUILD, "tsconfig.json")], cwd=HERE)
    if done.returncode != 0:
        sys.exit(f"the generated types refuse what the document describes (build/usage.ts above)")
    print(f"typecheck: openapi-typescript's types accept every one of the {count} operations' bodies and answers")


if __name__ == "__main__":
    main()
