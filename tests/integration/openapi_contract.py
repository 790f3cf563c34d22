"""The OpenAPI document as a contract the integration tests hold every answer to: each response of a documented
operation must have a status the document lists for it, and a JSON body its schema accepts (objects list every
field they may have, so a field added to a response but not to the document fails the test that saw it)."""
import json
import os
import re

import jsonschema

DOCUMENT = os.path.join(os.path.dirname(__file__), "../../src/api/openapi.json")


class OpenApiContract:
    def __init__(self, path=DOCUMENT):
        with open(path) as f:
            self.doc = json.load(f)
        self.resolver = jsonschema.RefResolver("", self.doc)
        self.operations = []  # (method, regex, literal segment count, template, operation)
        for template, item in self.doc["paths"].items():
            pattern = "^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)) + "/?$"
            literals = sum(1 for s in template.split("/") if s and not s.startswith("{"))
            for method, operation in item.items():
                self.operations.append((method.upper(), re.compile(pattern), literals, template, operation))

    def operation(self, method, path):
        """The documented operation serving `method path` (literal segments win, as in the router), or None."""
        path = path.split("?", 1)[0]
        matches = [(literals, template, op) for m, regex, literals, template, op in self.operations
                   if m == method and regex.match(path)]
        return max(matches, key=lambda m: m[0])[1:] if matches else None

    def check(self, method, path, status, content_type, body):
        """Raises AssertionError when the answer breaks the document. Paths it does not describe are not checked
        (a test of an unknown path expects a 404)."""
        found = self.operation(method, path)
        if not found:
            return
        template, op = found
        responses = op["responses"]
        response = responses.get(str(status)) or responses.get(f"{status // 100}XX") or responses.get("default")
        if response is None:
            raise AssertionError(f"{method} {template} answered {status}, a status the OpenAPI document does not "
                                 f"list (it lists {', '.join(responses)})")
        if "$ref" in response:
            response = self.resolver.resolve(response["$ref"])[1]
        if not (content_type or "").startswith("application/json") or not body:
            return
        media = response.get("content", {}).get("application/json")
        if media is None:
            raise AssertionError(f"{method} {template} {status} answered JSON the document does not describe")
        try:
            jsonschema.Draft202012Validator(media["schema"], resolver=self.resolver).validate(json.loads(body))
        except jsonschema.ValidationError as e:
            where = "/".join(str(p) for p in e.absolute_path)
            raise AssertionError(f"{method} {template} {status}: the body breaks the OpenAPI document at "
                                 f"'{where}': {e.message}") from None


CONTRACT = OpenApiContract()
