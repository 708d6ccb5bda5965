#include "control/commands.hpp"

#include <boost/json/parse.hpp>
#include <stdexcept>

#include "control/protocol.hpp"

namespace taskmux::control {
namespace {

/// Holds the one reply of a command that answers at once.
class captured final : public responder {
 public:
  void answer_text(std::string line) override {
    if (!reply_) reply_ = boost::json::parse(line).as_object();
  }
  void stream(boost::json::object header) override { answer(header); }
  void more(std::string_view) override {}
  void end() override {}
  void on_gone(std::function<void()>) override {}
  bool is_gone() const override { return false; }

  std::optional<boost::json::object> reply_;
};

}  // namespace

std::vector<std::string> task_names(const boost::json::object& request) {
  std::vector<std::string> names;
  if (auto* t = request.if_contains("tasks"); t && t->is_array())
    for (auto& v : t->as_array())
      if (v.is_string()) names.emplace_back(v.as_string());
  return names;
}

void commands::add(std::string name, handler h) {
  add_async(std::move(name), [h = std::move(h)](const boost::json::object& request, std::shared_ptr<responder> r) {
    r->answer(h(request));
  });
}

void commands::add_async(std::string name, async_handler h) {
  for (auto& [n, existing] : table_)
    if (n == name) {
      existing = std::move(h);
      return;
    }
  table_.emplace_back(std::move(name), std::move(h));
}

const commands::async_handler* commands::find(std::string_view name) const {
  for (auto& [n, h] : table_)
    if (n == name) return &h;
  return nullptr;
}

std::vector<std::string> commands::names() const {
  std::vector<std::string> out;
  for (auto& entry : table_) out.push_back(entry.first);
  return out;
}

std::optional<boost::json::object> commands::refuse(const boost::json::object& request,
                                                    const async_handler*& h) const {
  auto* command = request.if_contains("command");
  if (!command || !command->is_string()) return error("request has no \"command\"", 2);
  std::string_view name = command->as_string();
  h = find(name);
  if (h) return std::nullopt;
  std::string supported;
  for (auto& n : names()) supported += (supported.empty() ? "" : ", ") + n;
  return error("unknown command \"" + std::string(name) + "\" (this taskmux supports: " + supported + ")", 2);
}

void commands::dispatch(const boost::json::object& request, const std::shared_ptr<responder>& r) const {
  const async_handler* h = nullptr;
  if (auto refused = refuse(request, h)) return r->answer(std::move(*refused));
  try {
    (*h)(request, r);
  } catch (const std::invalid_argument& e) {
    r->answer(error(e.what(), 2));
  } catch (const std::exception& e) {
    r->answer(error("unable to " + std::string(request.at("command").as_string()) + ": " + e.what(), 1));
  }
}

boost::json::object commands::dispatch(const boost::json::object& request) const {
  auto r = std::make_shared<captured>();
  dispatch(request, r);
  return r->reply_ ? std::move(*r->reply_) : error("the command did not answer at once", 1);
}

}  // namespace taskmux::control
