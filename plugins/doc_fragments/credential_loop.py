# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the credential loop, shared by netraven.core.cli_command and netraven.core.fetch_config.

The ``credentials`` sub-options document ``module_utils._credential.FIELDS`` (a unit test checks
that they match); the loop's other options are ``module_utils._cli_command.argument_spec``'s.
"""
from __future__ import annotations


class ModuleDocFragment:
    """``extends_documentation_fragment: netraven.core.credential_loop``."""

    DOCUMENTATION = r"""
requirements:
  - netmiko >= 4.7.0
  - paramiko >= 3.5.0
options:
  credentials:
    description:
      - Credentials to try, in order, as returned by the P(netraven.core.credentials#lookup) lookup.
      - Defaults (through the action plugin) to that lookup for the inventory host.
    type: list
    elements: dict
    suboptions:
      name:
        description: Unique name of the credential; the metrics store counts by it.
        type: str
        required: true
      username:
        description: Login user name.
        type: str
        required: true
      password:
        description: Login password. Never returned, logged or stored.
        type: str
      ssh_key_file:
        description: Private key file (on the host the loop runs on) offered as the only key.
        type: path
      enable_secret:
        description: Secret for privileged (enable) mode, used when O(enable=true). Never returned, logged or stored.
        type: str
      priority:
        description: Order hint from the lookup (lower first); returned in RV(credential).
        type: int
        default: 100
      tags:
        description: Tags of the credential (informational).
        type: list
        elements: str
        default: []
      description:
        description: What the credential is for (informational).
        type: str
      aaa:
        description:
          - Name of the central AAA server (TACACS+/RADIUS) that checks this credential, for example
            V(tacacs-prod), when its username is a shared account of that server. Its failed logins are
            then counted fleet-wide and kept below the server's lockout threshold (host variable
            C(netraven_aaa)); an attempt the budget does not admit is V(aaa_budget_exhausted).
        type: str
      matched_tags:
        description: Tags shared with the device, as added by the lookup (informational).
        type: list
        elements: str
        default: []
  aaa:
    description:
      - "Lockout rules of the central AAA servers that credentials name in their C(aaa) field, as
        C({server: {lockout_threshold, window, headroom, wait, proven_for}}), for example
        V({tacacs-prod: {lockout_threshold: 3, window: 900}})."
      - C(lockout_threshold) (default 3) failed logins lock the account on the server;
        C(window) (seconds, default 900) is how long the server counts them; C(headroom)
        (default 1) failed logins are left for people logging in by hand; C(wait) (seconds,
        default 30) is how long an attempt waits for attempts in flight before it is skipped as
        V(aaa_budget_exhausted); C(proven_for) (seconds, default 60) is how long a recorded login
        lets the account run at full concurrency (after that, one probe first, since a login from an
        earlier run may predate a rotation). The defaults are the DISA STIG rule for Cisco ISE (3
        invalid logons in 15 minutes).
      - Each setting is checked (numbers only), C(lockout_threshold) a whole number >= 2, C(headroom) a whole
        number >= 0 leaving at least one attempt (C(lockout_threshold - 1 - headroom >= 1)),
        C(window) >= 60; an error names the server and the field.
      - Defaults (through the action plugin) to the host variable C(netraven_aaa).
    type: dict
  learn:
    description:
      - Record which credential worked on the device (the learned binding that O(order=learned) tries first).
      - V(false) still records every attempt and the credential's counters but leaves the device's binding as
        it is, as the playbook C(netraven.core.credential_audit) does.
    type: bool
    default: true
  host:
    description:
      - IP address or DNS name of the device.
      - Defaults (through the action plugin) to C(ansible_host), else the inventory hostname.
    type: str
  port:
    description:
      - SSH port of the device. Defaults (through the action plugin) to C(ansible_port).
    type: int
    default: 22
  platform:
    description:
      - Netmiko device_type of the device, for example V(cisco_ios), V(arista_eos), V(juniper_junos).
      - Defaults (through the action plugin) to the host variable C(netraven_platform), else C(ansible_network_os)
        (V(cisco.ios.ios) or V(ios) is V(cisco_ios), V(arista.eos.eos) is V(arista_eos), ...), else the NetBox platform
        slug of C(netbox.netbox.nb_inventory) (C(platforms) or C(platform), V(cisco-ios) is V(cisco_ios)), the last two
        through a platform map that the host or group variable C(netraven_platform_map) extends or overrides.
      - A host with none of these variables set, or whose values the map does not know, fails with an error naming
        the host and the variables (V(invalid_options) in P(netraven.core.fetch_config#module)). The rule and the map are
        in the guide "Using netraven.core with NetBox, Nautobot or your own inventory".
    type: str
  device:
    description:
      - Name of the device in the metrics store. Defaults to the inventory hostname (action
        plugin), else O(host).
    type: str
  max_attempts:
    description:
      - Most credentials tried on this device in this task (each password is one attempt, also
        when several share one SSH connection, see O(passwords_per_connection)).
    type: int
    default: 3
  passwords_per_connection:
    description:
      - Most passwords sent on one SSH connection. Consecutive password credentials with the same
        username are tried on one connection (RFC 4252 section 5 allows several authentication
        requests per connection), which saves the TCP and key-exchange round trips of a new
        connection; at WAN latency that is most of an attempt's time.
      - A different username, a key credential, or a connection the device closed means a fresh
        connection (servers refuse a change of username on one connection; OpenSSH C(MaxAuthTries),
        Cisco IOS C(ip ssh authentication-retries) and Junos C(tries-before-disconnect) close it
        after their limit). Each password is still one attempt, recorded with its own outcome.
      - The default 2 stays below Junos' login backoff, which delays every try after the 2nd
        failure on a connection by 5 seconds. V(1) gives every credential its own connection.
      - Lockout counters of devices and AAA servers count failed passwords, not connections, so
        sharing a connection changes no lockout budget.
    type: int
    default: 2
  attempt_delay:
    description:
      - Seconds to wait after a failed attempt before the next one.
    type: float
    default: 0
  next_on_enable_failed:
    description:
      - Move on to the next credential when login works but the enable secret is refused.
      - By default an V(enable_failed) stops, as the credential did log in.
    type: bool
    default: false
  timeouts:
    description: Timeouts in seconds.
    type: dict
    default: {}
    suboptions:
      connect:
        description: TCP connection timeout.
        type: float
        default: 10
      banner:
        description: Wait for the device's SSH banner.
        type: float
        default: 15
      auth:
        description: Wait for each answer to an authentication request; longer is V(auth_timeout).
        type: float
        default: 20
      read:
        description: Wait for the first prompt after login and for each command's output.
        type: float
        default: 30
  host_key_checking:
    description:
      - Require the device's host key to be known (C(~/.ssh/known_hosts) and O(known_hosts_file))
        and to match. When false, any host key is accepted.
      - Defaults (through the action plugin) to the C(ansible_host_key_checking) variable, else
        Ansible's C(host_key_checking) setting, else true.
    type: bool
    default: true
  known_hosts_file:
    description:
      - An extra known_hosts file (OpenSSH format, C([host]:port) entries for other ports) to
        check host keys against. It must exist.
      - Defaults (through the action plugin) to the host variable C(netraven_known_hosts_file).
    type: path
  enable:
    description:
      - Enter privileged (enable) mode with the credential's C(enable_secret) before the commands.
      - A refused secret is V(enable_failed); the login itself is still counted as a success.
      - Defaults (through the action plugin) to the host variable C(netraven_enable), else false.
    type: bool
    default: false
  login_prompts:
    description:
      - Rules answering what the device prints after authentication and before its CLI prompt
        (post-login banners, pagers, questions), tried in order before the platform's defaults.
      - Defaults (through the action plugin) to the host variable C(netraven_login_prompts), so a
        rule can be set per device or per group.
      - Legal banners are never accepted by default; accepting one (FortiGate
        C((Press 'a' to accept):)) takes a rule.
      - Answers are sent as typed and are not secret; never put a password in a rule.
    type: list
    elements: dict
    default: []
    suboptions:
      pattern:
        description:
          - Python regular expression, searched case-insensitively in the last line the device
            printed (the line where it waits).
        type: str
        required: true
      answer:
        description: Text to send when O(login_prompts[].pattern) matches; empty sends only Enter (with O(login_prompts[].newline)).
        type: str
        default: ''
      newline:
        description:
          - Send Enter (the platform's newline) after O(login_prompts[].answer).
          - V(false) for single-key answers such as a FortiGate's C(a) or a pager's space.
        type: bool
        default: true
      repeat:
        description:
          - Answer every time the pattern shows (pagers). By default a rule answers once, and a
            device that asks the same again ends the attempt with V(post_auth_interaction_failed).
        type: bool
        default: false
  command_errors:
    description:
      - Python regular expressions of the lines a device answers a command with when it refuses it
        (matched, case-insensitively, at the start of one of the first four lines of each command's output).
        A match ends the task as V(command_rejected) (the credential logged in; it is not counted against it).
      - "Default (through the action plugin, the host variable C(netraven_command_errors), else) the device
        platform's rules - Cisco C(% Invalid input), C(% Incomplete command), C(% Ambiguous command),
        C(% Unknown command); NX-OS C(% Invalid command); Junos C(unknown command), C(syntax error);
        Huawei and H3C C(Error: Unrecognized command) - and for an unknown platform all of them."
      - An empty list accepts every answer.
    type: list
    elements: str
  metrics_store:
    description:
      - Where attempts are recorded, as one URL - V(sqlite:///abs/path.db), V(json:///abs/path.json),
        V(postgresql://user@host/db), or V(none) (off). The values and what they mean are those of the
        P(netraven.core.credential_metrics#lookup) lookup's O(netraven.core.credential_metrics#lookup:metrics_store) option.
      - Default (through the action plugin) the controller's setting, resolved as for that lookup
        (variable C(netraven_metrics_store), environment E(NETRAVEN_METRICS_STORE), ini C([netraven] metrics_store)),
        else the per-user SQLite file; on a host a task is delegated to, the module falls back to
        E(NETRAVEN_METRICS_STORE) there.
      - A store that cannot be opened or written gives a warning, never a failure.
    type: str
  job_id:
    description:
      - Job identifier stored with each attempt. Defaults to AWX's C(JOB_ID) (or C(AWX_JOB_ID))
        environment variable where the loop runs.
    type: str
  credentials_var:
    description:
      - Action plugin only, when O(credentials) is not given - the variable the
        P(netraven.core.credentials#lookup) lookup reads credentials from.
    type: str
  credentials_file:
    description:
      - Action plugin only, when O(credentials) is not given - a YAML (optionally vault-encrypted)
        credentials file for the P(netraven.core.credentials#lookup) lookup.
    type: path
  order:
    description:
      - Action plugin only, when O(credentials) is not given - the lookup's order,
        V(priority) or V(learned) (the device's last working credential first).
      - Unset lets the lookup choose (V(learned) when a metrics store is configured).
    type: str
    choices: [priority, learned]
"""
