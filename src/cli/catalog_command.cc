// `hookd catalog`: the built-in event types by category, each with its example `data` (what `hookd trigger` sends),
// as JSON, or with --markdown as the event catalog section of docs/integration-guide.md (a test holds the guide to
// it, so the two never drift).
#include <iostream>

#include "cli/commands.h"
#include "common/json.h"
#include "domain/catalog.h"
#include "domain/event_examples.h"

namespace hookd {
namespace {

// `v` as JSON: nested values below `flat_depth` on one line each (`{"a": 1, "b": 2}`), the rest indented by two.
void AppendIndented(std::string& out, const json::value& v, int depth, int flat_depth) {
  const bool flat = depth >= flat_depth;
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
      AppendIndented(out, it->value(), depth + 1, flat_depth);
      out += std::next(it) == o->end() ? open_break : separator;
    }
    out += close + "}";
  } else if (const json::array* a = v.if_array(); a && !a->empty()) {
    out += "[";
    out += open_break;
    for (size_t i = 0; i < a->size(); ++i) {
      out += pad;
      AppendIndented(out, (*a)[i], depth + 1, flat_depth);
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
    out += "\n```\n";
  }
  return out;
}

std::string Json(const std::vector<EventType>& types) {
  json::array categories;
  for (const EventType& t : types) {
    if (categories.empty() || categories.back().at("name").as_string() != t.category) {
      categories.push_back(json::object{{"name", t.category}, {"events", json::array{}}});
    }
    categories.back().as_object()["events"].as_array().push_back(json::object{
        {"type", t.type}, {"description", t.description}, {"example", ParseJsonOrNull(ExamplePayload(t.type))}});
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
