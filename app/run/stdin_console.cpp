#include "app/run/stdin_console.hpp"

#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <iostream>
#include <memory>

namespace vfw {

namespace asio = boost::asio;

StdinConsole::StdinConsole(asio::io_context& io, Device& device, std::function<void()> pump,
                           const std::string& save_path)
    : io_(io), pump_(std::move(pump)), runner_(device), input_(io) {
  runner_.ctx.save_path = save_path;
}

void StdinConsole::start() {
  input_.assign(::dup(STDIN_FILENO));
  prompt();
  read();
}

void StdinConsole::prompt() {
  std::cout << runner_.ctx.prompt() << std::flush;
}

void StdinConsole::read() {
  asio::async_read_until(input_, buffer_, '\n',
                         [this](const boost::system::error_code& ec, size_t) {
                           if (ec) return;  // end of input: the device keeps running
                           std::istream in(&buffer_);
                           std::string line;
                           std::getline(in, line);
                           const LineOutput r = runner_.run(line, runner_.ctx.prompt().size());
                           std::cout << r.out;
                           std::cerr << r.err;
                           pump_();
                           if (r.running) return step();
                           if (runner_.ctx.finished()) return;
                           // A question (save) is answered by the next line.
                           if (!r.question.empty())
                             std::cout << r.question << std::flush;
                           else
                             prompt();
                           read();
                         });
}

// The command that goes on over time (ping), stepped as the socket's are.
void StdinConsole::step() {
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(5));
  timer->async_wait([this, timer](const boost::system::error_code& ec) {
    if (ec) return;
    std::cout << runner_.step().out << std::flush;
    pump_();
    if (runner_.running()) return step();
    prompt();
    read();
  });
}

}  // namespace vfw
