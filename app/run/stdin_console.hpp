// vfw run's console: the VRP CLI on standard input, its output on standard output, a question
// (save) answered by the next line; a command that goes on over time (ping) stepped while the
// daemon goes on carrying packets. The end of input leaves the device running.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/streambuf.hpp>
#include <functional>
#include <string>

#include "cli/line_runner.hpp"
#include "device/device.hpp"

namespace vfw {

class StdinConsole {
 public:
  // pump: after each line and step, what the device queued goes out.
  StdinConsole(boost::asio::io_context& io, Device& device, std::function<void()> pump,
               const std::string& save_path);
  void start();

 private:
  void prompt();
  void read();
  void step();

  boost::asio::io_context& io_;
  std::function<void()> pump_;
  LineRunner runner_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::streambuf buffer_;
};

}  // namespace vfw
