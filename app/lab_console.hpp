// The lab's console: the VRP CLI of the attached firewall, each firewall keeping its own view
// and prompt, plus lab commands that no VRP command starts with:
//
//   lab list                                   the nodes and links
//   lab attach NAME                            the console moves to that firewall
//   lab ping HOST DEST [count N] [size N] [df] a host's ping, as Linux prints it
//   lab trace HOST DEST [protocol P] [port N] [json]   one packet hop by hop, then its reply
//   lab clock advance SECONDS                  the simulated clock (IKE's timers, lifetimes)
//   lab link down|up NODE:INTERFACE            a link goes down or comes back
//   lab fault list|inject NAME|reveal|clear    the seed's faults, to find (app/lab_faults.hpp)
//   lab export DIR                             the lab's files, to start from (built-in lab)
//
// Script mode as in the CLI: lines from a stream, output on standard output, errors on standard
// error with the line's number, exit status 1 when a line failed.
#pragma once

#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "lab/lab.hpp"

namespace vfw {

struct LabConsoleOptions {
  std::string attach;  // the firewall the console starts on ("" the first)
  // The lab's files by the names its topology gives them, for `lab export` (topology first).
  std::string topology_text;
  std::map<std::string, std::string> files;
  // The lab's clock also moves with the wall clock between lines (timers, lifetimes and session
  // aging happen while the user reads); without it, only lab commands move it.
  bool wall_clock = false;
  // Makes the lab again as it started, for `lab fault clear`.
  std::function<std::unique_ptr<lab::Lab>()> remake;
};

// Tab on a lab command: the words that may come next where the last word of typed is being
// typed (the subcommands, then node names, hosts, link ends, fault names), those that start with
// it. Empty when typed is not a lab command.
std::vector<std::string> lab_completions(lab::Lab& lab, const std::string& typed);

int run_lab_script(lab::Lab& lab, const LabConsoleOptions& options, std::istream& in,
                   std::ostream& out, std::ostream& err);

// Interactive, on the terminal: the CLI's line editing, `?`, Tab and paging, the prompt the
// attached firewall's.
int run_lab_terminal(lab::Lab& lab, const LabConsoleOptions& options);

}  // namespace vfw
