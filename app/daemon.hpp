// vfw run: the device as a daemon on Boost.Asio, one io_context. With --bind, the device owns
// Linux interfaces through AF_PACKET: it answers ARP and ping, forwards every frame through the
// pipeline (sessions, NAT, policy, IPSec to and from real peers) and speaks IKE on them, as a
// firewall in a VM does (docs/vm.md). Without, IKE listens on UDP 500 and 4500 on the addresses
// of the device's interfaces that this host holds; ESP in UDP arriving on 4500 is decrypted by
// the data plane and shown; packets that leave in a tunnel (packet-trace on the running device)
// are really sent, UDP-encapsulated, through the 4500 socket. The VRP CLI runs
// on standard input and on a local socket (vfw cli --connect). Logs, in the device's style, go
// to standard error. SIGTERM and SIGINT stop it cleanly: the peers are told (INFORMATIONAL
// delete) before it exits.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "app/run/cli_socket.hpp"  // connect_cli and default_socket_path, for main
#include "device/device.hpp"

namespace vfw {

struct DaemonOptions {
  // --bind GigabitEthernet0/0/1=eth1: the device's interface on that Linux interface, whole
  // frames through AF_PACKET (netio/). With any, every packet and IKE use the bound interfaces.
  std::vector<std::pair<std::string, std::string>> binds;
  // --dataplane kernel: the Linux kernel forwards between the bound interfaces, with the
  // configuration as nftables (app/kernel_dataplane.hpp); vfw keeps the CLI, displays and IKE.
  bool kernel_dataplane = false;
  std::string socket_path;  // the CLI's local socket; "" for none
  bool terminal = true;     // read CLI lines from standard input
  bool debug = false;       // log at debug level: IKE's keys, for Wireshark
  // --log-host ADDRESS[:PORT]: the log lines also go there as syslog over UDP (app/log_host.hpp)
  std::string log_host;
  std::string save_path = "vrpcfg.cfg";  // where `save` without a file name writes
  // The VRP CLI over SSH on the device's addresses that this host holds on interfaces not bound
  // (the management interface; manage/ssh_server.hpp). 0: no SSH.
  uint16_t ssh_port = 22;
  std::string ssh_host_key;  // "": $VFW_SSH_HOST_KEY, else ~/.config/vfw/ssh_host_ed25519_key
  // --manage-interface LINUX: the Linux interface that is the device's management port
  // (GigabitEthernet0/0/0) whatever address it has: a container's eth0, whose address
  // containerlab gives. SSH answers on its addresses as on GigabitEthernet0/0/0's.
  std::string manage_interface;
  // --keys DIR: Wireshark's esp_sa, ikev2_decryption_table and ikev1_decryption_table kept there
  // as SAs come and go (device/wireshark_tables.hpp); "" for none.
  std::string keys_dir;
};

// Where the SSH host key is kept unless --ssh-host-key says.
std::string default_ssh_host_key_path();

// Returns the exit status (0 after a clean stop).
// Removes what a save interrupted by kill -9 left beside the configuration at path
// (`path.tmp-XXXXXX`, cli/atomic_file.hpp's temporary names); vfw run does it when it starts.
void remove_interrupted_saves(const std::string& path);
int run_daemon(Device& device, const DaemonOptions& options);

}  // namespace vfw
