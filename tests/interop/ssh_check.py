#!/usr/bin/env python3
"""An administrator's side of vfw run's SSH, from another machine (a namespace):
  ssh_check.py netmiko HOST USER PASSWORD  Netmiko's Huawei driver, unchanged: login, display
                                           current-configuration, configuration lines, save; prints
                                           what it saw, exits 1 when something is missing
  ssh_check.py guess HOST USER COUNT       COUNT logins with wrong passwords, then one with the
                                           password given in $RIGHT_PASSWORD; prints each outcome
                                           (authentication-failed, refused, logged-in)
Debian's python3-netmiko and python3-paramiko."""
import logging
import os
import sys

import paramiko
from netmiko import ConnectHandler

logging.getLogger("paramiko").setLevel(logging.CRITICAL)


def netmiko(host, user, password):
    c = ConnectHandler(device_type="huawei", host=host, username=user, password=password)
    prompt = c.find_prompt()
    shown = c.send_command("display current-configuration")
    out = c.send_config_set(["ip route-static 10.8.0.0 255.255.0.0 1.1.1.2"])
    saved = c.save_config(confirm=True, confirm_response="y")
    route = c.send_command("display ip routing-table")
    c.disconnect()
    ok = (prompt.startswith("<") and "sysname" in shown and "Error" not in out
          and "successfully" in saved and "10.8.0.0/16" in route)
    print(f"prompt={prompt} config-lines={shown.count(chr(10))} saved={'successfully' in saved} "
          f"route={'10.8.0.0/16' in route}")
    return 0 if ok else 1


def attempt(host, user, password):
    c = paramiko.SSHClient()
    c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    try:
        c.connect(host, username=user, password=password, look_for_keys=False, allow_agent=False,
                  timeout=5, banner_timeout=5, auth_timeout=5)
        return "logged-in"
    except paramiko.AuthenticationException:
        return "authentication-failed"
    except (paramiko.SSHException, OSError, EOFError):
        return "refused"
    finally:
        c.close()


def guess(host, user, count):
    for i in range(int(count)):
        print(attempt(host, user, f"guess-{i}"))
    print(attempt(host, user, os.environ["RIGHT_PASSWORD"]))
    return 0


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    sys.exit(netmiko(*args) if mode == "netmiko" else guess(*args))
