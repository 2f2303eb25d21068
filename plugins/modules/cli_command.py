#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netraven.core contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module netraven.core.cli_command: log in with the first working credential, run CLI commands."""
from __future__ import annotations

DOCUMENTATION = r"""
module: cli_command
short_description: Run CLI commands on a network device with the first credential that works
version_added: 0.1.0
description:
  - Tries the given credentials in order, one fresh SSH connection (netmiko over paramiko) per
    credential, stops at the first that logs in, and runs O(commands) with it.
  - Every attempt is classified by what actually happened into one outcome word
    (V(success), V(auth_rejected), V(enable_failed), V(auth_method_unsupported), V(auth_timeout),
    V(unreachable), V(ssh_negotiation_failed), V(hostkey_mismatch), V(password_expired),
    V(locked_out), V(post_auth_interaction_failed), V(command_failed), V(command_timeout)) and
    written to the metrics store.
  - Only V(auth_rejected) and V(auth_method_unsupported) (and V(enable_failed) with
    O(next_on_enable_failed)) move on to the next credential. A device problem
    (V(unreachable), V(ssh_negotiation_failed), V(auth_timeout), V(password_expired),
    V(locked_out), V(post_auth_interaction_failed)) stops at once, and a V(hostkey_mismatch)
    stops before any secret is sent.
  - "After authentication, what the device prints before its CLI prompt is answered by rule:
    O(login_prompts) first, then the defaults shipped for every platform (a pager such as
    C(--More--) gets a space, C(Press any key to continue) gets Enter, a password-change
    question such as C(Change now? [Y/N]) gets C(N); a device that insists is V(password_expired))."
  - A question no rule answers, or the device closing the session after an answer, is
    V(post_auth_interaction_failed) - the credential logged in, so it is not counted against
    it, and the loop stops because the next credential would meet the same question. The
    attempt's message quotes the device's last line (secrets redacted). A newline is sent
    unasked only when the device has printed nothing a rule or a CLI prompt pattern recognises
    and has been silent for 3 seconds; never as the answer to a question.
  - "Lockout guard: at most O(max_attempts) connections per device per task, O(attempt_delay)
    seconds after each failed attempt, password credentials never offer SSH agent or
    C(~/.ssh) keys, key credentials offer exactly their key, and a credential that repeats an
    earlier one (same name, or same username and secret) is never offered again."
  - For hosts of the P(netraven.core.devices#inventory) inventory a task needs only O(commands); the action
    plugin of the same name fills O(host), O(port), O(platform), O(device), O(login_prompts) and
    O(credentials) from the host's variables and the P(netraven.core.credentials#lookup) lookup. Options given in the
    task always win.
  - The module runs where the task runs (the controller with C(connection=local), or a
    C(delegate_to) jump host); that host needs the Python packages netmiko and paramiko.
author: netraven.core contributors (@netraven)
requirements:
  - netmiko >= 4.7.0
  - paramiko >= 3.5.0
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: partial
    details: >-
      In check mode the module still logs in (a credential probe, with enable when O(enable) is
      true) and records the attempts in the metrics store, because they really happened on the
      device; it does not send O(commands). RV(stdout) is then empty.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
notes:
  - Secrets never appear in the result, the metrics store or messages; exception texts are
    redacted of every credential's secrets before they are returned or stored.
  - A userauth banner containing the word C(locked) or C(lockout) marks a rejection as
    V(locked_out) (the loop stops). A login banner that always warns about locking accounts
    therefore stops the loop at the first rejection; that errs on the side of fewer attempts.
  - A keyboard-interactive-only device is answered with the password (paramiko's single-prompt
    fallback); its refusal counts as V(auth_rejected).
  - With O(host_key_checking=true), a device whose key is not in C(~/.ssh/known_hosts) or
    O(known_hosts_file) is treated like a changed key (V(hostkey_mismatch)), and nothing is sent.
    The module never writes to a known_hosts file.
  - Outputs are returned as the device printed them; the module does not interpret error text
    such as C(% Invalid input).
options:
  commands:
    description:
      - CLI commands to run, in order, with the credential that logged in.
      - Empty (the default) authenticates only, a credential probe.
      - The alias O(command) takes one command as a string, as in C(ansible.netcommon.cli_command).
    type: list
    elements: str
    default: []
    aliases: [command]
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
        description: Private key file (on the host the module runs on) offered as the only key.
        type: path
      enable_secret:
        description: Secret for privileged (enable) mode, used when O(enable=true).
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
      matched_tags:
        description: Tags shared with the device, as added by the lookup (informational).
        type: list
        elements: str
        default: []
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
      - Defaults (through the action plugin) to C(netraven_platform).
    type: str
  device:
    description:
      - Name of the device in the metrics store. Defaults to the inventory hostname (action
        plugin), else O(host).
    type: str
  max_attempts:
    description:
      - Most connections (credentials) tried on this device in this task.
    type: int
    default: 3
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
    type: path
  enable:
    description:
      - Enter privileged (enable) mode with the credential's C(enable_secret) before the commands.
      - A refused secret is V(enable_failed); the login itself is still counted as a success.
    type: bool
    default: false
  metrics_store:
    description:
      - Where attempts are recorded; a URL V(json:///path), V(sqlite:///path) or
        V(postgresql://user@host:port/db), V(none) to disable.
      - Unset means the per-user default SQLite file
        C(~/.local/share/netraven/metrics.db) (C($XDG_DATA_HOME) honoured).
      - A store that cannot be opened or written gives a warning, never a failure.
      - Through the action plugin the default is the controller's setting, resolved like the
        P(netraven.core.credential_metrics#lookup) lookup's O(metrics_store) (variable
        C(netraven_metrics_store), environment C(NETRAVEN_METRICS_STORE), ini C([netraven] metrics_store)).
      - The module itself falls back to E(NETRAVEN_METRICS_STORE) where it runs.
    type: str
  job_id:
    description:
      - Job identifier stored with each attempt; AWX sets C(JOB_ID)/C(AWX_JOB_ID).
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
seealso:
  - plugin: netraven.core.credentials
    plugin_type: lookup
  - plugin: netraven.core.devices
    plugin_type: inventory
"""

