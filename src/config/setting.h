// One configuration key described once: its name, the type a file writes, whether a change
// needs a restart, a one-line doc, and how to read, write and compare it. Tables of these
// (settings_table.h for the top level and its blocks, rules_loader.h for rule actions) drive
// the loader, the /config dump, the restart check, the man page etagd.yaml(5) and the test
// that conf/etagd.yaml documents every key. The model is Redis's `standardConfig` table
// (src/config.c): a key's behaviour lives in its row, not in five places that must agree.
//
// Defaults are not restated here: they are the member initialisers of the structs in
// config.h and rule.h, and the table shows them by writing a default-constructed value. A row
// whose default is not a value (`instance_id`: hostname:pid) says so in `default_text`.
//
// Most rows are built by the typed helpers below (duration, size, count, word, on_off). Keys
// whose values have structure (listen addresses, the upstream URL, header edits) have
// hand-written readers plugged into their row, so the row stays the one description of the
// key even when the parsing is not generic.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json_writer.h"
#include "config/concat.h"
#include "config/size_and_duration.h"
#include "config/yaml_reader.h"

namespace etagd::config {

// When a changed value takes effect: on reload (SIGHUP), or only when etagd restarts
// (sockets bound, threads started, memory sized at start-up).
enum class Apply { Reload, Restart };

template <typename Target>
struct Setting {
  std::string_view name;  // the key in its block: "client_header"
  std::string type;       // as the docs show it: "duration, more than 0", "text | json"
  Apply apply = Apply::Reload;
  std::string_view doc;           // one line
  std::string_view default_text;  // shown instead of the default value when not empty
  std::string_view required;      // when not empty the key must be given; says what it is

