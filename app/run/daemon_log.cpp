#include "app/run/daemon_log.hpp"

#include <ctime>
#include <iostream>

#include "app/log_host.hpp"
#include "device/log_buffer.hpp"
#include "packet/packet.hpp"

namespace vfw {

namespace asio = boost::asio;
using asio::ip::udp;

void DaemonLog::line(const std::string& raw) {
  const std::string line = log_safe(raw);
  device_.log(line);
  std::cerr << device_.timestamp() << device_.config().sysname << " " << line << "\n" << std::flush;
  to_host(line);
}

// A log host that is not there loses the record, as UDP does.
void DaemonLog::to_host(const std::string& line) {
  if (!host_) return;
  const auto message = syslog_message(line, device_.config().sysname, std::time(nullptr));
  if (!message) return;
  boost::system::error_code ec;
  host_->send_to(asio::buffer(*message), host_at_, 0, ec);
}

Status DaemonLog::open_host(const std::string& spec) {
  const size_t colon = spec.find(':');
  const auto address = parse_ipv4(spec.substr(0, colon));
  unsigned long port = 514;
  if (colon != std::string::npos) {
    const std::string digits = spec.substr(colon + 1);
    port = digits.empty() || digits.size() > 5 ||
                   digits.find_first_not_of("0123456789") != std::string::npos
               ? 0
               : std::stoul(digits);
  }
  if (!address || port == 0 || port > 65535) return fail(spec + " is not ADDRESS[:PORT]");
  host_at_ = udp::endpoint(asio::ip::address_v4(address->v), static_cast<uint16_t>(port));
  auto socket = std::make_unique<udp::socket>(io_);
  boost::system::error_code ec;
  socket->open(udp::v4(), ec);
  if (ec) return fail(ec.message());
  host_ = std::move(socket);
  return {};
}

void DaemonLog::flush() {
  for (const auto& raw : device_.ike().take_log()) {
    const std::string line = log_safe(raw);  // identities and notifications come from outside
    device_.log(line);
    std::cerr << line << "\n";
    to_host(line);
  }
  std::cerr << std::flush;
  // debugging ikev2 error / ipsec error: on the terminal, as the device prints them.
  for (const auto& line : device_.ike().take_debug()) std::cout << "\n" << line << "\n";
  std::cout << std::flush;
}

}  // namespace vfw