EXAMPLES = r"""
# The module connects to the device itself (netmiko), so plays run it on the controller:
#   - hosts: all
#     connection: local
#     gather_facts: false
#     vars:
#       ansible_python_interpreter: "{{ ansible_playbook_python }}"   # the Python that has netmiko
# Inventory from netraven.core.devices: host, port, platform and credentials come from hostvars
# and the netraven.core.credentials lookup; a task needs only the commands.
- name: Read the running-config
  netraven.core.cli_command:
    commands:
      - show running-config
  register: config

- name: Print which credential worked (never its secret)
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }}: {{ config.credential.name }} after {{ config.attempts | length }} attempt(s)"

# Everything explicit: the module alone, for example delegated to a jump host that has netmiko.
- name: Show version through the jump host
  netraven.core.cli_command:
    host: 10.0.0.1
    port: 22
    platform: cisco_ios
    device: core-sw-01
    credentials: "{{ lookup('netraven.core.credentials', inventory_hostname) }}"
    commands: [show version]
    enable: true
    max_attempts: 2
    attempt_delay: 2
    timeouts: {connect: 5, auth: 10, read: 60}
    known_hosts_file: /etc/netraven/known_hosts
    metrics_store: postgresql://netraven@db.example.net/netraven
  delegate_to: jump01

# Post-login banners and questions: usually set as the host or group variable
# netraven_login_prompts; given in the task here. A FortiGate with post-login-banner enabled
# waits at "(Press 'a' to accept):" for the single key "a" and closes the session on any other.
- name: Read a FortiGate's configuration past its post-login banner
  netraven.core.cli_command:
    commands: [show full-configuration]
    login_prompts:
      - pattern: "Press 'a' to accept"
        answer: a
        newline: false

# The probe pattern for people who keep ansible.netcommon / cisco.ios modules: find the working
# credential once, then let network_cli log in with it.
- name: Find the credential that works (no commands = probe only)
  netraven.core.cli_command:
  register: probe

- name: Hand the working credential to network_cli
  ansible.builtin.set_fact:
    ansible_user: "{{ (cred | first).username }}"
    ansible_password: "{{ (cred | first).password }}"
  vars:
    cred: "{{ lookup('netraven.core.credentials', inventory_hostname) | selectattr('name', '==', probe.credential.name) }}"
  no_log: true

- name: From here on, ansible.netcommon.network_cli uses that credential
  cisco.ios.ios_command:
    commands: [show clock]
  vars:
    ansible_connection: ansible.netcommon.network_cli
    ansible_network_os: cisco.ios.ios

# Check mode: verify which credential works on every device without sending any command.
# ansible-playbook -i netraven.yml verify.yml --check
"""