  // Reads the value at `f` into `target`, reporting through the reader; on error the target
  // keeps its value (the default).
  std::function<void(YamlReader&, const Field&, Target&)> read;
  // Writes the value as a JSON value, in the form a config file writes it.
  std::function<void(base::JsonWriter&, const Target&)> write;
  // Whether two targets hold the same value (the restart check).
  std::function<bool(const Target&, const Target&)> same;
  // Sets the value in `to` to the one in `from`: a reload keeps the running value of a key
  // that needs a restart.
  std::function<void(Target& to, const Target& from)> copy;
};

// Where a row's value lives in its Target: a member, or a member of a member block.
template <typename Target, typename T>
struct Place {
  std::function<T&(Target&)> ref;
  T& operator()(Target& t) const { return ref(t); }
  const T& operator()(const Target& t) const { return ref(const_cast<Target&>(t)); }
};

template <typename Target, typename T>
Place<Target, T> at(T Target::*member) {
  return {[member](Target& t) -> T& { return t.*member; }};
}

template <typename Target, typename Block, typename T>
Place<Target, T> at(Block Target::*block, T Block::*member) {
  return {[block, member](Target& t) -> T& { return t.*block.*member; }};
}

// A row with the write and same of a value that compares with == and is written by `show`.
template <typename Target, typename T, typename Show>
Setting<Target> row(std::string_view name, std::string type, Apply apply, std::string_view doc,
                    Place<Target, T> place, Show show,
                    std::function<void(YamlReader&, const Field&, Target&)> read) {
  Setting<Target> s;
  s.name = name;
  s.type = std::move(type);
  s.apply = apply;
  s.doc = doc;
  s.read = std::move(read);
  s.write = [place, show](base::JsonWriter& w, const Target& t) { show(w, place(t)); };
  s.same = [place](const Target& a, const Target& b) { return place(a) == place(b); };
  s.copy = [place](Target& to, const Target& from) { place(to) = place(from); };
  return s;
}

// A duration ("250ms", "1m30s"). `positive`: 0 is refused ("must be longer than 0").
template <typename Target>
Setting<Target> duration(std::string_view name, Place<Target, Duration> place, bool positive,
                         Apply apply, std::string_view doc) {
  return row<Target>(
      name, positive ? "duration, more than 0" : "duration", apply, doc, place,
      [](base::JsonWriter& w, Duration d) { w.value(format_duration(d)); },
      [place, positive](YamlReader& r, const Field& f, Target& t) {
        std::optional<Duration> d = r.duration(f);
        if (!d) return;
        if (positive && d->count() == 0) {
          r.error(f, "must be longer than 0");
          return;
        }
        place(t) = *d;
      });
}

// A duration that may be switched off: `off` (or 0s) reads as 0 and 0 is written as `off`.
template <typename Target>
Setting<Target> duration_or_off(std::string_view name, Place<Target, Duration> place,
                                Apply apply, std::string_view doc) {
  return row<Target>(
      name, "duration, or off", apply, doc, place,
      [](base::JsonWriter& w, Duration d) {
        if (d.count() == 0) {
          w.value("off");
        } else {
          w.value(format_duration(d));
        }
      },
      [place](YamlReader& r, const Field& f, Target& t) {
        if (YamlReader::is_off(f)) {
          place(t) = Duration{0};
        } else if (std::optional<Duration> d = r.duration(f)) {
          place(t) = *d;
        }
      });
}

// A size ("512", "16KiB", "256MiB") within [min, max]; `bound_reason` explains a bound.
template <typename Target>
Setting<Target> size(std::string_view name, Place<Target, uint64_t> place, uint64_t min,
                     uint64_t max, std::string_view bound_reason, Apply apply,
                     std::string_view doc) {
  std::string type = "size";
  if (min > 0) type += concat(", at least ", format_size(min));
  if (max != UINT64_MAX) type += concat(", at most ", format_size(max));
  return row<Target>(
      name, type, apply, doc, place,
      [](base::JsonWriter& w, uint64_t n) { w.value(format_size(n)); },
      [place, min, max, bound_reason](YamlReader& r, const Field& f, Target& t) {
        std::optional<uint64_t> n = r.size(f);
        if (!n) return;
        std::string why = bound_reason.empty() ? "" : concat(" (", bound_reason, ")");
        if (*n < min) {
          r.error(f, concat("must be at least ", format_size(min), why));
        } else if (*n > max) {
          r.error(f, concat("must be at most ", format_size(max), why));
        } else {
          place(t) = *n;
        }
      });
}

// A whole number in [min, max], stored as T. `check` may refuse more ("not a power of two").
template <typename Target, typename T>
Setting<Target> count(std::string_view name, Place<Target, T> place, uint64_t min, uint64_t max,
                      Apply apply, std::string_view doc,
                      std::function<std::string(uint64_t)> check = {}) {
  return row<Target>(
      name, concat("integer, ", std::to_string(min), " to ", std::to_string(max)), apply, doc,
      place, [](base::JsonWriter& w, T n) { w.value(static_cast<uint64_t>(n)); },
      [place, min, max, check](YamlReader& r, const Field& f, Target& t) {
        std::optional<uint64_t> n = r.integer(f, min, max);
        if (!n) return;
        if (check) {
          if (std::string problem = check(*n); !problem.empty()) {
            r.error(f, std::move(problem));
            return;
          }
        }
        place(t) = static_cast<T>(*n);
      });
}

// One of a fixed set of words. When `off` is among them, `false` means the same.
template <typename Target, typename T>
Setting<Target> word(std::string_view name, Place<Target, T> place,
                     std::vector<std::pair<std::string_view, T>> words, Apply apply,
                     std::string_view doc) {
  std::string type;
  for (const auto& [w, v] : words) type += concat(type.empty() ? "" : " | ", w);
  return row<Target>(
      name, type, apply, doc, place,
      [words](base::JsonWriter& w, T value) {
        for (const auto& [text, v] : words) {
          if (v == value) {
            w.value(text);
            return;
          }
        }
        w.null();
      },
      [place, words](YamlReader& r, const Field& f, Target& t) {
        std::optional<std::string> s = r.string(f);
        if (!s) return;
        bool off = YamlReader::is_off_word(*s);
        std::vector<std::string_view> names;
        for (const auto& [text, v] : words) {
          if (*s == text || (off && text == "off")) {
            place(t) = v;
            return;
          }
          names.push_back(text);
        }
        r.error(f, YamlReader::unknown_word_message(*s, names));
      });
}

// on | off (true | false).
template <typename Target>
Setting<Target> on_off(std::string_view name, Place<Target, bool> place, Apply apply,
                       std::string_view doc) {
  return row<Target>(name, "on | off", apply, doc, place,
                     [](base::JsonWriter& w, bool b) { w.value(b); },
                     [place](YamlReader& r, const Field& f, Target& t) {
                       if (std::optional<bool> v = r.on_off(f)) place(t) = *v;
                     });
}

// A row whose reading is hand-written; it is written and compared through `place`.
template <typename Target, typename T, typename Show>
Setting<Target> custom(std::string_view name, std::string type, Apply apply, std::string_view doc,
                       Place<Target, T> place, Show show,
                       std::function<void(YamlReader&, const Field&, Target&)> read) {
  return row<Target>(name, std::move(type), apply, doc, place, show, std::move(read));
}

// The value a row holds in `target` as compact JSON: "\"10s\"", "[\"127.0.0.1:8081\"]", "4".
template <typename Target>
std::string value_json(const Setting<Target>& s, const Target& target) {
  base::JsonWriter w;
  s.write(w, target);
  return w.str();
}

// The value a row holds in `target`, as one line of text: "10s", "X-Cache", "[]", "off".
template <typename Target>
std::string value_text(const Setting<Target>& s, const Target& target) {
  std::string json = value_json(s, target);
  if (json.size() >= 2 && json.front() == '"' && json.back() == '"' &&
      json.find('"', 1) == json.size() - 1 && json.find('\\') == std::string::npos) {
    return json.substr(1, json.size() - 2);
  }
  return json;
}

}  // namespace etagd::config
