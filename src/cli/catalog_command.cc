// `hookd catalog`: the built-in event types by category, each with its example `data` (what `hookd trigger` and a
// test send deliver) and the JSON Schema of its data, as JSON, or with --markdown as the generated part of
// docs/events.md (a test holds the page to it, so the two never drift).
#include <iostream>

#include "cli/commands.h"
#include "common/json.h"
#include "domain/catalog.h"
#include "domain/event_examples.h"
#include "domain/event_schemas.h"

namespace hookd {
namespace {

// True for a value printed on one line: a scalar, or an object or array of scalars and arrays of scalars.
bool Shallow(const json::value& v, int levels = 2) {
  if (const json::object* o = v.if_object()) {
    for (const auto& member : *o) {
      if (levels == 0 || !Shallow(member.value(), levels - 1)) return false;
    }
  } else if (const json::array* a = v.if_array()) {
    for (const json::value& item : *a) {
      if (levels == 0 || !Shallow(item, levels - 1)) return false;
    }
  }
  return true;
}

// `v` as JSON, two spaces per level; a value from depth `flat_depth` on, or a shallow one when `flat_shallow`, on
// one line (`{"a": 1, "b": 2}`).
void AppendIndented(std::string& out, const json::value& v, int depth, int flat_depth, bool flat_shallow = false) {
  const bool flat = depth >= flat_depth || (flat_shallow && Shallow(v));
  const std::string pad = flat ? "" : std::string(static_cast<size_t>(depth + 1) * 2, ' ');
  const std::string close = flat ? "" : std::string(static_cast<size_t>(depth) * 2, ' ');
  const char* separator = flat ? ", " : ",\n";
  const char* open_break = flat ? "" : "\n";
  if (const json::object* o = v.if_object(); o && !o->empty()) {
    out += "{";
    out += open_break;
    for (auto it = o->begin(); it != o->end(); ++it) {
      out += pad;
      AppendJsonQuoted(out, it->key());
      out += ": ";
      AppendIndented(out, it->value(), depth + 1, flat_depth, flat_shallow);
      out += std::next(it) == o->end() ? open_break : separator;
    }
    out += close + "}";
  } else if (const json::array* a = v.if_array(); a && !a->empty()) {
    out += "[";
    out += open_break;
    for (size_t i = 0; i < a->size(); ++i) {
      out += pad;
      AppendIndented(out, (*a)[i], depth + 1, flat_depth, flat_shallow);
      out += i + 1 == a->size() ? open_break : separator;
    }
    out += close + "]";
  } else {
    AppendJson(out, v);
  }
}

std::string Markdown(const std::vector<EventType>& types) {
  std::string out;
  std::string category;
  for (const EventType& t : types) {
    if (t.category != category) {
      category = t.category;
      out += "\n#### " + category + "\n";
    }
    out += "\n`" + t.type + "` — " + t.description + "\n\n```json\n";
    AppendIndented(out, ParseJsonOrNull(ExamplePayload(t.type)), 0, 1);
    out += "\n```\n\n<details><summary>JSON Schema of <code>" + t.type + "</code></summary>\n\n```json\n";
    AppendIndented(out, EventSchema(t.type), 0, 1000, true);
    out += "\n```\n\n</details>\n";
  }
  return out;
}

std::string Json(const std::vector<EventType>& types) {
  json::array categories;
  for (const EventType& t : types) {
    if (categories.empty() || categories.back().at("name").as_string() != t.category) {
      categories.push_back(json::object{{"name", t.category}, {"events", json::array{}}});
    }
    categories.back().as_object()["events"].as_array().push_back(
        json::object{{"type", t.type},
                     {"description", t.description},
                     {"example", ParseJsonOrNull(ExamplePayload(t.type))},
                     {"schema", EventSchema(t.type)}});
  }
  std::string out;
  AppendIndented(out, json::object{{"categories", std::move(categories)}}, 0, 1000);
  return out + "\n";
}

}  // namespace

int RunCatalog(const std::vector<std::string>& args) {
  const bool markdown = args.size() == 1 && args[0] == "--markdown";
  if (!args.empty() && !markdown) {
    std::cerr << "usage: hookd catalog [--markdown]\n";
    return 2;
  }
  const std::vector<EventType> types = EventCatalog().All();  // the built-in types, in catalog order
  std::cout << (markdown ? Markdown(types) : Json(types));
  return 0;
}

}  // namespace hookd