RETURN = r"""
outcome:
  description: Outcome word of the last attempt (V(success) when a credential logged in and all commands ran).
  returned: always
  type: str
  sample: success
credential:
  description:
    - The credential that logged in (also for V(enable_failed), V(post_auth_interaction_failed) and command failures), or null.
    - Never a secret.
  returned: always
  type: dict
  contains:
    name:
      description: Credential name.
      type: str
    username:
      description: Login user name.
      type: str
    priority:
      description: Priority of the credential.
      type: int
  sample: {name: cisco_admin, username: admin, priority: 10}
attempts:
  description: One item per connection made, in order.
  returned: always
  type: list
  elements: dict
  contains:
    credential:
      description: Credential name.
      type: str
    username:
      description: Login user name.
      type: str
    outcome:
      description: Outcome word of this attempt.
      type: str
    elapsed_ms:
      description: Duration of the attempt in milliseconds.
      type: int
    message:
      description: What happened, with the original exception class; secrets redacted.
      type: str
    phase:
      description: Where the attempt ended - V(connect), V(cli), V(enable), V(commands) or V(done).
      type: str
    exception:
      description: Class name of the exception netmiko raised, or null.
      type: str
    cause:
      description: Class name of the underlying (paramiko or socket) exception, or null.
      type: str
  sample:
    - {credential: old_admin, username: admin, outcome: auth_rejected, elapsed_ms: 412, phase: connect,
       exception: NetmikoAuthenticationException, cause: AuthenticationException,
       message: "the device rejected this credential (AuthenticationException: Authentication failed.)"}
    - {credential: cisco_admin, username: admin, outcome: success, elapsed_ms: 1290, phase: done,
       exception: null, cause: null, message: logged in}
not_tried:
  description: Credentials not tried, with the reason (duplicate, max_attempts reached).
  returned: always
  type: list
  elements: dict
  sample: [{credential: backup_admin, reason: max_attempts (2) reached}]
stdout:
  description: Output of each command, in order (empty in check mode or when no command ran).
  returned: always
  type: list
  elements: str
  sample: ["Building configuration...\n..."]
stdout_lines:
  description: RV(stdout) split into lines.
  returned: always
  type: list
  elements: list
device:
  description: Device name used in the metrics store.
  returned: always
  type: str
  sample: core-sw-01
"""

import logging
import os

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.netraven.core.plugins.module_utils import _attempts, _login_prompts
from ansible_collections.netraven.core.plugins.module_utils import _outcomes as O
from ansible_collections.netraven.core.plugins.module_utils._metrics_store import open_store

CREDENTIAL_SPEC = dict(
    name=dict(type="str", required=True),
    username=dict(type="str", required=True),
    password=dict(type="str", no_log=True),
    ssh_key_file=dict(type="path", no_log=False),
    enable_secret=dict(type="str", no_log=True),
    priority=dict(type="int", default=100),
    tags=dict(type="list", elements="str", default=[]),
    matched_tags=dict(type="list", elements="str", default=[]),
)
TIMEOUTS_SPEC = dict(
    connect=dict(type="float", default=10.0),
    banner=dict(type="float", default=15.0),
    auth=dict(type="float", default=20.0),
    read=dict(type="float", default=30.0),
)
LOGIN_PROMPT_SPEC = dict(
    pattern=dict(type="str", required=True),
    answer=dict(type="str", default="", no_log=False),
    newline=dict(type="bool", default=True),
    repeat=dict(type="bool", default=False),
)
ARGUMENT_SPEC = dict(
    commands=dict(type="list", elements="str", default=[], aliases=["command"]),
    credentials=dict(type="list", elements="dict", options=CREDENTIAL_SPEC),
    host=dict(type="str"),
    port=dict(type="int", default=22),
    platform=dict(type="str"),
    device=dict(type="str"),
    max_attempts=dict(type="int", default=3),
    attempt_delay=dict(type="float", default=0.0),
    next_on_enable_failed=dict(type="bool", default=False),
    timeouts=dict(type="dict", default={}, options=TIMEOUTS_SPEC),
    login_prompts=dict(type="list", elements="dict", default=[], options=LOGIN_PROMPT_SPEC),
    host_key_checking=dict(type="bool", default=True, no_log=False),
    known_hosts_file=dict(type="path"),
    enable=dict(type="bool", default=False),
    metrics_store=dict(type="str", no_log=True, fallback=(env_fallback, ["NETRAVEN_METRICS_STORE"])),  # a PostgreSQL URL may hold a password
    job_id=dict(type="str", fallback=(env_fallback, ["JOB_ID", "AWX_JOB_ID"])),
    credentials_var=dict(type="str"),
    credentials_file=dict(type="path"),
    order=dict(type="str", choices=["priority", "learned"]),
)


