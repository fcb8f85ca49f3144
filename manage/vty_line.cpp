#include "manage/vty_line.hpp"

namespace vfw::manage {
namespace {

void erase_chars(size_t n, std::string& echo) {
  for (size_t i = 0; i < n; ++i) echo += "\b \b";
}

}  // namespace

void VtyLine::end_line(std::optional<VtyEvent>& event, std::string& echo) {
  echo += "\r\n";
  if (typed_.find_first_not_of(' ') != std::string::npos) {
    if (history_.empty() || history_.back() != typed_) history_.push_back(typed_);
    if (history_.size() > kHistory) history_.pop_front();
  }
  history_at_ = history_.size();
  event = VtyEvent{VtyEvent::Kind::Line, std::move(typed_)};
  typed_.clear();
}

void VtyLine::show_history(size_t index, std::string& echo) {
  history_at_ = index;
  replace_typed(index < history_.size() ? history_[index] : std::string(), echo);
}

void VtyLine::replace_typed(const std::string& text, std::string& echo) {
  erase_chars(typed_.size(), echo);
  typed_ = text.substr(0, max_length_);
  echo += typed_;
}

size_t VtyLine::feed(std::span<const uint8_t> bytes, std::string& echo,
                     std::optional<VtyEvent>& event) {
  size_t taken = 0;
  for (const uint8_t b : bytes) {
    if (event) break;
    ++taken;
    const bool was_cr = after_cr_;
    after_cr_ = false;
    if (escape_ == Escape::Started) {
      escape_ = (b == '[' || b == 'O') ? Escape::Csi : Escape::None;
      continue;
    }
    if (escape_ == Escape::Csi) {
      if (b >= 0x40 && b <= 0x7e) {  // the final byte of the sequence
        escape_ = Escape::None;
        if (b == 'A' && history_at_ > 0) show_history(history_at_ - 1, echo);
        if (b == 'B' && history_at_ < history_.size()) show_history(history_at_ + 1, echo);
      }
      continue;
    }
    switch (b) {
      case '\r':
        after_cr_ = true;
        end_line(event, echo);
        break;
      case '\n':
        if (!was_cr) end_line(event, echo);  // CR LF is one end of line
        break;
      case 0x7f:
      case '\b':
        if (!typed_.empty()) {
          typed_.pop_back();
          erase_chars(1, echo);
        }
        break;
      case 0x15:  // Ctrl+U
        erase_chars(typed_.size(), echo);
        typed_.clear();
        break;
      case 0x03:  // Ctrl+C
        echo += "\r\n";
        typed_.clear();
        history_at_ = history_.size();
        event = VtyEvent{VtyEvent::Kind::Cancel, {}};
        break;
      case 0x1a:  // Ctrl+Z
        echo += "\r\n";
        typed_.clear();
        history_at_ = history_.size();
        event = VtyEvent{VtyEvent::Kind::ToUserView, {}};
        break;
      case 0x10:  // Ctrl+P
        if (history_at_ > 0) show_history(history_at_ - 1, echo);
        break;
      case 0x0e:  // Ctrl+N
        if (history_at_ < history_.size()) show_history(history_at_ + 1, echo);
        break;
      case '\t':
        event = VtyEvent{VtyEvent::Kind::Complete, typed_};
        break;
      case '?':
        echo += "?";
        event = VtyEvent{VtyEvent::Kind::Help, typed_ + "?"};
        break;
      case 0x1b:
        escape_ = Escape::Started;
        break;
      default:
        if (b < 0x20) break;  // other control characters do nothing
        if (typed_.size() >= max_length_) {
          echo += "\a";
          break;
        }
        typed_ += static_cast<char>(b);
        echo += static_cast<char>(b);
        break;
    }
  }
  return taken;
}

}  // namespace vfw::manage
