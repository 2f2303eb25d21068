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
    V(unreachable), V(ssh_negotiation_failed), V(hostkey_unknown), V(hostkey_mismatch), V(password_expired),
    V(locked_out), V(post_auth_interaction_failed), V(command_failed), V(command_timeout), V(command_rejected),
    V(aaa_budget_exhausted)) and written to the metrics store.
  - Only V(auth_rejected), V(auth_method_unsupported) and V(aaa_budget_exhausted) (and V(enable_failed) with
    O(next_on_enable_failed)) move on to the next credential. A device problem
    (V(unreachable), V(ssh_negotiation_failed), V(auth_timeout), V(password_expired),
    V(locked_out), V(post_auth_interaction_failed)) stops at once, and V(hostkey_unknown) and
    V(hostkey_mismatch) stop before any secret is sent. An exception is V(locked_out) of a credential
    with C(aaa) (a shared AAA account) moves on, because the account on the AAA server is what
    is locked, not the device; the next credential (a local account) is tried.
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
  - "Lockout guard: at most O(max_attempts) credentials per device per task, O(attempt_delay)
    seconds after each failed attempt, password credentials never offer SSH agent or
    C(~/.ssh) keys, key credentials offer exactly their key, and a credential that repeats an
    earlier one (same name, or same username and secret) is never offered again."
  - Consecutive password credentials with the same username are tried on one SSH connection, at
    most O(passwords_per_connection) of them; each is still one attempt with its own outcome. Every
    connection is opened with C(TCP_NODELAY).
  - For hosts of the P(netraven.core.devices#inventory) inventory a task needs only O(commands); the action
    plugin of the same name fills O(host), O(port), O(platform), O(device), O(login_prompts) and
    O(credentials) from the host's variables and the P(netraven.core.credentials#lookup) lookup. Options given in the
    task always win.
  - Where it runs. With C(connection=local) (or delegated to localhost) the action plugin runs the
    credential loop in the controller's worker process, with netmiko imported once per playbook run
    before the forks, so no module process starts for each host. Delegated to another host (a
    jump host), the module runs there instead, with the same options, outcomes and metrics records;
    that host needs the Python packages netmiko and paramiko.
author: netraven.core contributors (@netraven)
attributes:
  check_mode:
    support: partial
    details: >-
      In check mode the module still logs in (a credential probe, with enable when O(enable) is
      true) and records the attempts in the metrics store, because they really happened on the
      device; it does not send O(commands). RV(stdout) is then empty.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Secrets never appear in the result, the metrics store or messages; exception texts are
    redacted of every credential's secrets before they are returned or stored.
  - A userauth banner containing the word C(locked) or C(lockout) marks a rejection as
    V(locked_out) (the loop stops, or moves on for a credential with C(aaa)). A login banner that always warns about locking accounts
    therefore stops the loop at the first rejection; that errs on the side of fewer attempts.
  - A keyboard-interactive-only device is answered with the password (paramiko's single-prompt
    fallback); its refusal counts as V(auth_rejected).
  - With O(host_key_checking=true), a device whose key is in neither C(~/.ssh/known_hosts) nor
    O(known_hosts_file) gives V(hostkey_unknown) (the message says how to add it with C(ssh-keyscan)),
    and one whose key differs from the known one V(hostkey_mismatch); in both cases nothing is sent.
    The module never writes to a known_hosts file.
  - Outputs are returned as the device printed them. A command the device answers with a CLI error
    (C(% Invalid input) and the like, see O(command_errors)) fails the task as V(command_rejected),
    as C(ansible.netcommon.network_cli) does; set O(command_errors=[]) to accept every answer.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - netraven.core.credential_loop
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
  description:
    - One item per credential tried, in order (a password sent, or, as V(aaa_budget_exhausted), a shared AAA
      account the AAA guard skipped without sending anything).
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
    aaa_account:
      description: The shared AAA account (C(user@aaa-server)) the guard skipped, only on V(aaa_budget_exhausted) items.
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

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.netraven.core.plugins.module_utils import _attempts
from ansible_collections.netraven.core.plugins.module_utils import _cli_command


def main() -> None:
    """Entry point on the host the task is delegated to: validate, run the loop, return the result.

    On the controller the action plugin runs the same ``_cli_command`` functions in its worker.
    """
    module = AnsibleModule(argument_spec=_cli_command.argument_spec(), supports_check_mode=True)
    if _attempts.IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("netmiko and paramiko"), exception=str(_attempts.IMPORT_ERROR))
    logging.getLogger("paramiko").addHandler(logging.NullHandler())  # no transport tracebacks on stderr
    problem = _cli_command.check_params(module.params)
    if problem:
        module.fail_json(msg=problem)
    result = _cli_command.run_recorded(module.params, check_mode=module.check_mode, warn=module.warn)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