def validate(module: AnsibleModule) -> None:
    """Fail with a message naming the field for input the loop cannot use."""
    params = module.params
    for field in ("host", "platform"):
        if not params[field]:
            module.fail_json(msg=f"{field} is required (the action plugin fills it from hostvars for netraven.core.devices hosts)")
    if params["platform"] not in _attempts.platforms():
        module.fail_json(msg=f"platform {params['platform']!r} is not a netmiko device_type")
    if not 1 <= params["port"] <= 65535:
        module.fail_json(msg=f"port {params['port']} is not between 1 and 65535")
    if params["max_attempts"] < 1:
        module.fail_json(msg="max_attempts must be at least 1")
    if params["attempt_delay"] < 0:
        module.fail_json(msg="attempt_delay must not be negative")
    if any(value is not None and value <= 0 for value in params["timeouts"].values()):
        module.fail_json(msg="timeouts must be positive numbers of seconds")
    if params["known_hosts_file"] and not os.path.isfile(params["known_hosts_file"]):
        module.fail_json(msg=f"known_hosts_file {params['known_hosts_file']} does not exist")
    for cred in params["credentials"] or []:
        if not cred.get("password") and not cred.get("ssh_key_file"):
            module.fail_json(msg=f"credential {cred['name']!r} has neither password nor ssh_key_file")
    try:
        _login_prompts.parse_rules(params["login_prompts"])
    except ValueError as exc:
        module.fail_json(msg=f"{params['device'] or params['host']}: {exc}")


def open_metrics(module: AnsibleModule):
    """The metrics store of O(metrics_store), or None (disabled, or a warning was given)."""
    try:
        return open_store(module.params["metrics_store"], warn=module.warn)
    except Exception as exc:  # noqa: BLE001 - a store problem never fails the device's job
        module.warn(f"metrics store not available, attempts are not recorded: {exc}")
        return None


def main() -> None:
    """Entry point: validate, run the credential loop, record attempts, return the result."""
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if _attempts.IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("netmiko and paramiko"), exception=str(_attempts.IMPORT_ERROR))
    logging.getLogger("paramiko").addHandler(logging.NullHandler())  # no transport tracebacks on stderr
    validate(module)

    params = module.params
    device = params["device"] or params["host"]
    credentials = params["credentials"] or []
    secrets = _attempts.secrets_of(credentials)
    target = _attempts.Target(
        host=params["host"], port=params["port"], platform=params["platform"],
        host_key_checking=params["host_key_checking"], known_hosts_file=params["known_hosts_file"],
        enable=params["enable"], login_prompts=_login_prompts.parse_rules(params["login_prompts"]),
    )
    store = open_metrics(module)

    def record(attempt: dict) -> None:
        if store is None:
            return
        try:
            store.record_attempt(device, attempt["credential"], attempt["outcome"], attempt["elapsed_ms"],
                                 job_id=params["job_id"], message=attempt["message"])
        except Exception as exc:  # noqa: BLE001 - a store problem never fails the device's job
            module.warn(_attempts.redact(f"metrics store write failed for {device}: {exc}", secrets))

    commands = [] if module.check_mode else params["commands"]
    try:
        summary = _attempts.run_attempts(
            target, credentials, commands,
            max_attempts=params["max_attempts"], attempt_delay=params["attempt_delay"],
            next_on_enable_failed=params["next_on_enable_failed"],
            timeouts=_attempts.Timeouts(**params["timeouts"]), on_attempt=record,
        )
    except Exception as exc:  # noqa: BLE001 - e.g. netmiko refusing its arguments; never show a secret
        module.fail_json(msg=_attempts.redact(f"{device}: could not run the credential loop: {type(exc).__name__}: {exc}", secrets))
    finally:
        if store is not None:
            store.close()

    result = dict(
        changed=False, device=device, outcome=summary["outcome"], credential=summary["credential"],
        attempts=summary["attempts"], not_tried=summary["not_tried"], stdout=summary["stdout"],
        stdout_lines=[out.splitlines() for out in summary["stdout"]],
    )
    if summary["outcome"] == O.SUCCESS:
        if module.check_mode and params["commands"]:
            result["msg"] = f"check mode: logged in with {summary['credential']['name']}; {len(params['commands'])} command(s) not sent"
        module.exit_json(**result)
    module.fail_json(msg=failure_message(device, summary), **result)


def failure_message(device: str, summary: dict) -> str:
    """One line naming each credential tried with its outcome, for a failed task's ``msg``."""
    if not summary["attempts"]:
        return f"{device}: no credentials to try (none given, or none shares a tag with the device)"
    tried = ", ".join(f"{a['credential']}={a['outcome']}" for a in summary["attempts"])
    last = summary["attempts"][-1]
    if summary["outcome"] in O.LOGGED_IN:
        text = f"{device}: logged in with {last['credential']}, then {summary['outcome']}: {last['message']}"
    elif summary["outcome"] in O.MOVE_ON:
        text = f"{device}: no credential worked"
    else:
        text = f"{device}: stopped on {summary['outcome']}: {last['message']}"
    text += f" (attempts: {tried})"
    if summary["not_tried"]:
        text += " (not tried: " + ", ".join(f"{n['credential']}: {n['reason']}" for n in summary["not_tried"]) + ")"
    return text


if __name__ == "__main__":
    main()
